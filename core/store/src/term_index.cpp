#include <roaring/roaring.h>

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

std::string number_key(std::string_view field, std::string_view number_text) {
    return keyed("n:" + std::string(field) + "=" + std::string(number_text), field);
}

std::string_view numeric_mark_key() { return "m:numeric"; }

const std::string& numeric_mark_value() {
    static const std::string v = [] {
        Bitmap b = make_bitmap();
        return encode_bitmap(b.get());
    }();
    return v;
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
    const bool numbers = numeric_terms();
    for (const auto& f : fields) {
        if (!lookup_path(b, i, f, v)) continue;
        std::optional<double> x;
        if (v.type == WEIR_VAL_STRING) {
            std::string lower(v.as.s.data, v.as.s.size);
            for (char& c : lower)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
            out.push_back(field_key(f, lower));
            if (numbers) x = condition::read_number({v.as.s.data, v.as.s.size});
        } else if (numbers && v.type == WEIR_VAL_INT) {
            x = static_cast<double>(v.as.i);  // as the condition compares it
        } else if (numbers && v.type == WEIR_VAL_FLOAT && std::isfinite(v.as.f)) {
            x = v.as.f;
        }
        if (x) out.push_back(number_key(f, condition::number_key_text(*x)));
    }
}

}  // namespace weir::store
