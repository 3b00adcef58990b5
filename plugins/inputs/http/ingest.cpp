#include "ingest.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <weir/level.hpp>
#include <weir/time.hpp>

namespace weir::http_input {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string human_duration(int64_t ns) {
    const int64_t s = ns / 1'000'000'000;
    if (s % 3600 == 0 && s >= 3600) return std::to_string(s / 3600) + "h";
    if (s % 60 == 0 && s >= 60) return std::to_string(s / 60) + "m";
    return std::to_string(s) + "s";
}

}  // namespace

int decode_body(std::string_view encoding, std::string_view body, size_t limit, std::string& out,
                std::string& error) {
    encoding = trim(encoding);
    if (encoding.empty() || iequals(encoding, "identity")) {
        out.assign(body);
        return 0;
    }
    int window;
    if (iequals(encoding, "gzip") || iequals(encoding, "x-gzip")) {
        window = 15 + 16;  // gzip wrapper only
    } else if (iequals(encoding, "deflate")) {
        window = 15 + 32;  // zlib wrapper (what HTTP means by deflate), detected
    } else {
        error = "unsupported Content-Encoding '" + std::string(encoding) + "' (use gzip, deflate or none)";
        return 415;
    }
    z_stream z{};
    if (inflateInit2(&z, window) != Z_OK) {
        error = "cannot start decompression";
        return 500;
    }
    out.clear();
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    z.avail_in = static_cast<uInt>(body.size());
    char chunk[64 * 1024];
    int rc = Z_OK;
    // Decompress in bounded steps and stop at the limit: a small bomb never
    // makes more than `limit` bytes.
    while (rc != Z_STREAM_END) {
        z.next_out = reinterpret_cast<Bytef*>(chunk);
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            error = std::string("corrupt ") + (window == 31 ? "gzip" : "deflate") + " body" +
                    (z.msg ? std::string(": ") + z.msg : std::string());
            return 400;
        }
        const size_t produced = sizeof chunk - z.avail_out;
        if (out.size() + produced > limit) {
            inflateEnd(&z);
            error = "decompressed body is larger than " + std::to_string(limit) + " bytes";
            return 413;
        }
        out.append(chunk, produced);
        if (rc != Z_STREAM_END && z.avail_in == 0 && produced == 0) {
            inflateEnd(&z);
            error = std::string("truncated ") + (window == 31 ? "gzip" : "deflate") + " body";
            return 400;
        }
    }
    inflateEnd(&z);
    return 0;
}

Format format_of(std::string_view content_type) {
    const std::string_view t = trim(content_type.substr(0, content_type.find(';')));
    if (t.empty()) return Format::Auto;
    if (iequals(t, "application/json")) return Format::Json;
    if (iequals(t, "application/x-ndjson") || iequals(t, "application/ndjson") ||
        iequals(t, "application/jsonlines") || iequals(t, "application/x-jsonlines") ||
        iequals(t, "application/jsonl"))
        return Format::Ndjson;
    if (iequals(t, "text/plain")) return Format::Text;
    return Format::Unsupported;
}

Ingester::Ingester(const weir_host_api* host, IngestSettings settings)
    : s_(std::move(settings)),
      engine_(host, s_.message_key, s_.time_key, false),
      weir_engine_(host, s_.message_key, "@timestamp", false) {
    engine_.set_reserved(s_.reserved);
    weir_engine_.set_reserved(s_.reserved);
}

bool Ingester::check(const simdjson::dom::object& obj, int64_t now_ns, std::string& error,
                     Checked& out) const {
    simdjson::dom::element v;
    if (obj.at_key(s_.message_key).get(v) != simdjson::SUCCESS) return (error = "message is missing"), false;
    if (!v.is_string()) return (error = "message must be a string"), false;
    const std::string_view msg = v.get_string().value_unsafe();
    if (msg.empty()) return (error = "message is empty"), false;
    if (msg.size() > s_.max_message)
        return (error = "message is longer than " + std::to_string(s_.max_message) + " bytes"), false;
    bool has_time = obj.at_key(s_.time_key).get(v) == simdjson::SUCCESS;
    if (!has_time && s_.time_key != "@timestamp" && obj.at_key("@timestamp").get(v) == simdjson::SUCCESS) {
        has_time = true;
        out.weir_time = true;  // from another Weir: its time is in @timestamp
    }
    if (has_time) {
        out.time = weir::json::Engine::parse_time(v);
        if (!out.time) return (error = "timestamp is not a time (ISO 8601 or Unix epoch expected)"), false;
        if (*out.time > now_ns + s_.max_future_ns)
            return (error = "timestamp is more than " + human_duration(s_.max_future_ns) + " in the future"),
                   false;
    }
    if (obj.at_key(s_.level_key).get(v) == simdjson::SUCCESS) {
        if (!v.is_string()) return (error = "level must be a string"), false;
        const std::string_view lv = v.get_string().value_unsafe();
        if (weir::level::normalize(lv) == weir::level::Level::Unknown)
            return (error = "level '" + std::string(lv.substr(0, 40)) + "' is not a known level"), false;
    }
    return true;
}

void Ingester::object(weir::Batch& batch, const simdjson::dom::element& e, size_t index, int64_t now_ns,
                      IngestResult& r) {
    ++r.entries;
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) {
        r.errors.push_back({index, "entry is not a JSON object"});
        return;
    }
    std::string error;
    Checked checked;
    if (!check(obj, now_ns, error, checked)) {
        r.errors.push_back({index, std::move(error)});
        return;
    }
    const size_t i = batch.add({}, now_ns);
    size_t bad_time = 0;
    (checked.weir_time ? weir_engine_ : engine_).fill(batch.raw(), i, obj, bad_time, {}, checked.time);
    ++r.accepted;
}

void Ingester::ndjson(weir::Batch& batch, size_t size, int64_t now_ns, IngestResult& r) {
    size_t pos = 0;
    size_t index = 0;
    while (pos < size) {
        const char* start = buf_.data() + pos;
        const void* nl = std::memchr(start, '\n', size - pos);
        size_t len = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : size - pos;
        pos += len + 1;
        std::string_view line(start, len);
        if (trim(line).empty() || trim(line) == "\r") continue;
        simdjson::dom::element doc;
        // The line is followed by the rest of the padded buffer: readable.
        if (parser_.parse(start, len, false).get(doc) != simdjson::SUCCESS) {
            ++r.entries;
            r.errors.push_back({index++, "invalid JSON"});
            continue;
        }
        object(batch, doc, index++, now_ns, r);
    }
}

void Ingester::text(weir::Batch& batch, std::string_view body, int64_t now_ns, IngestResult& r) {
    size_t index = 0;
    while (!body.empty()) {
        const size_t nl = body.find('\n');
        std::string_view line = body.substr(0, nl);
        body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        ++r.entries;
        if (line.size() > s_.max_message) {
            r.errors.push_back(
                {index++, "message is longer than " + std::to_string(s_.max_message) + " bytes"});
            continue;
        }
        batch.add(line, now_ns);
        ++r.accepted;
        ++index;
    }
}

IngestResult Ingester::ingest(weir::Batch& batch, std::string_view body, Format format, int64_t now_ns) {
    IngestResult r;
    size_t first = 0;
    while (first < body.size() && std::strchr(" \t\r\n", body[first]) != nullptr && body[first] != '\0')
        ++first;
    if (first == body.size()) {
        r.malformed = "the body is empty";
        return r;
    }
    if (format == Format::Auto)
        format = (body[first] == '{' || body[first] == '[') ? Format::Json : Format::Text;
    if (format == Format::Text) {
        text(batch, body, now_ns, r);
        return r;
    }
    if (buf_.size() < body.size() + simdjson::SIMDJSON_PADDING)
        buf_.resize(body.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(buf_.data(), body.data(), body.size());
    std::memset(buf_.data() + body.size(), 0, simdjson::SIMDJSON_PADDING);
    if (format == Format::Ndjson) {
        ndjson(batch, body.size(), now_ns, r);
        return r;
    }
    // JSON: one object or an array of them; a body of several lines that is
    // not one document is read as NDJSON.
    simdjson::dom::element doc;
    if (parser_.parse(buf_.data(), body.size(), false).get(doc) != simdjson::SUCCESS) {
        if (body[first] == '{' && body.find('\n', first) != std::string_view::npos) {
            ndjson(batch, body.size(), now_ns, r);
            return r;
        }
        r.malformed = "the body is not valid JSON";
        return r;
    }
    if (doc.is_array()) {
        size_t index = 0;
        const simdjson::dom::array entries = doc.get_array().value_unsafe();
        for (simdjson::dom::element e : entries) object(batch, e, index++, now_ns, r);
        if (r.entries == 0) r.malformed = "the JSON array is empty";
    } else if (doc.is_object()) {
        object(batch, doc, 0, now_ns, r);
    } else {
        r.malformed = "the body must be a JSON object, an array of objects or NDJSON";
    }
    return r;
}

}  // namespace weir::http_input
