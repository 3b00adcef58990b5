// Internal: per-minute rollups, written by the writer in the same transaction
// as the blocks they summarise (see docs/store.md, "Rollups").
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <weir/event/batch.hpp>

#include "bytes.hpp"

namespace weir::store::detail {

inline constexpr int64_t kMinuteNs = 60'000'000'000;

inline int64_t minute_of(int64_t t) {
    const int64_t q = t / kMinuteNs;
    return (t % kMinuteNs < 0) ? q - 1 : q;
}

/// The fields the per-minute counts are keyed by, in key order.
inline constexpr std::array<std::string_view, 3> kRollupKeyFields = {"level", "service", "source"};

/// A field's value as the queries read it: a dotted path into nested objects;
/// `message` falls back to the body.
bool lookup_path(const event::Batch& b, size_t i, std::string_view path, weir_value& out);
/// A value as a group: text for strings, numbers, booleans and null; nullopt otherwise.
std::optional<std::string> group_text(const weir_value& v);
/// A value as a number: numbers, and strings that read wholly as a finite number.
std::optional<double> number_of(const weir_value& v);
/// The event's message: its body, or its `message` field when the body is empty.
std::string_view message_of(const event::Batch& b, size_t i);
/// The message with its variable parts masked: a word holding a digit becomes
/// `<n>` (digits only) or `<id>`; at most kMaxTemplateBytes bytes are kept.
std::string message_template(std::string_view message);
inline constexpr size_t kMaxTemplateBytes = 256;
inline constexpr size_t kMaxTemplatesPerMinute = 1000;
inline constexpr size_t kMaxSketchFieldsPerMinute = 16;

uint64_t hash64(std::string_view s);

/// A log-bucketed histogram (DDSketch): bucket i holds values in
/// (gamma^(i-1), gamma^i] with gamma = (1+a)/(1-a), so a quantile read from it
/// is within a = kRelativeError of the true value, and two merge exactly.
class Sketch {
public:
    static constexpr double kRelativeError = 0.01;
    void add(double x);
    void merge(const Sketch& o);
    uint64_t count() const { return n_; }
    double min() const { return min_; }
    double max() const { return max_; }
    /// The nearest-rank q-quantile (0 < q <= 1), within kRelativeError; nullopt when empty.
    std::optional<double> quantile(double q) const;
    void encode(std::string& out) const;
    bool decode(Reader& r);

private:
    std::map<int32_t, uint64_t> pos_, neg_;
    uint64_t zero_ = 0, n_ = 0;
    double min_ = 0, max_ = 0;
};

/// HyperLogLog with 2^11 registers: standard error 1.04/sqrt(2048) = 2.3%.
class Hll {
public:
    static constexpr int kP = 11;
    static constexpr size_t kM = size_t{1} << kP;
    static constexpr double kStdError = 0.023;
    void add(uint64_t hash);
    void merge(const Hll& o);
    double estimate() const;
    void encode(std::string& out) const;
    bool decode(Reader& r);

private:
    std::vector<uint8_t> reg_;  // empty: nothing added
};

/// What the writer adds to a minute, and what a stored minute holds.
struct MinuteRollup {
    uint64_t events = 0;
    /// Events whose level, service or source was not absent or one string:
    /// their minute's counts are then not answerable from the rollup.
    uint64_t irregular = 0;
    /// The stored value did not decode: the minute is answered from blocks.
    bool damaged = false;
    bool sketch_overflow = false;                         // more than kMaxSketchFieldsPerMinute fields
    std::map<std::string, uint64_t, std::less<>> counts;  // key blob (level, service, source) -> events
    std::map<std::string, Sketch, std::less<>> sketches;  // numeric field -> values
    std::map<std::string, uint64_t, std::less<>> templates;
    uint64_t template_other = 0;                   // events whose template did not fit the cap
    std::map<std::string, Hll, std::less<>> hlls;  // field -> distinct values

    void merge(const MinuteRollup& o);
    void encode(std::string& out) const;
};

/// Decodes a stored minute whole (the writer merges into it). False on
/// anything malformed; never reads out of bounds.
bool decode_rollup(std::string_view value, MinuteRollup& out);

/// A stored minute's framing, its sections left encoded for lazy reading.
struct RollupView {
    uint64_t events = 0, irregular = 0, template_other = 0;
    bool damaged = false, sketch_overflow = false;
    std::string_view counts, sketches, templates, hlls;
};
/// `sections`: which sections' checksums to check (bits: counts, sketches,
/// templates, hlls); the header's is always checked.
inline constexpr unsigned kCountsSection = 1, kSketchesSection = 2, kTemplatesSection = 4, kHllsSection = 8;
bool parse_rollup(std::string_view value, RollupView& out, unsigned sections = 15);
/// The templates section, decompressed into `buf`; false when malformed.
bool read_templates(const RollupView& v, std::string& buf, std::string_view& out);
/// Calls f(text, count) for each (key blob or template, count) of a counts or
/// templates section; false when malformed.
template <class F>
bool for_each_count(std::string_view section, F&& f) {
    Reader r(section);
    uint64_t n;
    if (!r.varint(n) || n > section.size()) return false;
    for (uint64_t k = 0; k < n; ++k) {
        std::string_view text;
        uint64_t c;
        if (!r.bytes(text) || !r.varint(c)) return false;
        f(text, c);
    }
    return r.done();
}
/// The key blob's three parts (nullopt: absent); false when malformed.
bool parse_key_blob(std::string_view blob, std::array<std::optional<std::string_view>, 3>& out);
void put_key_blob(std::string& out, const std::array<std::optional<std::string_view>, 3>& parts);
/// Finds one field's sketch or HLL in its section: 1 found, 0 absent, -1 malformed.
int find_sketch(std::string_view section, std::string_view field, Sketch& out);
int find_hll(std::string_view section, std::string_view field, Hll& out);

struct RollupConfig {
    std::vector<std::string> numeric_fields;  // empty: names containing latency or duration
    std::vector<std::string> unique_fields;
    /// The numeric field has a sketch in every minute (unless it overflowed).
    bool tracks_numeric(std::string_view field) const;
    bool tracks_unique(std::string_view field) const;
};

/// Adds event i of `b` to `r`.
void add_to_rollup(const RollupConfig& cfg, const event::Batch& b, size_t i, MinuteRollup& r);

/// Key of a minute in a partition's `rollups` database (order-preserving).
std::string rollup_key(int64_t minute);
/// Key marking a partition whose every block has its rollups.
inline constexpr std::string_view kRollupsCompleteKey = "complete";

}  // namespace weir::store::detail
