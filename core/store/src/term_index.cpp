#include <roaring/roaring.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <weir/condition/index_hint.hpp>
#include <weir/event/batch.hpp>
#include <weir/store/block.hpp>
#include <weir/store/term_index.hpp>

#include "bytes.hpp"

namespace weir::store {

void BitmapDeleter::operator()(roaring_bitmap_t* r) const { roaring_bitmap_free(r); }
Bitmap make_bitmap() { return Bitmap(roaring_bitmap_create()); }

namespace {
constexpr size_t kMaxKeyBytes = 480;  // LMDB's limit is 511

uint64_t fnv1a(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h;
}
}  // namespace

std::string_view word_key_prefix() { return "w:"; }

bool indexed_word(std::string_view token) {
    if (token.size() < 5) return true;
    for (char c : token)
        if (c < '0' || c > '9') return true;
    return false;
}

std::string word_key(std::string_view token) { return "w:" + std::string(token); }

namespace {
std::string keyed(std::string k, std::string_view field) {
    if (k.size() <= kMaxKeyBytes) return k;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(k)));
    return "h:" + std::string(field.substr(0, 200)) + "=" + hex;
}

std::atomic<bool> g_numeric_terms{true};
}  // namespace

std::string field_key(std::string_view field, std::string_view value_lower) {
    return keyed("f:" + std::string(field) + "=" + std::string(value_lower), field);
}

uint32_t number_hash(std::string_view field, std::string_view number_text) {
    uint64_t h = fnv1a(field);
    h ^= 0x3d;  // '=' between the parts, so ("a", "1=2") and ("a=1", "2") differ
    h *= 1099511628211ull;
    for (char c : number_text) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return static_cast<uint32_t>(h ^ (h >> 32));
}

std::string number_digest_key(uint64_t block_id) {
    std::string k = "v:";
    detail::put_be64(k, block_id);
    return k;
}

std::string encode_number_digest(std::vector<uint32_t>& hashes) {
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    std::string out;
    out.reserve(hashes.size() * 4 + 4);
    for (uint32_t h : hashes) detail::put_u32(out, h);
    detail::put_u32(out, block_crc(out));
    return out;
}

int number_digest_has(std::string_view d, uint32_t h) {
    if (d.size() < 4 || d.size() % 4 != 0) return -1;
    const std::string_view body = d.substr(0, d.size() - 4);
    if (detail::get_u32(d.data() + body.size()) != block_crc(body)) return -1;
    size_t lo = 0, hi = body.size() / 4;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        const uint32_t v = detail::get_u32(body.data() + mid * 4);
        if (v == h) return 1;
        if (v < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

bool numeric_terms() { return g_numeric_terms.load(std::memory_order_relaxed); }
void set_numeric_terms_for_testing(bool on) { g_numeric_terms.store(on); }

std::string encode_bitmap(const roaring_bitmap_t* r) {
    roaring_bitmap_t* copy = roaring_bitmap_copy(r);
    roaring_bitmap_run_optimize(copy);
    std::string out(roaring_bitmap_portable_size_in_bytes(copy), '\0');
    roaring_bitmap_portable_serialize(copy, out.data());
    roaring_bitmap_free(copy);
    detail::put_u32(out, block_crc(out));
    return out;
}

Bitmap decode_bitmap(std::string_view bytes) {
    if (bytes.size() < 4) return nullptr;
    const std::string_view body = bytes.substr(0, bytes.size() - 4);
    if (detail::get_u32(bytes.data() + body.size()) != block_crc(body)) return nullptr;
    Bitmap r(roaring_bitmap_portable_deserialize_safe(body.data(), body.size()));
    if (r && roaring_bitmap_portable_size_in_bytes(r.get()) != body.size()) return nullptr;
    return r;
}

namespace {

bool lookup_path(const event::Batch& b, size_t i, std::string_view path, weir_value& out) {
    weir_node node = b.event(i).root;
    size_t start = 0;
    for (;;) {
        const size_t dot = path.find('.', start);
        const std::string_view part =
            path.substr(start, dot == std::string_view::npos ? path.npos : dot - start);
        if (!b.get(node, part, &out)) return false;
        if (dot == std::string_view::npos) return true;
        if (out.type != WEIR_VAL_OBJECT) return false;
        node = out.as.node;
        start = dot + 1;
    }
}

}  // namespace

void event_terms(const event::Batch& b, size_t i, const std::vector<std::string>& fields,
                 std::vector<std::string>& out, std::string& scratch) {
    std::string_view msg = b.body(i);
    weir_value v;
    if (msg.empty() && b.get(b.event(i).root, "message", &v) && v.type == WEIR_VAL_STRING)
        msg = {v.as.s.data, v.as.s.size};
    condition::for_each_token(msg, scratch, [&](std::string_view t) {
        if (indexed_word(t)) out.push_back(word_key(t));
    });
    for (const auto& f : fields) {
        if (!lookup_path(b, i, f, v) || v.type != WEIR_VAL_STRING) continue;
        std::string lower(v.as.s.data, v.as.s.size);
        for (char& c : lower)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        out.push_back(field_key(f, lower));
    }
}

void event_numbers(const event::Batch& b, size_t i, const std::vector<std::string>& fields,
                   std::vector<uint32_t>& out) {
    weir_value v;
    for (const auto& f : fields) {
        if (!lookup_path(b, i, f, v)) continue;
        std::optional<double> x;
        if (v.type == WEIR_VAL_STRING)
            x = condition::read_number({v.as.s.data, v.as.s.size});
        else if (v.type == WEIR_VAL_INT)
            x = static_cast<double>(v.as.i);  // as the condition compares it
        else if (v.type == WEIR_VAL_FLOAT && std::isfinite(v.as.f))
            x = v.as.f;
        if (x) out.push_back(number_hash(f, condition::number_key_text(*x)));
    }
}

}  // namespace weir::store
