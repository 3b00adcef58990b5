// Every plugin, built-in or not, must survive the same abuse: bad options get
// a clear refusal; empty batches, 1 MiB records, invalid UTF-8, NUL bytes and
// binary junk neither crash it nor lose events.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <weir/config/options.hpp>
#include <weir/event/batch.hpp>
#include <weir/loader/registry.hpp>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

struct PluginCase {
    std::string name;
    std::string path;
    int32_t kind;
    std::string id;  // kind_name: unique, as an input and a parser may share a name
};

std::vector<PluginCase> discover() {
    static const char* kinds[] = {"", "input", "parser", "filter", "output"};
    std::vector<PluginCase> out;
    const auto reg = weir::loader::Registry::scan({WEIR_PLUGIN_DIR});
    for (const auto& p : reg.plugins()) {
        const int32_t k = p.descriptor->kind;
        out.push_back({p.descriptor->name, p.path, k,
                       std::string(kinds[k >= 1 && k <= 4 ? k : 0]) + "_" + p.descriptor->name});
    }
    return out;
}

/// A loopback HTTP endpoint answering 202 to every request, for outputs that
/// need somewhere to send (started on first use, lives for the process).
uint16_t http_sink_port() {
    static const uint16_t port = [] {
        const int ls = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(ls, 16);
        socklen_t len = sizeof a;
        ::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len);
        std::thread([ls] {
            for (;;) {
                const int fd = ::accept(ls, nullptr, nullptr);
                if (fd < 0) continue;
                std::thread([fd] {
                    std::string in;
                    char buf[65536];
                    for (;;) {
                        const size_t h = in.find("\r\n\r\n");
                        if (h != std::string::npos) {
                            const size_t cl = in.find("ontent-Length: ");
                            const size_t len = cl < h ? std::strtoul(in.c_str() + cl + 15, nullptr, 10) : 0;
                            if (in.size() >= h + 4 + len) {
                                in.erase(0, h + 4 + len);
                                static const char reply[] =
                                    "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
                                if (::send(fd, reply, sizeof reply - 1, MSG_NOSIGNAL) <= 0) break;
                                continue;
                            }
                        }
                        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
                        if (n <= 0) break;
                        in.append(buf, static_cast<size_t>(n));
                    }
                    ::close(fd);
                }).detach();
            }
        }).detach();
        return ntohs(a.sin_port);
    }();
    return port;
}

// Valid options for plugins that require some, by kind_name. A plugin with a
// required option must be listed here so the contract can exercise it.
std::string valid_options(const std::string& id) {
    static const std::map<std::string, std::string> known = {
        {"input_file", "{paths: [\"/nonexistent/weir-contract/*.log\"], poll_interval: 10ms}"},
        {"parser_regex", R"({patterns: ['^(?P<first>\S+) (?P<message>.*)$'], types: [first:int]})"},
        {"input_syslog", R"({listen: "127.0.0.1:0", mode: tcp})"},
        {"input_tcp", R"({listen: "127.0.0.1:0"})"},
        {"input_udp", R"({listen: "127.0.0.1:0"})"},
        {"input_http", R"({listen: "127.0.0.1:0"})"},
        {"output_postgres", R"({url: "postgresql://weir@127.0.0.1:1/logs", connect_timeout: 1s})"},
        {"filter_drop", R"({condition: 'level:debug OR "health check"'})"},
        {"filter_keep", R"({condition: 'status>=500 OR level:(error OR fatal)'})"},
        {"filter_geoip",
         "{city_database: \"" WEIR_SOURCE_DIR "/plugins/filters/geoip/tests/data/GeoIP2-City-Test.mmdb\"}"},
    };
    if (id == "filter_lookup") {
        static const std::string table = [] {
            const std::string path = "/tmp/weir-contract-lookup-" + std::to_string(::getpid()) + ".csv";
            std::ofstream(path) << "id,plan\n1,pro\n";
            return path;
        }();
        return "{file: \"" + table + "\", key: id}";
    }
    if (id == "output_file") {
        struct TempDir {
            std::string path = "/tmp/weir-contract-file-output-" + std::to_string(::getpid());
            ~TempDir() { std::filesystem::remove_all(path); }
        };
        static const TempDir tmp;
        const std::string& dir = tmp.path;
        return "{path: \"" + dir + "/%Y/{service}.log\", rotate_size: 64KiB, max_files: 2}";
    }
    if (id == "output_http")
        return "{url: \"http://127.0.0.1:" + std::to_string(http_sink_port()) +
               "/v1/logs\", batch_timeout: 10ms}";
    auto it = known.find(id);
    return it == known.end() ? "" : it->second;
}

/// A string of every byte of a literal (embedded NULs included, final NUL not).
template <size_t N>
std::string bytes(const char (&literal)[N]) {
    return std::string(literal, N - 1);
}

/// The hostile batch: every event the contract cares about.
Batch& hostile(Batch& b) {
    b.add("", 0);
    b.add("plain text line", 0);
    b.add(std::string(1 << 20, 'z'), 0);  // 1 MiB record
    b.add("\xff\xfe\xfd invalid \xc3\x28 utf-8 \xed\xa0\x80", 0);
    b.add(bytes("nul\0in\0the\0middle"), 0);
    b.add(bytes("\x7f"
                "ELF\x02\x01\x01\0\0\0\xde\xad\xbe\xef\x00\x01\x02\x03"),
          0);
    b.add("{\"message\":\"valid json\",\"n\":1}", 0);
    b.add("{\"unterminated\":", 0);
    return b;
}

/// Sends fd `target` to /dev/null while alive (outputs writing to stdout, stdin reading).
class Silence {
public:
    explicit Silence(int target) : target_(target), saved_(::dup(target)) {
        const int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, target);
        ::close(null);
    }
    ~Silence() {
        ::dup2(saved_, target_);
        ::close(saved_);
    }

private:
    int target_;
    int saved_;
};

class Contract : public ::testing::TestWithParam<PluginCase> {};

/// "" or the options the plugin read that its own table does not declare (always empty at run time: a bug).
std::string undeclared_reads(const StageHarness& h) {
    std::string out;
    for (const auto& name : h.undeclared_option_reads())
        out += (out.empty() ? "reads undeclared option '" : ", '") + name + "'";
    return out;
}

void PrintTo(const PluginCase& c, std::ostream* os) { *os << c.id; }

}  // namespace

TEST_P(Contract, UnknownOptionIsRefusedInOneLine) {
    const auto& p = GetParam();
    try {
        // Valid options plus one unknown key: exactly one error, on one line.
        std::string opts = valid_options(p.id);
        opts = opts.empty() ? "{definitely_not_an_option: 1}"
                            : opts.substr(0, opts.size() - 1) + ", definitely_not_an_option: 1}";
        StageHarness h(p.path, opts);
        FAIL() << p.name << " accepted an unknown option";
    } catch (const std::exception& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("unknown option 'definitely_not_an_option'"), std::string::npos) << m;
        EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
}

TEST_P(Contract, CreatesWithValidOptions) {
    const auto& p = GetParam();
    EXPECT_NO_THROW(StageHarness(p.path, valid_options(p.id))) << p.name;
}

TEST_P(Contract, ReadsOnlyTheOptionsItsTableDeclares) {
    const auto& p = GetParam();
    StageHarness h(p.path, valid_options(p.id));
    EXPECT_EQ(undeclared_reads(h), "") << p.name;
}

TEST_P(Contract, AnOptionOutsideItsAllowedValuesIsRefusedWithASuggestion) {
    const auto& p = GetParam();
    StageHarness probe(p.path, valid_options(p.id));
    const weir_plugin_descriptor& d = probe.descriptor();
    for (size_t i = 0; i < d.option_count; ++i) {
        const weir_option_rules* r = weir::config::option_rules(d, i);
        const auto allowed = weir::config::allowed_values(r);
        if (allowed.empty() || allowed[0].size() < 3 || d.options[i].type != WEIR_OPT_STRING) continue;
        const std::string name = d.options[i].name;
        const std::string typo = allowed[0] + "x";
        std::string opts = valid_options(p.id);
        if (opts.find(name + ":") != std::string::npos) continue;  // given already: a duplicate key
        opts = opts.empty() ? "{" + name + ": " + typo + "}"
                            : opts.substr(0, opts.size() - 1) + ", " + name + ": " + typo + "}";
        try {
            StageHarness h(p.path, opts);
            ADD_FAILURE() << p.name << " accepted " << name << ": " << typo;
        } catch (const std::exception& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find("<harness>:1:"), std::string::npos) << m;  // positioned
            EXPECT_NE(m.find("did you mean '" + allowed[0] + "'?"), std::string::npos) << m;
        }
    }
}

TEST_P(Contract, SurvivesEmptyAndHostileBatches) {
    const auto& p = GetParam();
    StageHarness h(p.path, valid_options(p.id));
    if (p.kind == WEIR_KIND_PARSER || p.kind == WEIR_KIND_FILTER) {
        Batch empty;
        h.process(empty);
        EXPECT_EQ(empty.size(), 0u);
        Batch b;
        const size_t n = hostile(b).size();
        std::vector<std::string> bodies;
        for (size_t i = 0; i < n; ++i) bodies.emplace_back(b.body(i));
        h.process(b);
        if (h.descriptor().flags & WEIR_PLUGIN_ORDERED) {
            // An ordered parser may join lines and hold the last event back:
            // what it lets out now and at shutdown is every line, in order.
            std::string in, out;
            for (size_t i = 0; i < n; ++i) in += (i ? "\n" : "") + bodies[i];
            for (size_t i = 0; i < b.size(); ++i)
                out += (out.empty() && i == 0 ? "" : "\n") + std::string(b.body(i));
            for (int k = 0; k < 100; ++k) {
                Batch rest;
                rest.flush = WEIR_FLUSH_ALL;
                h.process(rest);
                if (rest.size() == 0) break;
                for (size_t i = 0; i < rest.size(); ++i)
                    out += (out.empty() ? "" : "\n") + std::string(rest.body(i));
            }
            EXPECT_EQ(out, in) << p.name << " lost or reordered lines";
        } else if (p.kind == WEIR_KIND_PARSER) {
            ASSERT_EQ(b.size(), n) << p.name << " lost events";
            for (size_t i = 0; i < n; ++i) {
                // A parser keeps the raw text of what it could not parse.
                if (b.event(i).flags & WEIR_EVENT_PARSE_ERROR) {
                    EXPECT_EQ(b.body(i), bodies[i]) << p.name << " #" << i;
                }
            }
        }
        for (size_t i = 0; i < b.size(); ++i) EXPECT_FALSE(b.to_json(i).empty());
    } else if (p.kind == WEIR_KIND_OUTPUT) {
        Silence quiet(1);
        Batch empty;
        EXPECT_EQ(h.write(empty), WEIR_OK) << p.name;
        Batch b;
        hostile(b);
        const int32_t rc = h.write(b);
        EXPECT_TRUE(rc == WEIR_OK || rc == WEIR_RETRY) << p.name << " answered " << rc;
    } else {
        // Inputs: start with nothing to read and stop promptly.
        Silence quiet(0);
        h.start();
        const auto t0 = std::chrono::steady_clock::now();
        h.stop();
        EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5))
            << p.name << " ignored stop";
    }
}

TEST_P(Contract, DescribesItself) {
    const auto& p = GetParam();
    StageHarness h(p.path, valid_options(p.id));
    const weir_plugin_descriptor& d = h.descriptor();
    EXPECT_TRUE(d.version && *d.version) << p.name;
    EXPECT_TRUE(d.description && *d.description) << p.name;
    for (size_t i = 0; i < d.option_count; ++i) {
        EXPECT_TRUE(d.options[i].help && *d.options[i].help) << p.name << " option " << d.options[i].name;
        EXPECT_FALSE(d.options[i].required && d.options[i].default_value)
            << p.name << ": required with a default";
    }
    // The telemetry every instance has, under the same names.
    EXPECT_EQ(h.metrics().plugin, p.name);
    EXPECT_EQ(h.metrics().events_in.load(), 0u);
}

TEST_P(Contract, AValueBelowItsMinimumIsRefusedAtTheValue) {
    const auto& p = GetParam();
    StageHarness probe(p.path, valid_options(p.id));
    const weir_plugin_descriptor& d = probe.descriptor();
    for (size_t i = 0; i < d.option_count; ++i) {
        const weir_option_rules* r = weir::config::option_rules(d, i);
        if (!r || !r->min) continue;
        const weir_option_def& o = d.options[i];
        weir::config::OptionValue min;
        std::string why;
        ASSERT_TRUE(weir::config::convert_option(o.type, r->min, min, why)) << p.name << " " << o.name;
        // Below the minimum: 0 when it is positive, -1 where negatives parse at all.
        const bool positive = o.type == WEIR_OPT_FLOAT ? min.f > 0 : min.i > 0;
        if (!positive && o.type != WEIR_OPT_INT && o.type != WEIR_OPT_FLOAT) continue;
        const std::string below = positive ? "0" : "-1";
        const std::string name = o.name;
        std::string opts = valid_options(p.id);
        if (opts.find(name + ":") != std::string::npos) continue;
        opts = opts.empty() ? "{" + name + ": " + below + "}"
                            : opts.substr(0, opts.size() - 1) + ", " + name + ": " + below + "}";
        try {
            StageHarness h(p.path, opts);
            ADD_FAILURE() << p.name << " accepted " << name << ": " << below << " below " << r->min;
        } catch (const std::exception& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find("<harness>:1:"), std::string::npos) << m;
            EXPECT_NE(m.find("option '" + name + "'"), std::string::npos) << m;
            EXPECT_NE(m.find(std::string(r->max ? "from " : "at least ") + r->min), std::string::npos) << m;
        }
    }
}

// The contract's own check, on a plugin known to break it.
TEST(ContractCheck, APluginReadingAnUndeclaredOptionFails) {
    StageHarness h(WEIR_FIXTURES "/contract/undeclared_read.so", "{color: red}");
    EXPECT_EQ(undeclared_reads(h), "reads undeclared option 'colour'");
}

INSTANTIATE_TEST_SUITE_P(AllPlugins, Contract, ::testing::ValuesIn(discover()),
                         [](const ::testing::TestParamInfo<PluginCase>& info) { return info.param.id; });
