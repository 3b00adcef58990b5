#include <cstring>
#include <weir/event/batch.hpp>
#include <weir/event/codec.hpp>

namespace weir::event {
namespace {

constexpr char kMagic[4] = {'W', 'B', '1', '\0'};
constexpr int kMaxDepth = 128;

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}
uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void put_bytes(std::string& out, weir_str s) {
    put_varint(out, s.size);
    if (s.size) out.append(s.data, s.size);
}

void put_value(std::string& out, const Batch& b, const weir_value& v) {
    out.push_back(static_cast<char>(v.type));
    switch (v.type) {
        case WEIR_VAL_BOOL:
            out.push_back(v.as.b ? 1 : 0);
            break;
        case WEIR_VAL_INT:
            put_varint(out, zigzag(v.as.i));
            break;
        case WEIR_VAL_FLOAT: {
            char buf[8];
            std::memcpy(buf, &v.as.f, 8);  // x86-64 is little-endian
            out.append(buf, 8);
            break;
        }
        case WEIR_VAL_STRING:
            put_bytes(out, v.as.s);
            break;
        case WEIR_VAL_OBJECT:
        case WEIR_VAL_ARRAY: {
            uint64_t n = 0;
            for (weir_entry e = b.first(v.as.node); e; e = b.next(e)) ++n;
            put_varint(out, n);
            for (weir_entry e = b.first(v.as.node); e; e = b.next(e)) {
                const Entry& x = b.entry(e);
                if (v.type == WEIR_VAL_OBJECT) put_bytes(out, x.key);
                put_value(out, b, x.value);
            }
            break;
        }
        default:
            break;
    }
}

class Reader {
public:
    explicit Reader(std::string_view d) : p_(d.data()), end_(d.data() + d.size()) {}
    bool varint(uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (p_ >= end_) return false;
            const auto c = static_cast<unsigned char>(*p_++);
            v |= static_cast<uint64_t>(c & 0x7F) << shift;
            if (!(c & 0x80)) return true;
        }
        return false;
    }
    bool bytes(std::string_view& s) {
        uint64_t n;
        if (!varint(n) || n > static_cast<uint64_t>(end_ - p_)) return false;
        s = {p_, static_cast<size_t>(n)};
        p_ += n;
        return true;
    }
    bool byte(unsigned char& c) {
        if (p_ >= end_) return false;
        c = static_cast<unsigned char>(*p_++);
        return true;
    }
    bool raw(void* dst, size_t n) {
        if (static_cast<size_t>(end_ - p_) < n) return false;
        std::memcpy(dst, p_, n);
        p_ += n;
        return true;
    }
    bool done() const { return p_ == end_; }

private:
    const char* p_;
    const char* end_;
};

bool get_value(Reader& r, Batch& b, weir_node parent, std::string_view key, int depth) {
    if (depth > kMaxDepth) return false;
    unsigned char type;
    if (!r.byte(type)) return false;
    weir_value v{};
    v.type = type;
    switch (type) {
        case WEIR_VAL_NULL:
            break;
        case WEIR_VAL_BOOL: {
            unsigned char c;
            if (!r.byte(c)) return false;
            v.as.b = c ? 1 : 0;
            break;
        }
        case WEIR_VAL_INT: {
            uint64_t u;
            if (!r.varint(u)) return false;
            v.as.i = unzigzag(u);
            break;
        }
        case WEIR_VAL_FLOAT:
            if (!r.raw(&v.as.f, 8)) return false;
            break;
        case WEIR_VAL_STRING: {
            std::string_view s;
            if (!r.bytes(s)) return false;
            v.as.s = weir_str{s.data(), s.size()};
            break;
        }
        case WEIR_VAL_OBJECT:
        case WEIR_VAL_ARRAY: {
            const weir_node node = b.put(parent, key, v, WEIR_PUT_APPEND);
            uint64_t n;
            if (!r.varint(n)) return false;
            for (uint64_t i = 0; i < n; ++i) {
                std::string_view k;
                if (type == WEIR_VAL_OBJECT && !r.bytes(k)) return false;
                if (!get_value(r, b, node, k, depth + 1)) return false;
            }
            return true;
        }
        default:
            return false;
    }
    b.put(parent, key, v, WEIR_PUT_APPEND);
    return true;
}

}  // namespace

void encode_batch(const Batch& batch, std::string& out) {
    out.append(kMagic, 4);
    put_varint(out, batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
        const EventRecord& ev = batch.event(i);
        put_varint(out, zigzag(ev.time_ns));
        put_varint(out, ev.flags);
        put_bytes(out, ev.body);
        weir_value root{};
        root.type = WEIR_VAL_OBJECT;
        root.as.node = ev.root;
        // The root is written without its type byte's container semantics
        // differing from any other object.
        put_value(out, batch, root);
    }
}

bool decode_batch(std::string_view data, Batch& batch, std::string* error) {
    auto fail = [&](const char* why) {
        if (error) *error = why;
        return false;
    };
    if (data.size() < 4 || std::memcmp(data.data(), kMagic, 4) != 0)
        return fail("not an encoded batch (bad magic)");
    Reader r(data.substr(4));
    uint64_t count;
    if (!r.varint(count)) return fail("truncated header");
    for (uint64_t i = 0; i < count; ++i) {
        uint64_t t, flags;
        std::string_view body;
        if (!r.varint(t) || !r.varint(flags) || !r.bytes(body)) return fail("truncated event");
        const size_t idx = batch.add(body, unzigzag(t), static_cast<uint32_t>(flags));
        unsigned char type;
        if (!r.byte(type) || type != WEIR_VAL_OBJECT) return fail("event fields are not an object");
        uint64_t n;
        if (!r.varint(n)) return fail("truncated fields");
        const weir_node root = batch.event(idx).root;
        for (uint64_t k = 0; k < n; ++k) {
            std::string_view key;
            if (!r.bytes(key) || !get_value(r, batch, root, key, 1)) return fail("malformed field");
        }
    }
    if (!r.done()) return fail("trailing bytes after the last event");
    return true;
}

}  // namespace weir::event
