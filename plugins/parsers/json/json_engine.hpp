// The JSON parser's work on one event, shared by the json and auto parsers.
#pragma once

#include <simdjson.h>

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <weir/sdk.hpp>
#include <weir/time.hpp>

namespace weir::json {

class Engine {
public:
    Engine(const weir_host_api* h, std::string message_key, std::string time_key, bool keep_raw)
        : h_(h), message_key_(std::move(message_key)), time_key_(std::move(time_key)), keep_raw_(keep_raw) {}

    /// Parses the body of event i into its fields. Returns nullptr on success,
    /// else the reason; on failure the event is untouched. A time field that
    /// is not a time stays a field and counts in `bad_time`.
    const char* parse(weir_batch* b, size_t i, size_t& bad_time) {
        const weir_str body = h_->event_body(b, i);
        if (body.size == 0) return "empty line";
        // simdjson reads up to SIMDJSON_PADDING bytes past the end: parse a padded copy.
        if (buffer_.size() < body.size + simdjson::SIMDJSON_PADDING)
            buffer_.resize(body.size + simdjson::SIMDJSON_PADDING);
        std::memcpy(buffer_.data(), body.data, body.size);
        simdjson::dom::element doc;
        if (parser_.parse(buffer_.data(), body.size, false).get(doc) != simdjson::SUCCESS)
            return "invalid JSON";
        simdjson::dom::object obj;
        if (doc.get_object().get(obj) != simdjson::SUCCESS) return "not a JSON object";
        fill(b, i, obj, bad_time, keep_raw_ ? std::string_view(body.data, body.size) : std::string_view{});
        return nullptr;
    }

    /// Sets the fields of event i from an object parsed elsewhere (the http
    /// input parses a whole request at once): the message field becomes the
    /// body, the time field the event time; `raw`, if not empty, goes to _raw.
    /// `known_time`: the time field's value already parsed by the caller.
    void fill(weir_batch* b, size_t i, const simdjson::dom::object& obj, size_t& bad_time,
              std::string_view raw = {}, std::optional<int64_t> known_time = std::nullopt) {
        const weir_node root = h_->event_fields(b, i);
        if (!raw.empty()) put_string(b, root, "_raw", raw);
        bool has_message = false;
        for (auto field : obj) {
            const std::string_view key = field.key;
            const simdjson::dom::element v = field.value;
            if (!reserved_.empty() && is_reserved(key)) continue;  // the caller sets these itself
            if (key == message_key_ && v.is_string()) {
                const std::string_view s = v.get_string().value_unsafe();
                h_->event_set_body(b, i, s.data(), s.size(), 0);
                has_message = true;
                continue;
            }
            if (key == time_key_) {
                if (auto t = known_time ? known_time : parse_time(v)) {
                    h_->event_set_time(b, i, *t);
                    continue;
                }
                ++bad_time;
            }
            put(b, root, key, v, WEIR_PUT_APPEND);
        }
        // No message field: everything the line said is in the fields now.
        if (!has_message) h_->event_set_body(b, i, "", 0, WEIR_ADD_BORROW);
    }

    /// Keys left out of the fields (the caller stamps its own values on them).
    void set_reserved(std::vector<std::string> keys) { reserved_ = std::move(keys); }

    /// A JSON time value: an ISO 8601 string or a Unix epoch number (s, ms, µs or ns).
    static std::optional<int64_t> parse_time(const simdjson::dom::element& v) {
        switch (v.type()) {
            case simdjson::dom::element_type::STRING:
                return weir::time::parse_iso8601(v.get_string().value_unsafe());
            case simdjson::dom::element_type::INT64:
                return weir::time::from_epoch_integer(v.get_int64().value_unsafe());
            case simdjson::dom::element_type::UINT64:
                return std::nullopt;  // beyond any sensible epoch
            case simdjson::dom::element_type::DOUBLE:
                return weir::time::from_epoch_double(v.get_double().value_unsafe());
            default:
                return std::nullopt;
        }
    }

private:
    bool is_reserved(std::string_view key) const {
        for (const auto& r : reserved_)
            if (key == r) return true;
        return false;
    }

    void put_string(weir_batch* b, weir_node parent, std::string_view key, std::string_view s) {
        weir_value val{};
        val.type = WEIR_VAL_STRING;
        val.as.s = weir_str{s.data(), s.size()};
        h_->put(b, parent, key.data(), key.size(), &val, WEIR_PUT_APPEND);
    }

    void put(weir_batch* b, weir_node parent, std::string_view key, const simdjson::dom::element& v,
             uint32_t flags) {
        weir_value val{};
        switch (v.type()) {
            case simdjson::dom::element_type::STRING: {
                const std::string_view s = v.get_string().value_unsafe();
                val.type = WEIR_VAL_STRING;
                val.as.s = weir_str{s.data(), s.size()};
                break;
            }
            case simdjson::dom::element_type::INT64:
                val.type = WEIR_VAL_INT;
                val.as.i = v.get_int64().value_unsafe();
                break;
            case simdjson::dom::element_type::UINT64:  // beyond int64: keep the magnitude as a float
                val.type = WEIR_VAL_FLOAT;
                val.as.f = static_cast<double>(v.get_uint64().value_unsafe());
                break;
            case simdjson::dom::element_type::DOUBLE:
                val.type = WEIR_VAL_FLOAT;
                val.as.f = v.get_double().value_unsafe();
                break;
            case simdjson::dom::element_type::BOOL:
                val.type = WEIR_VAL_BOOL;
                val.as.b = v.get_bool().value_unsafe() ? 1 : 0;
                break;
            case simdjson::dom::element_type::NULL_VALUE:
                val.type = WEIR_VAL_NULL;
                break;
            case simdjson::dom::element_type::OBJECT: {
                val.type = WEIR_VAL_OBJECT;
                const weir_node child = h_->put(b, parent, key.data(), key.size(), &val, flags);
                const simdjson::dom::object o = v.get_object().value_unsafe();
                for (auto f : o) put(b, child, f.key, f.value, WEIR_PUT_APPEND);
                return;
            }
            case simdjson::dom::element_type::ARRAY: {
                val.type = WEIR_VAL_ARRAY;
                const weir_node child = h_->put(b, parent, key.data(), key.size(), &val, flags);
                const simdjson::dom::array a = v.get_array().value_unsafe();
                for (auto item : a) put(b, child, {}, item, 0);
                return;
            }
        }
        h_->put(b, parent, key.data(), key.size(), &val, flags);
    }

    const weir_host_api* h_;
    std::string message_key_;
    std::string time_key_;
    bool keep_raw_;
    std::vector<std::string> reserved_;
    simdjson::dom::parser parser_;
    std::vector<char> buffer_;
};

}  // namespace weir::json
