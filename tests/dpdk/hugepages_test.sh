#!/usr/bin/env bash
# Runs a DPDK test case on 2 MiB hugepages, reserving them for the run when
# the machine has too few free and lets us (root): writes
# /proc/sys/vm/nr_hugepages, mounts hugetlbfs on /dev/hugepages if nothing
# is mounted, and puts both back on exit, whatever the outcome. When it
# cannot reserve them, the test case itself skips (exit 77) and says why.
# usage: hugepages_test.sh PAGES TEST_EXE ARGS...
set -uo pipefail
pages=$1
shift
nr=/proc/sys/vm/nr_hugepages
free_pages() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }

before=$(cat "$nr" 2>/dev/null || echo 0)
mounted=0
restore() {
    ((mounted)) && umount /dev/hugepages 2>/dev/null
    if [[ $(cat "$nr" 2>/dev/null) != "$before" ]]; then echo "$before" >"$nr" 2>/dev/null; fi
}
trap restore EXIT
trap 'exit 143' TERM # meson's timeout: restore on the way out too
trap 'exit 130' INT

if (($(free_pages) < pages)) && [[ -w $nr ]]; then
    want=$((before + pages - $(free_pages)))
    if echo "$want" >"$nr" 2>/dev/null; then
        echo "hugepages_test: reserved 2 MiB hugepages for this test: nr_hugepages $before -> $(cat "$nr"), free $(free_pages)"
    else
        echo "hugepages_test: could not raise $nr to $want; the test decides whether it can run"
    fi
    if ! grep -q ' hugetlbfs ' /proc/mounts; then
        mkdir -p /dev/hugepages
        if mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages 2>/dev/null; then
            mounted=1
        else
            echo "hugepages_test: could not mount hugetlbfs on /dev/hugepages"
        fi
    fi
fi
"$@"
