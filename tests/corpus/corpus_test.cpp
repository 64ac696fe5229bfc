// Runs every query in tests/corpus/queries through `shardgate explain --json`
// (the real binary) and checks its plan against the expectations written as
// comments at the end of the query file:
//
//   -- expect-strategy: always_hash          canonical strategy name
//   -- expect-keys: ["trader_id", "symbol"]  routing_keys, a JSON array
//   -- expect-source-keys: {"orders": ["customer_id"], "customers": ["id"]}
//   -- expect-kind: create_stream            query_kind
//   -- expect-origin: annotation             where the strategy came from
//   -- expect-partitions: 4
//   -- expect-warning: some text             a warning contains it
//   -- expect-no-warnings: yes
//   -- expect-reason: some text              the reason contains it
//   -- expect-error: line 1:8: expected ...  exit 2, stderr contains it (each such
//                                            line), stdout empty
//   -- args: --partitions 2 --strategy rr    extra explain arguments
//
// Every file must expect a strategy (then keys too) or an error.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

// ---- a strict JSON reader (enough to check explain's output) ------------
struct json {
    enum kind_t { null, boolean, number, string, array, object } kind = null;
    bool b = false;
    double n = 0;
    std::string s;
    std::vector<json> a;
    std::vector<std::pair<std::string, json>> o;

    const json* get(const std::string& key) const {
        for (const auto& [k, v] : o)
            if (k == key) return &v;
        return nullptr;
    }
    friend bool operator==(const json&, const json&) = default;
};

class json_reader {
public:
    explicit json_reader(std::string_view text) : t_(text) {}

    /// Parses exactly one value followed only by blanks; throws on anything else.
    json document() {
        json v = value(0);
        blanks();
        if (i_ != t_.size()) fail("trailing text after the JSON value");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("invalid JSON at byte " + std::to_string(i_) + ": " + what);
    }
    void blanks() {
        while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\t' || t_[i_] == '\r')) ++i_;
    }
    bool take(char c) {
        blanks();
        if (i_ < t_.size() && t_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!take(c)) fail(std::string("expected '") + c + "'");
    }
    json value(int depth) {
        if (depth > 64) fail("nested too deep");
        blanks();
        if (i_ >= t_.size()) fail("unexpected end");
        json v;
        const char c = t_[i_];
        if (c == '{') {
            ++i_;
            v.kind = json::object;
            if (take('}')) return v;
            do {
                blanks();
                std::string k = str();
                expect(':');
                v.o.emplace_back(std::move(k), value(depth + 1));
            } while (take(','));
            expect('}');
        } else if (c == '[') {
            ++i_;
            v.kind = json::array;
            if (take(']')) return v;
            do v.a.push_back(value(depth + 1));
            while (take(','));
            expect(']');
        } else if (c == '"') {
            v.kind = json::string;
            v.s = str();
        } else if (t_.substr(i_, 4) == "true" || t_.substr(i_, 5) == "false") {
            v.kind = json::boolean;
            v.b = t_[i_] == 't';
            i_ += v.b ? 4 : 5;
        } else if (t_.substr(i_, 4) == "null") {
            i_ += 4;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const std::size_t start = i_;
            if (t_[i_] == '-') ++i_;
            while (i_ < t_.size() &&
                   std::string_view("0123456789.eE+-").find(t_[i_]) != std::string_view::npos)
                ++i_;
            v.kind = json::number;
            v.n = std::stod(std::string(t_.substr(start, i_ - start)));
        } else {
            fail(std::string("unexpected '") + c + "'");
        }
        return v;
    }
    std::string str() {
        if (i_ >= t_.size() || t_[i_] != '"') fail("expected a string");
        ++i_;
        std::string out;
        for (;;) {
            if (i_ >= t_.size()) fail("unterminated string");
            const auto c = static_cast<unsigned char>(t_[i_++]);
            if (c == '"') return out;
            if (c < 0x20) fail("control character in string");
            if (c != '\\') {
                out += static_cast<char>(c);
                continue;
            }
            if (i_ >= t_.size()) fail("unterminated escape");
            const char e = t_[i_++];
            switch (e) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                if (i_ + 4 > t_.size()) fail("short \\u escape");
                const unsigned cp =
                    static_cast<unsigned>(std::stoul(std::string(t_.substr(i_, 4)), nullptr, 16));
                i_ += 4;
                if (cp < 0x80) {
                    out += static_cast<char>(cp);
                } else if (cp < 0x800) {
                    out += static_cast<char>(0xc0 | (cp >> 6));
                    out += static_cast<char>(0x80 | (cp & 0x3f));
                } else {
                    out += static_cast<char>(0xe0 | (cp >> 12));
                    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
                    out += static_cast<char>(0x80 | (cp & 0x3f));
                }
                break;
            }
            default:
                fail("bad escape");
            }
        }
    }
    std::string_view t_;
    std::size_t i_ = 0;
};

json parse_json(std::string_view text) { return json_reader(text).document(); }

std::string to_text(const json& v) {
    switch (v.kind) {
    case json::null:
        return "null";
    case json::boolean:
        return v.b ? "true" : "false";
    case json::number:
        return std::to_string(v.n);
    case json::string:
        return "\"" + v.s + "\"";
    case json::array: {
        std::string out = "[";
        for (std::size_t i = 0; i < v.a.size(); ++i) out += (i ? ", " : "") + to_text(v.a[i]);
        return out + "]";
    }
    case json::object: {
        std::string out = "{";
        for (std::size_t i = 0; i < v.o.size(); ++i)
            out += (i ? ", " : "") + ("\"" + v.o[i].first + "\": ") + to_text(v.o[i].second);
        return out + "}";
    }
    }
    return "?";
}

// ---- running the binary ---------------------------------------------------
struct result {
    int status = -1;
    std::string out, err;
};

result run(const std::vector<std::string>& argv) {
    int out_pipe[2], err_pipe[2];
    if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
    posix_spawn_file_actions_addclose(&fa, err_pipe[0]);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (rc != 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        throw std::runtime_error("cannot start " + argv[0]);
    }
    result r;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&r.out, &r.err};
    int open_fds = 2;
    char buf[4096];
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) break;
        for (int k = 0; k < 2; ++k) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP))) continue;
            const ssize_t n = read(fds[k].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[k]->append(buf, static_cast<std::size_t>(n));
            } else {
                close(fds[k].fd);
                fds[k].fd = -1;
                --open_fds;
            }
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

// ---- corpus files ---------------------------------------------------------
struct expectations {
    std::map<std::string, std::vector<std::string>> fields; ///< name → values (warning may repeat)
    std::vector<std::string> args;

    const std::string* one(const std::string& k) const {
        auto it = fields.find(k);
        return it == fields.end() ? nullptr : &it->second.front();
    }
};

expectations read_expectations(const std::string& text) {
    expectations e;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("-- expect-", 0) == 0) {
            const auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string key = line.substr(10, colon - 10);
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            e.fields[key].push_back(value);
        } else if (line.rfind("-- args:", 0) == 0) {
            std::istringstream words(line.substr(8));
            std::string w;
            while (words >> w) e.args.push_back(w);
        }
    }
    return e;
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    if (!v) throw std::runtime_error(std::string(name) + " is not set (meson test sets it)");
    return v;
}

std::vector<std::filesystem::path> corpus_files() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(env("SHARDGATE_CORPUS")))
        if (e.path().extension() == ".sql") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

void check_case(const std::filesystem::path& file) {
    std::ifstream f(file, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const expectations e = read_expectations(text);
    std::vector<std::string> argv{env("SHARDGATE_BIN"), "explain", "--json"};
    argv.insert(argv.end(), e.args.begin(), e.args.end());
    argv.push_back(file.string());
    const result r = run(argv);

    if (auto errors = e.fields.find("error"); errors != e.fields.end()) {
        BOOST_TEST(r.status == 2, "exit status " << r.status << ", stderr: " << r.err);
        BOOST_TEST(r.out.empty(), "stdout: " << r.out);
        for (const auto& err : errors->second)
            BOOST_TEST(r.err.find(err) != std::string::npos,
                       "stderr: " << r.err << "\nexpected to contain: " << err);
        BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "one line on stderr: " << r.err);
        return;
    }
    const std::string* strategy = e.one("strategy");
    const std::string* keys = e.one("keys");
    BOOST_REQUIRE_MESSAGE(strategy && keys, file << ": expects neither a strategy with keys nor an error");
    BOOST_REQUIRE_MESSAGE(r.status == 0, "exit status " << r.status << ", stderr: " << r.err);
    BOOST_TEST(r.err.empty(), "stderr: " << r.err);
    json plan;
    try {
        plan = parse_json(r.out); // exactly one JSON value and nothing else
    } catch (const std::exception& ex) {
        BOOST_FAIL(ex.what() << "\nstdout: " << r.out);
    }
    BOOST_REQUIRE(plan.kind == json::object);
    for (const char* field : {"strategy", "routing_keys", "reason", "warnings", "query_kind"})
        BOOST_REQUIRE_MESSAGE(plan.get(field), "field " << field << " missing: " << r.out);
    BOOST_TEST(plan.get("strategy")->s == *strategy);
    const json want_keys = parse_json(*keys);
    BOOST_TEST(to_text(*plan.get("routing_keys")) == to_text(want_keys));
    BOOST_TEST(plan.get("reason")->kind == json::string);
    BOOST_TEST(!plan.get("reason")->s.empty());
    BOOST_TEST(plan.get("warnings")->kind == json::array);
    if (const std::string* sk = e.one("source-keys")) {
        const json* got = plan.get("source_keys");
        BOOST_REQUIRE_MESSAGE(got, "source_keys missing: " << r.out);
        BOOST_TEST(to_text(*got) == to_text(parse_json(*sk)));
    }
    if (const std::string* kind = e.one("kind")) BOOST_TEST(plan.get("query_kind")->s == *kind);
    if (const std::string* origin = e.one("origin")) BOOST_TEST(plan.get("origin")->s == *origin);
    if (const std::string* n = e.one("partitions")) BOOST_TEST(plan.get("partitions")->n == std::stod(*n));
    if (const std::string* reason = e.one("reason"))
        BOOST_TEST(plan.get("reason")->s.find(*reason) != std::string::npos,
                   "reason: " << plan.get("reason")->s << "\nexpected to contain: " << *reason);
    if (auto it = e.fields.find("warning"); it != e.fields.end())
        for (const auto& w : it->second) {
            bool found = false;
            for (const auto& got : plan.get("warnings")->a)
                found = found || got.s.find(w) != std::string::npos;
            BOOST_TEST(found,
                       "no warning contains: " << w << "\nwarnings: " << to_text(*plan.get("warnings")));
        }
    if (e.one("no-warnings")) BOOST_TEST(plan.get("warnings")->a.empty(), to_text(*plan.get("warnings")));
}

} // namespace

BOOST_AUTO_TEST_SUITE(corpus_suite)

BOOST_AUTO_TEST_CASE(every_query_plans_as_expected) {
    const auto files = corpus_files();
    BOOST_TEST(files.size() >= 60u, "the corpus has " << files.size() << " queries");
    for (const auto& file : files) BOOST_TEST_CONTEXT(file.filename().string()) {
            check_case(file);
        }
}

BOOST_AUTO_TEST_CASE(the_json_reader_rejects_what_is_not_one_object) {
    BOOST_CHECK_THROW(parse_json("{} {}"), std::runtime_error);
    BOOST_CHECK_THROW(parse_json("{\"a\":1,}"), std::runtime_error);
    BOOST_CHECK_THROW(parse_json("{\"a\":\"x\ny\"}"), std::runtime_error);
    BOOST_TEST(parse_json(" {\"a\":[1,\"\\u00e9\"]}\n").get("a")->a[1].s == "\xc3\xa9");
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_with_one_line) {
    const std::string bin = env("SHARDGATE_BIN");
    const std::vector<std::vector<std::string>> cases{
        {bin, "explain"},
        {bin, "explain", "--partitions", "0", "x.sql"},
        {bin, "explain", "--strategy", "consistent", "x.sql"},
        {bin, "explain", "--frobnicate", "x.sql"},
        {bin, "explain", "a.sql", "b.sql"},
        {bin, "explain", "/nonexistent/query.sql"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.back()) {
            const result r = run(c);
            BOOST_TEST(r.status == 2);
            BOOST_TEST(r.out.empty());
            BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
            BOOST_TEST(r.err.rfind("shardgate explain: ", 0) == 0u, r.err);
        }
    }
    const result help = run({bin, "explain", "--help"});
    BOOST_TEST(help.status == 0);
    BOOST_TEST(help.out.find("usage: shardgate explain") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(text_output_by_default) {
    const auto files = corpus_files();
    BOOST_REQUIRE(!files.empty());
    const result r = run({env("SHARDGATE_BIN"), "explain", files.front().string()});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out.find("strategy:") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("reason:") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_SUITE_END()
