# Helpers of the DPDK scripts whose partitions each leave through a net_pcap
# port of their own (DPDK port p + 1 writes DIR/out-p.pcap), for
# shardgate-sink --pcap to verify. Sourced.

# pcap_partition_ports_toml N DIR: the [[dpdk.ports]] entries.
pcap_partition_ports_toml() {
  local p
  for p in $(seq 0 $(($1 - 1))); do
    printf '[[dpdk.ports]]\ndevice = "net_pcap%d,tx_pcap=%s/out-%d.pcap"\nip = "10.0.0.1"\nudp_port = 5000\n\n' \
      $((p + 1)) "$2" "$p"
  done
}

# pcap_partition_sinks_toml N: the [sinks] table sending partition p out of port p + 1.
pcap_partition_sinks_toml() {
  local p uris=
  for p in $(seq 0 $(($1 - 1))); do uris+=$(printf '"dpdk://%d/02:00:00:00:00:02/10.0.1.%d:9000",' $((p + 1)) "$p"); done
  printf '[sinks]\nuris = [%s]\n' "${uris%,}"
}

# pcap_partition_files N DIR: the captures, comma-separated.
pcap_partition_files() {
  local p out=
  for p in $(seq 0 $(($1 - 1))); do out+="$2/out-$p.pcap,"; done
  echo "${out%,}"
}

# trade_router_toml PARTITIONS CORES RING_BLOCKS [FORMAT] [QUERY]: the
# [router] table (CORES unpinned dataplane cores, one unpinned egress
# thread, no live stats) and the [format] of the trade record (fixed by
# default) for the DPDK scripts' routers; QUERY defaults to a GROUP BY
# symbol.
trade_router_toml() {
  local cores
  cores=$(printf -- '-1, %.0s' $(seq 1 "$2"))
  cat <<TOML
[router]
partitions = $1
dataplane_cpus = [${cores%, }]
egress_cpus = [-1]
query = "${5:-SELECT symbol, COUNT(*) FROM trades GROUP BY symbol}"
stats_interval_ms = 0
ring_blocks = $3

$(trade_format_toml "${4:-fixed}" 1024)
TOML
}
