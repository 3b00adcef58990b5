#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <weir/config/pipeline_tests.hpp>

namespace weir::config {
namespace {

struct Reader {
    const PipelineConfig& p;
    int line_offset;  // tests_yaml was re-emitted: positions are found again in the file
    std::vector<Error> errors;

    Position pos(const YAML::Node& n) const {
        const auto m = n.Mark();
        return Position{p.file, m.line < 0 ? 0 : m.line + 1 + line_offset, m.line < 0 ? 0 : m.column + 1};
    }
    void error(const YAML::Node& n, std::string msg) { errors.push_back(Error{pos(n), std::move(msg)}); }

    void flatten(const YAML::Node& node, const std::string& prefix, std::vector<Expectation>& out) {
        if (!node.IsMap()) {
            error(node, "'expect' must map field names to values (or be 'dropped')");
            return;
        }
        for (auto it = node.begin(); it != node.end(); ++it) {
            const std::string key = prefix.empty() ? it->first.Scalar() : prefix + "." + it->first.Scalar();
            const YAML::Node v = it->second;
            if (v.IsMap() && v.size() > 0) {
                flatten(v, key, out);
                continue;
            }
            Expectation e;
            e.field = key;
            e.pos = pos(it->first);
            if (v.IsNull()) {
                e.is_null = true;
            } else if (v.IsScalar()) {
                e.value = v.Scalar();
                e.absent = v.Scalar() == "absent" && v.Tag() != "!";
            } else {
                YAML::Emitter em;
                em << YAML::Flow << v;
                e.value = em.c_str();
            }
            out.push_back(std::move(e));
        }
    }
};

}  // namespace

std::vector<PipelineTest> parse_pipeline_tests(const PipelineConfig& pipeline) {
    std::vector<PipelineTest> out;
    if (pipeline.tests_yaml.empty()) return out;
    // Positions: find where `tests:` starts in the file and load that part
    // from the file itself, so marks are the file's.
    std::ifstream in(pipeline.file);
    std::string line, rest;
    int line_no = 0, start = -1;
    while (std::getline(in, line)) {
        if (start < 0 && line.rfind("tests:", 0) == 0) start = line_no;
        if (start >= 0) rest += line + "\n";
        ++line_no;
    }
    Reader r{pipeline, start < 0 ? 0 : start, {}};
    YAML::Node root;
    try {
        root = YAML::Load(start < 0 ? "tests: " + pipeline.tests_yaml : rest)["tests"];
    } catch (const YAML::Exception& e) {
        throw ConfigErrors({Error{Position{pipeline.file, e.mark.line + 1 + r.line_offset, e.mark.column + 1},
                                  std::string("tests: ") + e.msg}});
    }
    if (!root.IsSequence()) {
        r.error(root, "'tests' must be a list of cases");
        throw ConfigErrors(std::move(r.errors));
    }
    const auto base = std::filesystem::path(pipeline.file).parent_path();
    int n = 0;
    for (const auto& c : root) {
        ++n;
        PipelineTest t;
        t.pos = r.pos(c);
        t.name = "case " + std::to_string(n);
        if (!c.IsMap()) {
            r.error(c, "each test case must be a map (name, input/inputs/input_file, expect)");
            continue;
        }
        YAML::Node expect;
        bool has_expect = false;
        for (auto it = c.begin(); it != c.end(); ++it) {
            const std::string key = it->first.Scalar();
            const YAML::Node v = it->second;
            if (key == "name") {
                t.name = v.Scalar();
            } else if (key == "input") {
                t.inputs.push_back(v.Scalar());
            } else if (key == "inputs") {
                if (!v.IsSequence()) {
                    r.error(v, "'inputs' must be a list of lines");
                    continue;
                }
                for (const auto& i : v) t.inputs.push_back(i.Scalar());
            } else if (key == "input_file") {
                const auto path = std::filesystem::path(v.Scalar()).is_absolute()
                                      ? std::filesystem::path(v.Scalar())
                                      : base / v.Scalar();
                std::ifstream f(path);
                if (!f) {
                    r.error(v, "cannot read '" + path.string() + "'");
                    continue;
                }
                std::string l;
                while (std::getline(f, l)) {
                    if (!l.empty() && l.back() == '\r') l.pop_back();
                    t.inputs.push_back(l);
                }
            } else if (key == "expect") {
                expect = v;
                has_expect = true;
            } else {
                r.error(it->first,
                        "unknown key '" + key + "' in a test case (name, input, inputs, input_file, expect)");
            }
        }
        if (t.inputs.empty()) r.error(c, "the test case has no input");
        if (!has_expect) {
            r.error(c, "the test case has no 'expect'");
        } else if (expect.IsScalar() && expect.Scalar() == "dropped") {
            t.expect_dropped = true;
        } else if (expect.IsSequence()) {
            if (expect.size() != t.inputs.size())
                r.error(expect, "'expect' lists " + std::to_string(expect.size()) + " events for " +
                                    std::to_string(t.inputs.size()) + " inputs");
            for (const auto& e : expect) {
                t.per_event.emplace_back();
                if (e.IsScalar() && e.Scalar() == "dropped") {
                    Expectation d;
                    d.field = "";
                    d.value = "dropped";
                    d.pos = r.pos(e);
                    t.per_event.back().push_back(d);
                    continue;
                }
                r.flatten(e, "", t.per_event.back());
            }
        } else {
            t.per_event.emplace_back();
            r.flatten(expect, "", t.per_event.back());
        }
        out.push_back(std::move(t));
    }
    if (!r.errors.empty()) throw ConfigErrors(std::move(r.errors));
    return out;
}

}  // namespace weir::config
