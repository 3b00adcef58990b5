#pragma once

#include <string>
#include <vector>
#include <weir/config/model.hpp>

namespace weir::config {

/// What one field of an event must be after the parser and filters.
struct Expectation {
    std::string field;    // a dotted path ("request.method"); "message" is the body, "@timestamp" the time
    std::string value;    // as written in YAML (compared as text)
    bool absent = false;  // `absent`: the field must not exist
    bool is_null = false;
    Position pos;
};

/// One case of a pipeline file's `tests:` section.
///
///   tests:
///     - name: a login line
///       input: 'user=alice status=200'
///       expect: {user: alice, status: 200, _parse_error: absent}
///     - name: health checks are dropped
///       inputs: ['GET /health', 'GET /healthz']
///       expect: dropped
///     - input_file: samples/access.log        # one event per line; relative to the pipeline file
///       expect: {_parse_error: absent}          # applies to every event
///     - inputs: ['a=1', 'a=2']
///       expect: [{a: 1}, {a: 2}]                # one map per event
struct PipelineTest {
    std::string name;
    Position pos;
    std::vector<std::string> inputs;
    bool expect_dropped = false;
    std::vector<std::vector<Expectation>> per_event;  // empty, one (applies to all), or one per input
};

/// Parses `PipelineConfig::tests_yaml`. Throws ConfigErrors (positions are in
/// the pipeline file).
std::vector<PipelineTest> parse_pipeline_tests(const PipelineConfig& pipeline);

}  // namespace weir::config
