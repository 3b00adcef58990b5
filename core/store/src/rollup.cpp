#include "rollup.hpp"

#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <weir/store/block.hpp>
#include <weir/store/store.hpp>

namespace weir::store::detail {
namespace {

constexpr char kMagic[2] = {'W', 'R'};
constexpr uint64_t kVersion = 1;
constexpr uint64_t kMaxEntries = 1u << 24;

const double kGamma = (1 + Sketch::kRelativeError) / (1 - Sketch::kRelativeError);
const double kLogGamma = std::log(kGamma);
constexpr double kMinIndexable = 1e-9;  // smaller magnitudes count as zero

void put_f64(std::string& out, double d) {
    uint64_t u;
    std::memcpy(&u, &d, 8);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(u >> (8 * i)));
}
bool get_f64(Reader& r, double& d) {
    std::string_view s;
    if (!r.raw(s, 8)) return false;
    uint64_t u = 0;
    for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<unsigned char>(s[i]);
    std::memcpy(&d, &u, 8);
    return std::isfinite(d);
}

bool icontains(std::string_view hay, std::string_view needle) {
    if (hay.size() < needle.size()) return false;
    for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        size_t k = 0;
        while (k < needle.size()) {
            char c = hay[i + k];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
            if (c != needle[k]) break;
            ++k;
        }
        if (k == needle.size()) return true;
    }
    return false;
}

bool auto_numeric(std::string_view name) { return default_numeric_field(name); }

void put_buckets(std::string& out, const std::map<int32_t, uint64_t>& m) {
    put_varint(out, m.size());
    int64_t prev = 0;
    for (const auto& [i, c] : m) {
        put_varint(out, zigzag(static_cast<int64_t>(i) - prev));
        put_varint(out, c);
        prev = i;
    }
}

bool get_buckets(Reader& r, std::map<int32_t, uint64_t>& m, uint64_t& total) {
    uint64_t n;
    if (!r.varint(n) || n > r.left()) return false;
    int64_t prev = 0;
    for (uint64_t k = 0; k < n; ++k) {
        uint64_t z, c;
        if (!r.varint(z) || !r.varint(c) || c == 0) return false;
        const int64_t i = prev + unzigzag(z);
        if (i < INT32_MIN || i > INT32_MAX || (k && i <= prev)) return false;
        m[static_cast<int32_t>(i)] = c;
        total += c;
        prev = i;
    }
    return true;
}

}  // namespace

// ---- values -------------------------------------------------------------------------

bool lookup_path(const event::Batch& b, size_t i, std::string_view path, weir_value& out) {
    weir_node node = b.event(i).root;
    size_t start = 0;
    for (;;) {
        const size_t dot = path.find('.', start);
        const std::string_view part =
            path.substr(start, dot == std::string_view::npos ? path.npos : dot - start);
        if (!b.get(node, part, &out)) {
            if (start == 0 && dot == std::string_view::npos && path == "message") {
                const auto body = b.body(i);
                out.type = WEIR_VAL_STRING;
                out.as.s = weir_str{body.data(), body.size()};
                return true;
            }
            return false;
        }
        if (dot == std::string_view::npos) return true;
        if (out.type != WEIR_VAL_OBJECT) return false;
        node = out.as.node;
        start = dot + 1;
    }
}

std::optional<std::string> group_text(const weir_value& v) {
    switch (v.type) {
        case WEIR_VAL_STRING:
            return std::string(v.as.s.data, v.as.s.size);
        case WEIR_VAL_INT:
            return std::to_string(v.as.i);
        case WEIR_VAL_FLOAT: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", v.as.f);
            return std::string(buf);
        }
        case WEIR_VAL_BOOL:
            return std::string(v.as.b ? "true" : "false");
        case WEIR_VAL_NULL:
            return std::string("null");
        default:
            return std::nullopt;
    }
}

std::optional<double> number_of(const weir_value& v) {
    switch (v.type) {
        case WEIR_VAL_INT:
            return static_cast<double>(v.as.i);
        case WEIR_VAL_FLOAT:
            return std::isfinite(v.as.f) ? std::optional<double>(v.as.f) : std::nullopt;
        case WEIR_VAL_STRING: {
            const std::string s(v.as.s.data, v.as.s.size);
            if (s.empty()) return std::nullopt;
            char* end = nullptr;
            const double d = std::strtod(s.c_str(), &end);
            if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
            return d;
        }
        default:
            return std::nullopt;
    }
}

std::string_view message_of(const event::Batch& b, size_t i) {
    std::string_view msg = b.body(i);
    weir_value v;
    if (msg.empty() && b.get(b.event(i).root, "message", &v) && v.type == WEIR_VAL_STRING)
        msg = {v.as.s.data, v.as.s.size};
    return msg;
}

std::string message_template(std::string_view m) {
    std::string out;
    out.reserve(std::min(m.size(), kMaxTemplateBytes));
    auto word = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '-' || static_cast<unsigned char>(c) >= 0x80;
    };
    size_t i = 0;
    while (i < m.size() && out.size() < kMaxTemplateBytes) {
        if (!word(m[i])) {
            out.push_back(m[i++]);
            continue;
        }
        const size_t start = i;
        bool digit = false, only_digits = true;
        while (i < m.size() && word(m[i])) {
            const bool d = m[i] >= '0' && m[i] <= '9';
            digit |= d;
            only_digits &= d;
            ++i;
        }
        if (!digit)
            out.append(m.substr(start, i - start));
        else
            out.append(only_digits ? "<n>" : "<id>");
    }
    if (out.size() > kMaxTemplateBytes) {
        size_t cut = kMaxTemplateBytes;  // never split a UTF-8 sequence
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
    }
    return out;
}

uint64_t hash64(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    // murmur3's finaliser: FNV-1a alone leaves the high bits poorly mixed.
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

// ---- Sketch -------------------------------------------------------------------------

void Sketch::add(double x) {
    if (!n_) min_ = max_ = x;
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
    ++n_;
    const double a = std::fabs(x);
    if (a < kMinIndexable) {
        ++zero_;
        return;
    }
    const double idx = std::ceil(std::log(a) / kLogGamma);
    const auto i = static_cast<int32_t>(std::clamp(idx, -1e9, 1e9));
    ++(x > 0 ? pos_ : neg_)[i];
}

void Sketch::merge(const Sketch& o) {
    if (!o.n_) return;
    if (!n_) min_ = o.min_, max_ = o.max_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
    n_ += o.n_;
    zero_ += o.zero_;
    for (const auto& [i, c] : o.pos_) pos_[i] += c;
    for (const auto& [i, c] : o.neg_) neg_[i] += c;
}

std::optional<double> Sketch::quantile(double q) const {
    if (!n_) return std::nullopt;
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(n_) * (1 - 1e-12)));
    rank = std::clamp<uint64_t>(rank, 1, n_);
    if (rank == 1) return min_;
    if (rank == n_) return max_;
    auto mid = [](int32_t i) { return 2 * std::pow(kGamma, i) / (kGamma + 1); };
    uint64_t seen = 0;
    double v = max_;
    bool found = false;
    for (auto it = neg_.rbegin(); it != neg_.rend() && !found; ++it) {  // most negative first
        seen += it->second;
        if (seen >= rank) v = -mid(it->first), found = true;
    }
    if (!found) {
        seen += zero_;
        if (seen >= rank) v = 0, found = true;
    }
    for (auto it = pos_.begin(); it != pos_.end() && !found; ++it) {
        seen += it->second;
        if (seen >= rank) v = mid(it->first), found = true;
    }
    return std::clamp(v, min_, max_);
}

void Sketch::encode(std::string& out) const {
    put_varint(out, n_);
    put_varint(out, zero_);
    put_f64(out, min_);
    put_f64(out, max_);
    put_buckets(out, pos_);
    put_buckets(out, neg_);
}

bool Sketch::decode(Reader& r) {
    *this = Sketch{};
    uint64_t total = 0;
    if (!r.varint(n_) || !r.varint(zero_) || !get_f64(r, min_) || !get_f64(r, max_)) return false;
    total = zero_;
    if (!get_buckets(r, pos_, total) || !get_buckets(r, neg_, total)) return false;
    return total == n_ && min_ <= max_;
}

// ---- Hll ----------------------------------------------------------------------------

void Hll::add(uint64_t h) {
    if (reg_.empty()) reg_.assign(kM, 0);
    const size_t idx = h >> (64 - kP);
    const uint64_t rest = (h << kP) | (uint64_t{1} << (kP - 1));  // a stop bit bounds the rank
    const auto rank = static_cast<uint8_t>(__builtin_clzll(rest) + 1);
    if (rank > reg_[idx]) reg_[idx] = rank;
}

void Hll::merge(const Hll& o) {
    if (o.reg_.empty()) return;
    if (reg_.empty()) {
        reg_ = o.reg_;
        return;
    }
    for (size_t i = 0; i < kM; ++i) reg_[i] = std::max(reg_[i], o.reg_[i]);
}

double Hll::estimate() const {
    if (reg_.empty()) return 0;
    double sum = 0;
    size_t zeros = 0;
    for (uint8_t r : reg_) {
        sum += std::ldexp(1.0, -r);
        if (!r) ++zeros;
    }
    const double m = static_cast<double>(kM);
    const double alpha = 0.7213 / (1 + 1.079 / m);
    const double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros) return m * std::log(m / static_cast<double>(zeros));  // linear counting
    return e;
}

void Hll::encode(std::string& out) const {
    size_t nonzero = 0;
    for (uint8_t r : reg_) nonzero += r != 0;
    if (nonzero * 3 < kM) {  // sparse: (index delta, rank) pairs
        put_varint(out, 0);
        put_varint(out, nonzero);
        size_t prev = 0;
        for (size_t i = 0; i < reg_.size(); ++i) {
            if (!reg_[i]) continue;
            put_varint(out, i - prev);
            out.push_back(static_cast<char>(reg_[i]));
            prev = i;
        }
    } else {
        put_varint(out, 1);
        out.append(reinterpret_cast<const char*>(reg_.data()), reg_.size());
    }
}

bool Hll::decode(Reader& r) {
    reg_.assign(kM, 0);
    uint64_t kind;
    if (!r.varint(kind)) return false;
    if (kind == 1) {
        std::string_view raw;
        if (!r.raw(raw, kM)) return false;
        for (size_t i = 0; i < kM; ++i) {
            reg_[i] = static_cast<uint8_t>(raw[i]);
            if (reg_[i] > 64 - kP + 1) return false;
        }
        return true;
    }
    if (kind != 0) return false;
    uint64_t n;
    if (!r.varint(n) || n > kM) return false;
    uint64_t pos = 0;
    for (uint64_t k = 0; k < n; ++k) {
        uint64_t d;
        std::string_view rank;
        if (!r.varint(d) || !r.raw(rank, 1)) return false;
        pos += d;
        const auto v = static_cast<uint8_t>(rank[0]);
        if (pos >= kM || (k && d == 0) || v == 0 || v > 64 - kP + 1) return false;
        reg_[pos] = v;
    }
    return true;
}

// ---- a minute ------------------------------------------------------------------------

void MinuteRollup::merge(const MinuteRollup& o) {
    events += o.events;
    irregular += o.irregular;
    damaged |= o.damaged;
    sketch_overflow |= o.sketch_overflow;
    for (const auto& [k, c] : o.counts) counts[k] += c;
    for (const auto& [f, s] : o.sketches) {
        auto it = sketches.find(f);
        if (it != sketches.end()) {
            it->second.merge(s);
        } else if (sketches.size() < kMaxSketchFieldsPerMinute) {
            sketches.emplace(f, s);
        } else {
            sketch_overflow = true;
        }
    }
    template_other += o.template_other;
    for (const auto& [t, c] : o.templates) {
        auto it = templates.find(t);
        if (it != templates.end())
            it->second += c;
        else if (templates.size() < kMaxTemplatesPerMinute)
            templates.emplace(t, c);
        else
            template_other += c;
    }
    for (const auto& [f, h] : o.hlls) hlls[f].merge(h);
}

void MinuteRollup::encode(std::string& out) const {
    const size_t start = out.size();
    out.append(kMagic, 2);
    put_varint(out, kVersion);
    put_varint(out, events);
    put_varint(out, irregular);
    put_varint(out, (damaged ? 1u : 0u) | (sketch_overflow ? 2u : 0u));
    put_varint(out, template_other);
    put_u32(out, block_crc(std::string_view(out).substr(start)));
    // Each section with its own checksum: a query checks only what it reads.
    auto put_section = [&](std::string_view sec) {
        put_bytes(out, sec);
        put_u32(out, block_crc(sec));
    };
    std::string sec;
    put_varint(sec, counts.size());
    for (const auto& [k, c] : counts) {
        put_bytes(sec, k);
        put_varint(sec, c);
    }
    put_section(sec);
    sec.clear();
    put_varint(sec, sketches.size());
    for (const auto& [f, s] : sketches) {
        put_bytes(sec, f);
        s.encode(sec);
    }
    put_section(sec);
    sec.clear();
    put_varint(sec, templates.size());
    for (const auto& [t, c] : templates) {
        put_bytes(sec, t);
        put_varint(sec, c);
    }
    {  // templates are most of a minute's bytes and repeat words: compressed
        std::string z;
        put_varint(z, sec.size());
        const size_t at = z.size();
        z.resize(at + ZSTD_compressBound(sec.size()));
        const size_t n = ZSTD_compress(z.data() + at, z.size() - at, sec.data(), sec.size(), 3);
        z.resize(ZSTD_isError(n) ? at : at + n);
        put_section(z);
    }
    sec.clear();
    put_varint(sec, hlls.size());
    for (const auto& [f, h] : hlls) {
        put_bytes(sec, f);
        h.encode(sec);
    }
    put_section(sec);
}

bool parse_rollup(std::string_view value, RollupView& v, unsigned sections) {
    Reader r(value);
    std::string_view magic, crc;
    uint64_t version, flags;
    if (!r.raw(magic, 2) || magic != std::string_view(kMagic, 2)) return false;
    if (!r.varint(version) || version != kVersion) return false;
    if (!r.varint(v.events) || !r.varint(v.irregular) || !r.varint(flags) || !r.varint(v.template_other))
        return false;
    const size_t head = value.size() - r.left();
    if (!r.raw(crc, 4) || get_u32(crc.data()) != block_crc(value.substr(0, head))) return false;
    if (flags > 3) return false;
    v.damaged = flags & 1;
    v.sketch_overflow = flags & 2;
    std::string_view* secs[] = {&v.counts, &v.sketches, &v.templates, &v.hlls};
    for (unsigned k = 0; k < 4; ++k) {
        if (!r.bytes(*secs[k]) || !r.raw(crc, 4)) return false;
        if ((sections & (1u << k)) && get_u32(crc.data()) != block_crc(*secs[k])) return false;
    }
    return r.done() && v.irregular <= v.events && v.template_other <= v.events;
}

bool decode_rollup(std::string_view value, MinuteRollup& out) {
    out = MinuteRollup{};
    RollupView v;
    if (!parse_rollup(value, v)) return false;
    out.events = v.events;
    out.damaged = v.damaged;
    out.irregular = v.irregular;
    out.sketch_overflow = v.sketch_overflow;
    out.template_other = v.template_other;
    uint64_t counted = 0, templated = 0;
    bool ok = for_each_count(v.counts, [&](std::string_view k, uint64_t c) {
        out.counts[std::string(k)] += c;
        counted += c;
    });
    std::string tbuf;
    std::string_view tsec;
    ok = ok && read_templates(v, tbuf, tsec);
    ok = ok && for_each_count(tsec, [&](std::string_view t, uint64_t c) {
             out.templates[std::string(t)] += c;
             templated += c;
         });
    if (!ok || counted + v.irregular != v.events || templated + v.template_other != v.events) return false;
    for (const auto& [k, c] : out.counts) {
        std::array<std::optional<std::string_view>, 3> parts;
        if (!parse_key_blob(k, parts)) return false;
    }
    Reader sr(v.sketches);
    uint64_t n;
    if (!sr.varint(n) || n > kMaxSketchFieldsPerMinute) return false;
    for (uint64_t k = 0; k < n; ++k) {
        std::string_view f;
        Sketch s;
        if (!sr.bytes(f) || !s.decode(sr) || s.count() > v.events) return false;
        out.sketches[std::string(f)] = std::move(s);
    }
    if (!sr.done()) return false;
    Reader hr(v.hlls);
    if (!hr.varint(n) || n > kMaxEntries) return false;
    for (uint64_t k = 0; k < n; ++k) {
        std::string_view f;
        Hll h;
        if (!hr.bytes(f) || !h.decode(hr)) return false;
        out.hlls[std::string(f)] = std::move(h);
    }
    return hr.done();
}

bool read_templates(const RollupView& v, std::string& buf, std::string_view& out) {
    Reader r(v.templates);
    uint64_t raw;
    if (!r.varint(raw) || raw > (64u << 20)) return false;
    std::string_view z;
    r.raw(z, r.left());
    if (ZSTD_getFrameContentSize(z.data(), z.size()) != raw) return false;
    buf.resize(raw);
    const size_t n = ZSTD_decompress(buf.data(), buf.size(), z.data(), z.size());
    if (ZSTD_isError(n) || n != raw) return false;
    out = buf;
    return true;
}

bool parse_key_blob(std::string_view blob, std::array<std::optional<std::string_view>, 3>& out) {
    Reader r(blob);
    for (auto& p : out) {
        uint64_t len;
        if (!r.varint(len)) return false;
        if (len == 0) {
            p.reset();
            continue;
        }
        std::string_view s;
        if (!r.raw(s, len - 1)) return false;
        p = s;
    }
    return r.done();
}

void put_key_blob(std::string& out, const std::array<std::optional<std::string_view>, 3>& parts) {
    for (const auto& p : parts) {
        if (!p) {
            put_varint(out, 0);
            continue;
        }
        put_varint(out, p->size() + 1);
        out.append(*p);
    }
}

int find_sketch(std::string_view section, std::string_view field, Sketch& out) {
    Reader r(section);
    uint64_t n;
    if (!r.varint(n) || n > kMaxSketchFieldsPerMinute) return -1;
    for (uint64_t k = 0; k < n; ++k) {
        std::string_view f;
        if (!r.bytes(f) || !out.decode(r)) return -1;
        if (f == field) return 1;
    }
    out = Sketch{};
    return r.done() ? 0 : -1;
}

int find_hll(std::string_view section, std::string_view field, Hll& out) {
    Reader r(section);
    uint64_t n;
    if (!r.varint(n) || n > kMaxEntries) return -1;
    for (uint64_t k = 0; k < n; ++k) {
        std::string_view f;
        if (!r.bytes(f) || !out.decode(r)) return -1;
        if (f == field) return 1;
    }
    out = Hll{};
    return r.done() ? 0 : -1;
}

bool RollupConfig::tracks_numeric(std::string_view field) const {
    if (numeric_fields.empty()) return auto_numeric(field);
    return std::find(numeric_fields.begin(), numeric_fields.end(), field) != numeric_fields.end();
}

bool RollupConfig::tracks_unique(std::string_view field) const {
    return std::find(unique_fields.begin(), unique_fields.end(), field) != unique_fields.end();
}

void add_to_rollup(const RollupConfig& cfg, const event::Batch& b, size_t i, MinuteRollup& r) {
    ++r.events;
    const weir_node root = b.event(i).root;
    std::array<std::optional<std::string_view>, 3> parts;
    int seen[3] = {0, 0, 0};
    bool irregular = false;
    std::vector<std::string_view> auto_fields;
    for (weir_entry e = b.first(root); e; e = b.next(e)) {
        const auto& x = b.entry(e);
        const std::string_view key{x.key.data, x.key.size};
        for (size_t k = 0; k < 3; ++k) {
            if (key != kRollupKeyFields[k]) continue;
            if (++seen[k] > 1 || x.value.type != WEIR_VAL_STRING) irregular = true;
            parts[k] = std::string_view{x.value.as.s.data, x.value.as.s.size};
        }
        if (cfg.numeric_fields.empty() && auto_numeric(key) &&
            std::find(auto_fields.begin(), auto_fields.end(), key) == auto_fields.end())
            auto_fields.push_back(key);
    }
    if (irregular) {
        ++r.irregular;
    } else {
        std::string blob;
        put_key_blob(blob, parts);
        ++r.counts[blob];
    }
    weir_value v;
    auto add_number = [&](std::string_view field) {
        if (!lookup_path(b, i, field, v)) return;
        const auto x = number_of(v);
        if (!x) return;
        auto it = r.sketches.find(field);
        if (it == r.sketches.end()) {
            if (r.sketches.size() >= kMaxSketchFieldsPerMinute) {
                r.sketch_overflow = true;
                return;
            }
            it = r.sketches.emplace(std::string(field), Sketch{}).first;
        }
        it->second.add(*x);
    };
    if (cfg.numeric_fields.empty())
        for (auto f : auto_fields) add_number(f);
    else
        for (const auto& f : cfg.numeric_fields) add_number(f);
    for (const auto& f : cfg.unique_fields) {
        if (!lookup_path(b, i, f, v)) continue;
        const auto text = group_text(v);
        if (text) r.hlls[f].add(hash64(*text));
    }
    std::string t = message_template(message_of(b, i));
    auto it = r.templates.find(t);
    if (it != r.templates.end())
        ++it->second;
    else if (r.templates.size() < kMaxTemplatesPerMinute)
        r.templates.emplace(std::move(t), 1);
    else
        ++r.template_other;
}

std::string rollup_key(int64_t minute) {
    std::string k;
    put_be64(k, static_cast<uint64_t>(minute) ^ (uint64_t{1} << 63));
    return k;
}

}  // namespace weir::store::detail

namespace weir::store {

bool default_numeric_field(std::string_view name) {
    return name.find('.') == std::string_view::npos &&
           (detail::icontains(name, "latency") || detail::icontains(name, "duration"));
}

}  // namespace weir::store
