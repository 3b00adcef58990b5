// What the http input does with a request body: decode (gzip), split into
// entries (a JSON object, a JSON array, NDJSON or text lines), validate each
// entry and append the valid ones to a batch. No networking here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <weir/sdk.hpp>

#include "../../parsers/json/json_engine.hpp"

namespace weir::http_input {

/// Decodes a body sent with `Content-Encoding: encoding` into `out`, never
/// producing more than `limit` bytes. Returns 0, or the status to answer:
/// 413 (decompressed size over the limit), 400 (corrupt data) or 415 (an
/// encoding other than identity, gzip or deflate); `error` says why.
int decode_body(std::string_view encoding, std::string_view body, size_t limit, std::string& out,
                std::string& error);

enum class Format { Auto, Json, Ndjson, Text, Unsupported };
/// From a Content-Type header (parameters ignored; empty: Auto).
Format format_of(std::string_view content_type);

struct IngestSettings {
    std::string message_key = "message";
    std::string time_key = "timestamp";
    std::string level_key = "level";
    size_t max_message = 64 * 1024;
    std::vector<std::string> reserved;  // fields the input stamps itself (tenant, source address)
    int64_t max_future_ns = 10LL * 60 * 1'000'000'000;
};

struct EntryError {
    size_t index;
    std::string error;
};

struct IngestResult {
    size_t entries = 0;   // entries found in the body
    size_t accepted = 0;  // appended to the batch
    std::vector<EntryError> errors;
    std::string malformed;  // non-empty: the body as a whole is unusable (nothing appended)
};

class Ingester {
public:
    Ingester(const weir_host_api* host, IngestSettings settings);
    /// Appends every valid entry of `body` to `batch` (time: the entry's, or
    /// `now_ns`). Invalid entries are listed with their 0-based index.
    IngestResult ingest(weir::Batch& batch, std::string_view body, Format format, int64_t now_ns);

private:
    void object(weir::Batch& batch, const simdjson::dom::element& e, size_t index, int64_t now_ns,
                IngestResult& r);
    void ndjson(weir::Batch& batch, size_t size, int64_t now_ns, IngestResult& r);
    void text(weir::Batch& batch, std::string_view body, int64_t now_ns, IngestResult& r);
    /// What validating an entry found out on the way.
    struct Checked {
        std::optional<int64_t> time;  // the entry's time, parsed
        bool weir_time = false;       // it came from @timestamp (what Weir sends)
    };
    /// False, with `error` set, for an invalid entry.
    bool check(const simdjson::dom::object& obj, int64_t now_ns, std::string& error, Checked& out) const;

    IngestSettings s_;
    weir::json::Engine engine_;
    weir::json::Engine weir_engine_;  // entries from another Weir carry their time in @timestamp
    simdjson::dom::parser parser_;
    std::vector<char> buf_;
};

}  // namespace weir::http_input
