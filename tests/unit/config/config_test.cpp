#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <weir/config/loader.hpp>
#include <weir/config/model.hpp>

namespace fs = std::filesystem;
using namespace weir::config;

namespace {

const weir_option_def kFileOptions[] = {
    {sizeof(weir_option_def), WEIR_OPT_STRING_LIST, "paths", nullptr, 1, "globs"},
    {sizeof(weir_option_def), WEIR_OPT_BOOL, "read_from_head", "false", 0, ""},
    {sizeof(weir_option_def), WEIR_OPT_DURATION, "refresh_interval", "1s", 0, ""},
    {sizeof(weir_option_def), WEIR_OPT_SIZE, "max_line_size", "1MiB", 0, ""},
    {sizeof(weir_option_def), WEIR_OPT_INT, "retries", "3", 0, ""},
    {sizeof(weir_option_def), WEIR_OPT_FLOAT, "ratio", nullptr, 0, ""},
};
const weir_option_def kNoOptions[1] = {{sizeof(weir_option_def), 0, nullptr, nullptr, 0, nullptr}};

// An output whose table has rules: allowed values, bounds, secrets.
const weir_option_def kSinkOptions[] = {
    {sizeof(weir_option_def), WEIR_OPT_STRING, "format", "ndjson", 0, "body"},
    {sizeof(weir_option_def), WEIR_OPT_INT, "batch_max_events", "1000", 0, "events"},
    {sizeof(weir_option_def), WEIR_OPT_DURATION, "timeout", "1s", 0, "timeout"},
    {sizeof(weir_option_def), WEIR_OPT_SIZE, "buffer", "1MiB", 0, "buffer"},
    {sizeof(weir_option_def), WEIR_OPT_STRING, "api_key", "", 0, "key"},
    {sizeof(weir_option_def), WEIR_OPT_INT, "pin", "1234", 0, "pin"},
    {sizeof(weir_option_def), WEIR_OPT_STRING_LIST, "detectors", "", 0, "detectors"},
    {sizeof(weir_option_def), WEIR_OPT_FLOAT, "ratio", "0.5", 0, "ratio"},
};
const weir_option_rules kSinkRules[] = {
    {sizeof(weir_option_rules), 0, "ndjson|json_array", nullptr, nullptr, nullptr},
    {sizeof(weir_option_rules), 0, nullptr, "1", nullptr, nullptr},
    {sizeof(weir_option_rules), 0, nullptr, "10ms", "1m", nullptr},
    {sizeof(weir_option_rules), 0, nullptr, nullptr, "64MiB", nullptr},
    {sizeof(weir_option_rules), WEIR_OPT_SECRET, nullptr, nullptr, nullptr, "no Authorization header"},
    {sizeof(weir_option_rules), WEIR_OPT_SECRET, nullptr, "1000", "9999", nullptr},
    {sizeof(weir_option_rules), 0, "email|ipv4|ipv6", nullptr, nullptr, nullptr},
    {sizeof(weir_option_rules), 0, nullptr, "0", "1", nullptr},
};

weir_plugin_descriptor descriptor(int32_t kind, const char* name, const weir_option_def* opts, size_t n) {
    weir_plugin_descriptor d{};
    d.abi_version = WEIR_ABI_VERSION;
    d.struct_size = sizeof d;
    d.kind = kind;
    d.name = name;
    d.options = opts;
    d.option_count = n;
    return d;
}

class FakeCatalog : public PluginCatalog {
public:
    FakeCatalog() {
        plugins_ = {descriptor(WEIR_KIND_INPUT, "file", kFileOptions, 6),
                    descriptor(WEIR_KIND_INPUT, "stdin", kNoOptions, 0),
                    descriptor(WEIR_KIND_PARSER, "json", kNoOptions, 0),
                    descriptor(WEIR_KIND_OUTPUT, "stdout", kNoOptions, 0),
                    descriptor(WEIR_KIND_OUTPUT, "null", kNoOptions, 0),
                    descriptor(WEIR_KIND_OUTPUT, "sink", kSinkOptions, 8)};
        plugins_.back().option_rules = kSinkRules;
    }
    const weir_plugin_descriptor* find(int32_t kind, std::string_view type) const override {
        for (const auto& d : plugins_)
            if (d.kind == kind && type == d.name) return &d;
        return nullptr;
    }
    std::vector<std::string> names(int32_t kind) const override {
        std::vector<std::string> out;
        for (const auto& d : plugins_)
            if (d.kind == kind) out.push_back(d.name);
        return out;
    }

private:
    std::vector<weir_plugin_descriptor> plugins_;
};

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("weir-config-test-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "pipelines");
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& rel, const std::string& text) {
        const fs::path p = dir_ / rel;
        std::ofstream(p) << text;
        return p.string();
    }
    // The single error of loading one pipeline file.
    std::vector<std::string> errors_of(const std::string& yaml, const EnvLookup& env = {}) {
        const std::string path = write("pipelines/p.yaml", yaml);
        try {
            load_pipeline_file(path, catalog_, env);
        } catch (const ConfigErrors& e) {
            std::vector<std::string> out;
            for (const auto& err : e.errors) out.push_back(err.format());
            return out;
        }
        return {};
    }
    std::string p() const { return (dir_ / "pipelines/p.yaml").string(); }

    fs::path dir_;
    FakeCatalog catalog_;
};

constexpr const char* kHead = "inputs:\n  - type: file\n";
constexpr const char* kTail = "outputs:\n  - type: stdout\n";

}  // namespace

TEST_F(ConfigTest, ValidPipelineWithDefaultsAndTypes) {
    const std::string path =
        write("pipelines/web.yaml",
              "inputs:\n  - type: file\n    paths: [/a/*.log, /b.log]\n    read_from_head: yes\n"
              "    ratio: 0.25\nparser:\n  type: json\noutputs:\n  - type: stdout\n  - type: stdout\n"
              "workers: 3\nqueue:\n  max_bytes: 8MiB\nbatch:\n  max_events: 100\n");
    PipelineConfig cfg = load_pipeline_file(path, catalog_);
    EXPECT_EQ(cfg.name, "web");
    ASSERT_EQ(cfg.inputs.size(), 1u);
    const OptionSet& o = cfg.inputs[0].options;
    EXPECT_EQ(o.find("paths")->list, (std::vector<std::string>{"/a/*.log", "/b.log"}));
    EXPECT_EQ(o.find("read_from_head")->i, 1);
    EXPECT_EQ(o.find("refresh_interval")->i, 1'000'000'000);  // default
    EXPECT_EQ(o.find("max_line_size")->i, 1 << 20);
    EXPECT_EQ(o.find("retries")->i, 3);
    EXPECT_DOUBLE_EQ(o.find("ratio")->f, 0.25);
    EXPECT_EQ(cfg.inputs[0].name, "file");
    EXPECT_EQ(cfg.inputs[0].pos.line, 2);
    EXPECT_EQ(cfg.inputs[0].pos.column, 5);
    ASSERT_TRUE(cfg.parser.has_value());
    ASSERT_EQ(cfg.outputs.size(), 2u);
    EXPECT_EQ(cfg.outputs[0].name, "stdout");
    EXPECT_EQ(cfg.outputs[1].name, "stdout_2");
    EXPECT_EQ(cfg.workers, 3);
    EXPECT_EQ(cfg.queue_max_bytes, 8u << 20);
    EXPECT_EQ(cfg.batch_max_events, 100u);
}

TEST_F(ConfigTest, OutputQueuesHaveTheirOwnBounds) {
    const std::string base = std::string(kHead) + "    paths: [/a.log]\n" + kTail;
    const PipelineConfig d = load_pipeline_file(write("pipelines/q.yaml", base), catalog_);
    EXPECT_EQ(d.queue_max_events, 16384u);
    EXPECT_EQ(d.output_queue_max_events, 8192u);
    EXPECT_EQ(d.output_queue_max_bytes, 8u << 20);
    const PipelineConfig t = load_pipeline_file(
        write("pipelines/q.yaml",
              base + "queue:\n  max_events: 1000\n  output_max_events: 500\n  output_max_bytes: 2MiB\n"),
        catalog_);
    EXPECT_EQ(t.queue_max_events, 1000u);
    EXPECT_EQ(t.output_queue_max_events, 500u);
    EXPECT_EQ(t.output_queue_max_bytes, 2u << 20);
    // A changed bound restarts the pipeline on reload.
    auto fingerprint = [&](const std::string& queue) {
        return load_pipeline_file(write("pipelines/q.yaml", base + "queue:\n" + queue), catalog_).fingerprint;
    };
    EXPECT_NE(fingerprint("  output_max_events: 500\n"), fingerprint("  output_max_events: 501\n"));
    EXPECT_NE(fingerprint("  output_max_bytes: 2MiB\n"), fingerprint("  output_max_bytes: 3MiB\n"));
    // Unset, they never exceed the work queue's.
    const PipelineConfig small = load_pipeline_file(
        write("pipelines/q.yaml", base + "queue:\n  max_events: 1000\n  max_bytes: 1MiB\n"), catalog_);
    EXPECT_EQ(small.output_queue_max_events, 1000u);
    EXPECT_EQ(small.output_queue_max_bytes, 1u << 20);
    const auto errors = errors_of(base + "queue:\n  output_max_event: 5\nbatch:\n  output_max_events: 5\n");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_NE(
        errors[0].find("unknown option 'output_max_event' in 'queue'; did you mean 'output_max_events'?"),
        std::string::npos)
        << errors[0];
    EXPECT_NE(errors[1].find("unknown option 'output_max_events' in 'batch'"), std::string::npos)
        << errors[1];
}

TEST_F(ConfigTest, SingleScalarIsAListOfOne) {
    const std::string path = write("pipelines/x.yaml", std::string(kHead) + "    paths: /only.log\n" + kTail);
    EXPECT_EQ(load_pipeline_file(path, catalog_).inputs[0].options.find("paths")->list,
              std::vector<std::string>{"/only.log"});
}

TEST_F(ConfigTest, UnknownOptionWithDidYouMean) {
    EXPECT_EQ(errors_of(std::string(kHead) + "    pathz: [x]\n" + kTail),
              (std::vector<std::string>{
                  p() + ":3:5: unknown option 'pathz' for input 'file'; did you mean 'paths'?",
                  p() + ":2:5: input 'file' requires option 'paths'"}));
}

TEST_F(ConfigTest, UnknownPluginType) {
    EXPECT_EQ(errors_of("inputs:\n  - type: stdin\nparser:\n  type: jsn\n" + std::string(kTail)),
              std::vector<std::string>{p() + ":4:9: unknown parser type 'jsn'; did you mean 'json'?"});
}

TEST_F(ConfigTest, MissingRequiredOption) {
    EXPECT_EQ(errors_of(std::string(kHead) + kTail),
              std::vector<std::string>{p() + ":2:5: input 'file' requires option 'paths'"});
}

TEST_F(ConfigTest, WrongTypes) {
    auto errs = errors_of(
        std::string(kHead) +
        "    paths: [x]\n    read_from_head: yes please\n    retries: 2.5\n    ratio: lots\n" + kTail);
    ASSERT_EQ(errs.size(), 3u);
    EXPECT_EQ(errs[0], p() +
                           ":4:21: option 'read_from_head' of input 'file' expects a boolean (true/false), "
                           "found 'yes please'");
    EXPECT_EQ(errs[1], p() + ":5:14: option 'retries' of input 'file' expects an integer, found '2.5'");
    EXPECT_EQ(errs[2], p() + ":6:12: option 'ratio' of input 'file' expects a number, found 'lots'");
}

TEST_F(ConfigTest, ListWhereScalarExpectedAndViceVersa) {
    auto errs = errors_of(std::string(kHead) + "    paths: {a: 1}\n    retries: [1, 2]\n" + kTail);
    ASSERT_EQ(errs.size(), 2u);
    EXPECT_EQ(errs[0], p() + ":3:12: option 'paths' of input 'file' expects a list of strings");
    EXPECT_EQ(errs[1], p() + ":4:14: option 'retries' of input 'file' expects a single value, found a list");
}

TEST_F(ConfigTest, DuplicateKey) {
    EXPECT_EQ(errors_of(std::string(kHead) + "    paths: [a]\n    paths: [b]\n" + kTail),
              std::vector<std::string>{p() + ":4:5: duplicate key 'paths' (first at 3:5)"});
}

TEST_F(ConfigTest, BadDurationAndSize) {
    auto errs = errors_of(std::string(kHead) +
                          "    paths: [a]\n    refresh_interval: 5 parsecs\n"
                          "    max_line_size: huge\n" +
                          kTail);
    ASSERT_EQ(errs.size(), 2u);
    EXPECT_EQ(errs[0],
              p() +
                  ":4:23: invalid duration '5 parsecs' for option 'refresh_interval' of input 'file': "
                  "expected a number with unit ns, us, ms, s, m, h or d");
    EXPECT_EQ(errs[1], p() +
                           ":5:20: invalid size 'huge' for option 'max_line_size' of input 'file': "
                           "expected a number with unit B, KB, MB, GB, KiB, MiB or GiB");
}

TEST_F(ConfigTest, YamlSyntaxErrorHasPosition) {
    auto errs = errors_of("inputs:\n  - type: file\n    paths: [a, b\n");
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_EQ(errs[0].rfind(p() + ":4:1: YAML syntax error", 0), 0u) << errs[0];
}

TEST_F(ConfigTest, EnvironmentVariables) {
    EnvLookup env = [](const std::string& k) -> std::optional<std::string> {
        if (k == "LOG_DIR") return "/srv/logs";
        return std::nullopt;
    };
    const std::string path =
        write("pipelines/e.yaml", std::string(kHead) +
                                      "    paths: [\"${LOG_DIR}/*.log\", \"${OTHER:-/tmp}/x\"]\n"
                                      "    retries: ${RETRIES:-7}\n" +
                                      kTail);
    auto cfg = load_pipeline_file(path, catalog_, env);
    EXPECT_EQ(cfg.inputs[0].options.find("paths")->list,
              (std::vector<std::string>{"/srv/logs/*.log", "/tmp/x"}));
    EXPECT_EQ(cfg.inputs[0].options.find("retries")->i, 7);
    EXPECT_EQ(errors_of(std::string(kHead) + "    paths: [\"${NOPE}/x\"]\n" + kTail, env),
              std::vector<std::string>{p() + ":3:13: environment variable 'NOPE' is not set"});
}

TEST_F(ConfigTest, StructuralErrors) {
    EXPECT_EQ(errors_of("- just a list\n"),
              std::vector<std::string>{p() + ":1:1: a pipeline file must be a map of keys to values"});
    EXPECT_EQ(errors_of("inputs: []\n" + std::string(kTail)),
              std::vector<std::string>{p() + ":1:9: 'inputs' needs at least one input"});
    EXPECT_EQ(errors_of("inputs:\n  - type: stdin\n"),
              std::vector<std::string>{p() + ":1:1: the pipeline has no 'outputs:'"});
    EXPECT_EQ(
        errors_of("inputs:\n  - type: stdin\noutput:\n  - type: stdout\n"),
        (std::vector<std::string>{p() + ":3:1: unknown key 'output' in a pipeline; did you mean 'outputs'?",
                                  p() + ":1:1: the pipeline has no 'outputs:'"}));
    EXPECT_EQ(errors_of("inputs:\n  - paths: [x]\n" + std::string(kTail)),
              std::vector<std::string>{p() + ":2:5: input needs a 'type:' (the plugin name)"});
    EXPECT_EQ(
        errors_of("inputs:\n  - type: stdin\n    name: in\n  - type: file\n    name: in\n    paths: [x]\n" +
                  std::string(kTail)),
        std::vector<std::string>{p() + ":4:5: duplicate instance name 'in' (first at 2:5)"});
    EXPECT_EQ(errors_of("inputs:\n  - type: stdin\n" + std::string(kTail) + "workers: 0\n"),
              std::vector<std::string>{p() + ":5:10: workers expects an integer from 1 to 64, found '0'"});
}

TEST_F(ConfigTest, NullOutputTypeIsTheNullPlugin) {
    const std::string path =
        write("pipelines/n.yaml", "inputs:\n  - type: stdin\noutputs:\n  - type: null\n");
    EXPECT_EQ(load_pipeline_file(path, catalog_).outputs[0].type, "null");
    EXPECT_EQ(errors_of("inputs:\n  - type: stdin\noutputs:\n  - type:\n"),
              std::vector<std::string>{p() + ":4:5: 'type' must be a plugin name"});
}

TEST_F(ConfigTest, AllErrorsOfAllFilesAndDuplicateNames) {
    write("pipelines/a.yaml", "inputs:\n  - type: filez\n" + std::string(kTail));
    write("pipelines/b.yaml", "inputs:\n  - type: stdin\noutputs:\n  - type: stdot\n");
    write("pipelines/c.yaml", "name: dup\ninputs:\n  - type: stdin\n" + std::string(kTail));
    write("pipelines/d.yml", "name: dup\ninputs:\n  - type: stdin\n" + std::string(kTail));
    write("pipelines/notes.txt", "not a pipeline");
    write("weir.yaml", "service:\n  data_dir: data\n");
    const ServiceConfig svc = load_service((dir_ / "weir.yaml").string());
    try {
        load_pipelines(svc, catalog_);
        FAIL() << "expected errors";
    } catch (const ConfigErrors& e) {
        ASSERT_EQ(e.errors.size(), 3u) << e.what();
        EXPECT_NE(e.errors[0].format().find("a.yaml:2:11: unknown input type 'filez'; did you mean 'file'?"),
                  std::string::npos);
        EXPECT_NE(
            e.errors[1].format().find("b.yaml:4:11: unknown output type 'stdot'; did you mean 'stdout'?"),
            std::string::npos);
        EXPECT_NE(e.errors[2].format().find("d.yml:1:1: pipeline name 'dup' is already used by"),
                  std::string::npos);
    }
}

TEST_F(ConfigTest, FingerprintFollowsMeaningNotFormatting) {
    auto fp = [&](const std::string& text) {
        return load_pipeline_file(write("pipelines/f.yaml", text), catalog_).fingerprint;
    };
    const std::string a = fp(std::string(kHead) + "    paths: [x]\n" + kTail);
    const std::string b = fp("# a comment\n" + std::string(kHead) + "    paths:   [ x ]   # same\n" + kTail);
    const std::string c = fp(std::string(kHead) + "    paths: [y]\n" + kTail);
    const std::string d = fp(std::string(kHead) + "    paths: [x]\n" + kTail + "tests:\n  - input: abc\n");
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_EQ(a, d);  // tests do not change what runs
    EXPECT_NE(load_pipeline_file(write("pipelines/f.yaml", std::string(kHead) + "    paths: [x]\n" + kTail +
                                                               "tests:\n  - input: abc\n"),
                                 catalog_)
                  .tests_yaml.find("input: abc"),
              std::string::npos);
}

TEST_F(ConfigTest, ServiceDefaultsAndRelativePaths) {
    write("weir.yaml",
          "service:\n  admin_listen: 127.0.0.1:0\n  data_dir: ./state\nplugins:\n  dirs: [extra, /abs]\n");
    const ServiceConfig s = load_service((dir_ / "weir.yaml").string());
    EXPECT_EQ(s.admin_listen, "127.0.0.1:0");
    EXPECT_EQ(s.data_dir, (dir_ / "state").string());
    EXPECT_EQ(s.pipelines_dir, (dir_ / "pipelines").string());
    EXPECT_EQ(s.log_level, "info");
    EXPECT_EQ(s.plugin_dirs, (std::vector<std::string>{(dir_ / "extra").string(), "/abs"}));
}

TEST_F(ConfigTest, ServiceErrors) {
    write("weir.yaml",
          "service:\n  admin_listen: nowhere\n  log_level: loud\n  data_dri: x\nplugin:\n  dirs: []\n");
    try {
        load_service((dir_ / "weir.yaml").string());
        FAIL();
    } catch (const ConfigErrors& e) {
        ASSERT_EQ(e.errors.size(), 4u) << e.what();
        EXPECT_EQ(e.errors[0].pos.line, 2);
        EXPECT_NE(e.errors[0].message.find("host:port"), std::string::npos);
        EXPECT_NE(e.errors[1].message.find("log_level"), std::string::npos);
        EXPECT_EQ(e.errors[2].message, "unknown option 'data_dri' in 'service'; did you mean 'data_dir'?");
        EXPECT_EQ(e.errors[3].message, "unknown key 'plugin' in the service file; did you mean 'plugins'?");
    }
}

TEST_F(ConfigTest, ParseOptionsForTools) {
    const weir_plugin_descriptor d = descriptor(WEIR_KIND_INPUT, "file", kFileOptions, 6);
    OptionSet o = parse_options("{paths: [a], retries: 9}", d, "<test>");
    EXPECT_EQ(o.find("retries")->i, 9);
    EXPECT_THROW(parse_options("{retries: 9}", d, "<test>"), ConfigErrors);  // paths missing
}

// ---- option rules ------------------------------------------------------------------

namespace {
std::string sink(const std::string& options) {
    return std::string(kHead) + "    paths: [/x]\noutputs:\n  - type: sink\n" + options;
}
}  // namespace

TEST_F(ConfigTest, AllowedValuesArePositionedAtTheValueWithDidYouMean) {
    EXPECT_EQ(errors_of(sink("    format: ndjsn\n")),
              (std::vector<std::string>{
                  p() + ":6:13: option 'format' of output 'sink' expects ndjson or json_array, "
                        "found 'ndjsn'; did you mean 'ndjson'?"}));
    // Each item of a list, at the item.
    EXPECT_EQ(errors_of(sink("    detectors: [email, ipv5]\n")),
              (std::vector<std::string>{
                  p() + ":6:24: option 'detectors' of output 'sink' expects email, ipv4 or ipv6, "
                        "found 'ipv5'; did you mean 'ipv4'?"}));
    EXPECT_TRUE(errors_of(sink("    format: json_array\n    detectors: [ipv6]\n")).empty());
}

TEST_F(ConfigTest, BoundsAreCheckedInTheOptionsOwnUnits) {
    EXPECT_EQ(errors_of(sink("    batch_max_events: 0\n")),
              (std::vector<std::string>{
                  p() + ":6:23: option 'batch_max_events' of output 'sink' must be at least 1, "
                        "found '0'"}));
    EXPECT_EQ(
        errors_of(sink("    timeout: 5ms\n")),
        (std::vector<std::string>{p() + ":6:14: option 'timeout' of output 'sink' must be from 10ms to 1m, "
                                        "found '5ms'"}));
    EXPECT_EQ(errors_of(sink("    timeout: 2m\n")).size(), 1u);
    EXPECT_EQ(
        errors_of(sink("    buffer: 65MiB\n")),
        (std::vector<std::string>{p() + ":6:13: option 'buffer' of output 'sink' must be at most 64MiB, "
                                        "found '65MiB'"}));
    EXPECT_EQ(errors_of(sink("    ratio: 1.5\n")).size(), 1u);
    EXPECT_TRUE(
        errors_of(sink("    timeout: 10ms\n    buffer: 64MiB\n    batch_max_events: 1\n    ratio: 1\n"))
            .empty());
}

TEST_F(ConfigTest, SecretValuesAreNeverPrintedInErrorsOrKeys) {
    const auto bad = errors_of(sink("    pin: 99999\n"));
    ASSERT_EQ(bad.size(), 1u);
    EXPECT_EQ(bad[0], p() + ":6:10: option 'pin' of output 'sink' must be from 1000 to 9999");
    const auto typed = errors_of(sink("    pin: s3cr3t-value\n"));
    ASSERT_EQ(typed.size(), 1u);
    EXPECT_EQ(typed[0].find("s3cr3t-value"), std::string::npos) << typed[0];

    const std::string path = write("pipelines/ok.yaml", sink("    api_key: hunter2-token\n"));
    const PipelineConfig cfg = load_pipeline_file(path, catalog_);
    const OptionSet& o = cfg.outputs[0].options;
    EXPECT_TRUE(o.find("api_key")->secret);
    EXPECT_EQ(o.find("api_key")->text, "hunter2-token");  // the plugin still reads it
    EXPECT_EQ(cfg.fingerprint.find("hunter2-token"), std::string::npos) << cfg.fingerprint;
    EXPECT_EQ(o.secret_texts(), (std::vector<std::string>{"hunter2-token", "1234"}));
    // A changed secret is still a changed configuration.
    const std::string other = write("pipelines/ok.yaml", sink("    api_key: hunter3-token\n"));
    EXPECT_NE(load_pipeline_file(other, catalog_).fingerprint, cfg.fingerprint);
}

TEST_F(ConfigTest, ReadsOfUndeclaredOptionsAreNoted) {
    const std::string path = write("pipelines/ok.yaml", sink(""));
    const PipelineConfig cfg = load_pipeline_file(path, catalog_);
    const OptionSet& o = cfg.outputs[0].options;
    o.note_read("format");
    o.note_read("formatt");
    o.note_read("formatt");
    EXPECT_EQ(o.undeclared_reads(), std::vector<std::string>{"formatt"});
}

TEST(OptionRules, ADescriptorOlderThanTheRulesHasNone) {
    weir_plugin_descriptor d = descriptor(WEIR_KIND_OUTPUT, "sink", kSinkOptions, 8);
    d.option_rules = kSinkRules;
    EXPECT_NE(option_rules(d, 0), nullptr);
    EXPECT_EQ(option_rules(d, 8), nullptr);
    d.struct_size = WEIR_DESCRIPTOR_RULES_SIZE - sizeof(void*);  // built before option_rules existed
    EXPECT_EQ(option_rules(d, 0), nullptr);
    EXPECT_TRUE(parse_options("{format: anything}", d, "<t>").find("format")->set);
}

TEST(OptionRules, ThePluginsOwnTableIsChecked) {
    weir_plugin_descriptor d = descriptor(WEIR_KIND_OUTPUT, "sink", kSinkOptions, 8);
    d.option_rules = kSinkRules;
    EXPECT_EQ(check_option_table(d), "");
    weir_option_rules broken[8];
    std::copy(std::begin(kSinkRules), std::end(kSinkRules), broken);
    broken[0].allowed = "json|text";  // the default ndjson is not allowed
    d.option_rules = broken;
    EXPECT_NE(check_option_table(d).find("default breaks its own rules"), std::string::npos)
        << check_option_table(d);
    std::copy(std::begin(kSinkRules), std::end(kSinkRules), broken);
    broken[2].min = "soon";
    EXPECT_NE(check_option_table(d).find("bound 'soon'"), std::string::npos) << check_option_table(d);
    std::copy(std::begin(kSinkRules), std::end(kSinkRules), broken);
    broken[1].allowed = "1|2";
    EXPECT_NE(check_option_table(d).find("not a string"), std::string::npos) << check_option_table(d);
}

TEST_F(ConfigTest, ServiceSectionsAreOptionTables) {
    const std::string path =
        write("weir.yaml",
              "service:\n  log_level: warning\n  shutdown_timeout: 0s\n  api:\n    workers: 65\n"
              "    max_connections: 0\n    alow_unauthenticated: true\n");
    try {
        load_service(path);
        FAIL() << "accepted";
    } catch (const ConfigErrors& e) {
        std::vector<std::string> got;
        for (const auto& err : e.errors) got.push_back(err.format());
        EXPECT_EQ(
            got,
            (std::vector<std::string>{
                path + ":2:14: option 'log_level' of 'service' expects error, warn, info or debug, found "
                       "'warning'; did you mean 'warn'?",
                path + ":3:21: option 'shutdown_timeout' of 'service' must be at least 1ms, found '0s'",
                path + ":5:14: option 'workers' of 'service.api' must be from 1 to 64, found '65'",
                path + ":6:22: option 'max_connections' of 'service.api' must be at least 1, found '0'",
                path + ":7:5: unknown option 'alow_unauthenticated' in 'service.api'; did you mean "
                       "'allow_unauthenticated'?"}));
    }
    const std::string ok = write("weir.yaml",
                                 "service:\n  log_level: debug\n  api:\n    workers: 8\n    max_body: 2MiB\n"
                                 "    allow_unauthenticated: yes\nplugins:\n  dirs:\n");
    const ServiceConfig s = load_service(ok);
    EXPECT_EQ(s.log_level, "debug");
    EXPECT_EQ(s.api.workers, 8);
    EXPECT_EQ(s.api.max_body_bytes, 2 << 20);
    EXPECT_TRUE(s.api.allow_unauthenticated);
    EXPECT_EQ(s.api.max_connections, 512);  // the table's default
    EXPECT_TRUE(s.plugin_dirs.empty());
    EXPECT_EQ(s.shutdown_timeout_ns, 30'000'000'000);
}
