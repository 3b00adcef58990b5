// libFuzzer target for one parser plugin, through the real .so and host API:
// the input is split into lines, parsed as one batch and rendered as JSON.
// Besides the sanitizers, it checks the parsers' promise: a line they refuse
// keeps its raw text as the body.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

namespace {

struct Target {
    const char* name;
    const char* plugin;
    const char* options;
};

// WEIR_FUZZ_NAME picks one of these.
constexpr Target kTargets[] = {
    {"json", "json", ""},
    {"apache", "apache", "{format: combined}"},
    {"apache_custom", "apache",
     R"({format: '%v:%p %h %l %u %{%Y-%m-%d %H:%M:%S}t \"%r\" %>s %O %D \"%{X-Request-Id}i\" \"%m %U%q %H\" %q'})"},
    {"syslog", "syslog", ""},
    {"syslog_strict", "syslog", "{strict: true}"},
    {"logfmt", "logfmt", ""},
    {"regex", "regex",
     R"x({patterns: ['^(?P<client_ip>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>[^ "]*)[^"]*" (?P<status>\d+) (?P<bytes>\S+)', '^(?P<level>[A-Z]+) (?P<n>\d+\.?\d*) (?P<ok>\w+) (?P<message>.*)$'], types: [status:int, bytes:int, n:float, ok:bool], time_key: time, time_format: '%d/%b/%Y:%H:%M:%S %z'})x"},
    {"applog", "applog", "{timezone: '+05:30'}"},
    {"auto", "auto", ""},
    {"multiline", "multiline", "{preset: python, start: '^[0-9]', max_lines: 5, max_bytes: 200}"},
    {"multiline_auto", "multiline", "{preset: auto, max_lines: 8, max_bytes: 400}"},
    // A filter, on raw lines: every detector rewrites (the IPs by keyed hash).
    {"redact", "redact",
     "{detectors: [credit_card, email, key_value, url_credentials, basic_auth, bearer, aws_key, ipv4, ipv6], "
     "ip_action: hash, hash_key: k, "
     "patterns: ['(?i)ssn:? *(\\d{3})-\\d{2}-\\d{4}=>SSN \\1-**-****']}"},
};

std::unique_ptr<weir::runtime::testing::StageHarness> harness;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Loaded here, before libFuzzer counts the instrumented modules.
    for (const auto& t : kTargets) {
        if (std::string_view(t.name) != WEIR_FUZZ_NAME) continue;
        harness = std::make_unique<weir::runtime::testing::StageHarness>(
            std::string(WEIR_FUZZ_PLUGIN_DIR) + "/" + t.plugin + ".so", t.options);
        return 0;
    }
    std::fprintf(stderr, "unknown fuzz target %s\n", WEIR_FUZZ_NAME);
    std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> lines;
    for (size_t pos = 0; pos <= in.size() && lines.size() < 64;) {
        const size_t nl = in.find('\n', pos);
        lines.push_back(in.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    weir::event::Batch b;
    // 2026-01-19T12:00:00Z: a fixed arrival time keeps runs reproducible.
    for (auto l : lines) b.add(l, 1768824000LL * 1'000'000'000LL);
    harness->process(b);
    if (harness->descriptor().flags & WEIR_PLUGIN_ORDERED) {
        // Joined, cut at the limits, released at shutdown: every line once, in order.
        std::string want, got;
        for (size_t i = 0; i < lines.size(); ++i) want.append(i ? "\n" : "").append(lines[i]);
        size_t events = 0;
        auto take = [&](const weir::event::Batch& x) {
            for (size_t i = 0; i < x.size(); ++i, ++events) got.append(events ? "\n" : "").append(x.body(i));
        };
        take(b);
        for (int k = 0; k < 1000; ++k) {
            weir::event::Batch rest;
            rest.flush = WEIR_FLUSH_ALL;
            harness->process(rest);
            if (rest.empty()) break;
            take(rest);
        }
        if (got != want) std::abort();
        return 0;
    }
    for (size_t i = 0; i < b.size(); ++i) {
        const std::string_view json = b.to_json(i);
        if (json.empty() || json.front() != '{' || json.back() != '}') std::abort();
        // Parsers never drop (only filters do) and never lose a refused line.
        if ((b.event(i).flags & WEIR_EVENT_PARSE_ERROR) && b.body(i) != lines[i]) std::abort();
    }
    if (b.size() != lines.size()) std::abort();
    return 0;
}
