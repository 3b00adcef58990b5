#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <weir/config/model.hpp>
#include <weir/config/pipeline_tests.hpp>
#include <weir/event/time_format.hpp>
#include <weir/loader/registry.hpp>
#include <weir/runtime/pipeline_tests.hpp>
#include <weir/time.hpp>

#include "pipeline_core.hpp"

namespace weir::runtime {
namespace {

struct Actual {
    bool found = false;
    std::string text;   // value as text (strings raw, numbers shortest)
    std::string shown;  // for the diff: strings quoted, with their type
    bool number = false;
    double as_number = 0;
};

Actual describe(const Batch& b, const weir_value& v) {
    Actual a;
    a.found = true;
    char buf[64];
    switch (v.type) {
        case WEIR_VAL_STRING:
            a.text.assign(v.as.s.data ? v.as.s.data : "", v.as.s.size);
            a.shown = "\"" + a.text + "\" (a string)";
            return a;
        case WEIR_VAL_INT: {
            auto r = std::to_chars(buf, buf + sizeof buf, v.as.i);
            a.text.assign(buf, r.ptr);
            a.number = true;
            a.as_number = static_cast<double>(v.as.i);
            break;
        }
        case WEIR_VAL_FLOAT: {
            auto r = std::to_chars(buf, buf + sizeof buf, v.as.f);
            a.text.assign(buf, r.ptr);
            a.number = true;
            a.as_number = v.as.f;
            break;
        }
        case WEIR_VAL_BOOL:
            a.text = v.as.b ? "true" : "false";
            break;
        case WEIR_VAL_NULL:
            a.text = "null";
            break;
        default:
            a.text = v.type == WEIR_VAL_OBJECT ? "{...}" : "[...]";
            break;
    }
    (void)b;
    a.shown = a.text;
    return a;
}

Actual lookup(const Batch& b, size_t i, const std::string& path) {
    const auto& ev = b.event(i);
    if (path == "@timestamp") {
        Actual a;
        a.found = true;
        a.text = event::format_rfc3339_ns(ev.time_ns);
        a.shown = a.text;
        return a;
    }
    weir_value v{};
    weir_node node = ev.root;
    size_t start = 0;
    while (true) {
        const size_t dot = path.find('.', start);
        const std::string part =
            path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!b.get(node, part, &v)) {
            if (path == "message" && ev.body.size > 0) {  // the body, as outputs render it
                weir_value body{};
                body.type = WEIR_VAL_STRING;
                body.as.s = ev.body;
                return describe(b, body);
            }
            return {};
        }
        if (dot == std::string::npos) return describe(b, v);
        if (v.type != WEIR_VAL_OBJECT) return {};
        node = v.as.node;
        start = dot + 1;
    }
}

bool matches(const config::Expectation& e, const Actual& a) {
    if (e.absent) return !a.found;
    if (!a.found) return false;
    if (e.is_null) return a.text == "null";
    if (e.field == "@timestamp") {
        const auto want = weir::time::parse_iso8601(e.value);
        const auto got = weir::time::parse_iso8601(a.text);
        return want && got && *want == *got;
    }
    if (a.text == e.value) return true;
    if (a.number) {
        double want = 0;
        auto [p, ec] = std::from_chars(e.value.data(), e.value.data() + e.value.size(), want);
        return ec == std::errc() && p == e.value.data() + e.value.size() && want == a.as_number;
    }
    return false;
}

std::string where(const config::Position& p) {
    return p.file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

}  // namespace

PipelineTestReport run_pipeline_tests(const config::PipelineConfig& cfg,
                                      const std::vector<config::PipelineTest>& tests,
                                      const loader::Registry& plugins) {
    metrics::Registry metrics;
    PipelineCore core(1, 1);
    core.name = cfg.name;
    char tmpl[] = "/tmp/weir-test-XXXXXX";
    const char* state = ::mkdtemp(tmpl);
    core.env = BuildEnv{state ? state : "/tmp", &metrics};
    std::vector<std::unique_ptr<Instance>> stages;
    auto build = [&](const config::StageConfig& s) {
        const auto* h = plugins.find(s.kind, s.type);
        if (!h)
            throw std::runtime_error(where(s.pos) + ": " + kind_name(s.kind) + " type '" + s.type +
                                     "' is not loaded");
        auto inst = std::make_unique<Instance>();
        make_instance(*inst, core, s, *h, metrics.instance(cfg.name, kind_name(s.kind), s.type, s.name));
        stages.push_back(std::move(inst));
    };
    if (cfg.parser) build(*cfg.parser);
    for (const auto& f : cfg.filters) build(f);

    PipelineTestReport report;
    const int64_t now = event::now_ns();
    for (const auto& t : tests) {
        std::string diff;
        for (size_t k = 0; k < t.inputs.size(); ++k) {
            Batch b;
            for (auto& s : stages) {
                if (!(s->descriptor->flags & WEIR_PLUGIN_ORDERED)) {
                    if (b.empty() && &s == &stages.front()) b.add(t.inputs[k], now);
                    s->descriptor->process(s->self, &b);
                    b.compact();
                    continue;
                }
                // An ordered parser (multiline) gets the input's lines as one
                // stream and lets out everything at the end, as at shutdown.
                const std::string& text = t.inputs[k];
                for (size_t pos = 0; pos <= text.size();) {
                    const size_t nl = std::min(text.find('\n', pos), text.size());
                    b.add(std::string_view(text).substr(pos, nl - pos), now);
                    pos = nl + 1;
                }
                s->descriptor->process(s->self, &b);
                b.compact();
                for (int round = 0; round < 1000; ++round) {
                    Batch rest;
                    rest.flush = WEIR_FLUSH_ALL;
                    s->descriptor->process(s->self, &rest);
                    rest.compact();
                    if (rest.empty()) break;
                    for (size_t i = 0; i < rest.size(); ++i)
                        b.add(rest.body(i), rest.event(i).time_ns, rest.event(i).flags);
                }
            }
            if (stages.empty()) b.add(t.inputs[k], now);
            const std::string label =
                "  event " + std::to_string(k + 1) + " (" +
                (t.inputs[k].size() > 60 ? t.inputs[k].substr(0, 57) + "..." : t.inputs[k]) + ")";
            const std::vector<config::Expectation>* want = nullptr;
            if (t.per_event.size() == 1)
                want = &t.per_event[0];
            else if (k < t.per_event.size())
                want = &t.per_event[k];
            const bool want_dropped =
                t.expect_dropped || (want && want->size() == 1 && (*want)[0].field.empty());
            if (want_dropped) {
                if (b.size() != 0)
                    diff +=
                        label + ": expected it dropped, but it was kept: " + std::string(b.to_json(0)) + "\n";
                continue;
            }
            if (b.size() == 0) {
                diff += label + ": dropped, but fields were expected\n";
                continue;
            }
            if (!want) continue;
            std::string lines;
            for (const auto& e : *want) {
                const Actual a = lookup(b, 0, e.field);
                if (matches(e, a)) continue;
                lines += "      " + e.field + ": expected " +
                         (e.absent    ? "absent"
                          : e.is_null ? "null"
                                      : e.value) +
                         ", got " + (a.found ? a.shown : "absent") + "\n";
            }
            if (!lines.empty())
                diff += label + ":\n" + lines + "      event: " + std::string(b.to_json(0)) + "\n";
        }
        if (diff.empty()) {
            ++report.passed;
            report.text += "ok    " + t.name + "\n";
        } else {
            ++report.failed;
            report.text += "FAIL  " + t.name + " (" + where(t.pos) + ")\n" + diff;
        }
    }
    stages.clear();
    if (state) {
        std::error_code ec;
        std::filesystem::remove_all(state, ec);
    }
    return report;
}

}  // namespace weir::runtime
