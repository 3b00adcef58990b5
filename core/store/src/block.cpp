#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <numeric>
#include <weir/event/batch.hpp>
#include <weir/event/codec.hpp>
#include <weir/store/block.hpp>

#include "bytes.hpp"

namespace weir::store {
namespace {

using namespace detail;

constexpr char kMagic[4] = {'W', 'S', 'B', '1'};
constexpr uint64_t kVersion1 = 1, kVersion2 = 2;
constexpr uint64_t kMaxRows = 1u << 20;
constexpr uint64_t kMaxRawBytes = 1ull << 30;
constexpr int kZstdLevel = 2;

bool fail(std::string* error, const char* why) {
    if (error) *error = why;
    return false;
}

int dict_index(std::string_view key) {
    for (size_t k = 0; k < kDictFields.size(); ++k)
        if (kDictFields[k] == key) return static_cast<int>(k);
    return -1;
}

/// Deep copy of a value into `dst` under `parent`.
void copy_value(const event::Batch& src, const weir_value& v, event::Batch& dst, weir_node parent,
                std::string_view key) {
    const weir_node made = dst.put(parent, key, v, WEIR_PUT_APPEND);
    if (v.type != WEIR_VAL_OBJECT && v.type != WEIR_VAL_ARRAY) return;
    for (weir_entry e = src.first(v.as.node); e; e = src.next(e)) {
        const auto& x = src.entry(e);
        copy_value(src, x.value, dst, made, {x.key.data, x.key.size});
    }
}

void compress_section(std::string_view raw, ZSTD_CCtx* cctx, std::string& out) {
    put_varint(out, raw.size());
    std::string buf(ZSTD_compressBound(raw.size()), '\0');
    size_t n = ZSTD_compressCCtx(cctx, buf.data(), buf.size(), raw.data(), raw.size(), kZstdLevel);
    if (ZSTD_isError(n)) n = 0;  // cannot happen with a bound-sized buffer
    buf.resize(n);
    put_bytes(out, buf);
}

bool decompress_section(Reader& r, ZSTD_DCtx* dctx, std::string& raw) {
    uint64_t raw_len;
    std::string_view comp;
    if (!r.varint(raw_len) || raw_len > kMaxRawBytes || !r.bytes(comp)) return false;
    const unsigned long long framed = ZSTD_getFrameContentSize(comp.data(), comp.size());
    if (framed != raw_len) return false;
    raw.resize(raw_len);
    const size_t n = ZSTD_decompressDCtx(dctx, raw.data(), raw.size(), comp.data(), comp.size());
    return !ZSTD_isError(n) && n == raw_len;
}

bool read_header(Reader& r, BlockHeader& h) {
    std::string_view magic;
    uint64_t version, count, zmin, zmax;
    if (!r.raw(magic, 4) || magic != std::string_view(kMagic, 4)) return false;
    if (!r.varint(version) || (version != kVersion1 && version != kVersion2)) return false;
    h.version = static_cast<uint32_t>(version);
    if (!r.varint(count) || count > kMaxRows || !r.varint(zmin) || !r.varint(zmax)) return false;
    h.count = static_cast<uint32_t>(count);
    h.min_ns = unzigzag(zmin);
    h.max_ns = unzigzag(zmax);
    if (h.min_ns > h.max_ns && count) return false;
    for (auto& d : h.dicts) {
        uint64_t n;
        if (!r.varint(n) || n > count) return false;
        d.clear();
        d.reserve(n);
        for (uint64_t k = 0; k < n; ++k) {
            std::string_view text;
            uint64_t c;
            if (!r.bytes(text) || !r.varint(c) || c > count) return false;
            d.push_back({std::string(text), static_cast<uint32_t>(c)});
        }
    }
    return true;
}

bool check_crc(std::string_view data, std::string_view& body) {
    if (data.size() < 8) return false;
    body = data.substr(0, data.size() - 4);
    return get_u32(data.data() + body.size()) == block_crc(body);
}

}  // namespace

uint32_t block_crc(std::string_view b) {
    return static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size())));
}

void encode_block(const event::Batch& src, const std::vector<uint32_t>& rows_in, ZSTD_CCtx* cctx,
                  std::string& out, int version) {
    std::vector<uint32_t> rows = rows_in;
    std::stable_sort(rows.begin(), rows.end(),
                     [&](uint32_t a, uint32_t b) { return src.event(a).time_ns < src.event(b).time_ns; });
    const size_t n = rows.size();
    BlockHeader h;
    h.count = static_cast<uint32_t>(n);
    if (n) {
        h.min_ns = src.event(rows.front()).time_ns;
        h.max_ns = src.event(rows.back()).time_ns;
    }

    // Dictionary columns (a top-level string field present once in its event)
    // and the rest of each event for the batch codec.
    std::array<std::vector<uint32_t>, kDictFields.size()> ids;
    for (auto& v : ids) v.assign(n, 0);
    const size_t per_frame = version == 1 ? std::max<size_t>(n, 1) : frame_rows(n);
    const size_t nframes = (n + per_frame - 1) / per_frame;
    std::vector<event::Batch> rests(std::max<size_t>(nframes, 1));
    std::vector<std::string> bodies(rests.size());
    for (size_t r = 0; r < n; ++r) {
        const auto& ev = src.event(rows[r]);
        event::Batch& rest = rests[r / per_frame];
        put_bytes(bodies[r / per_frame], {ev.body.data, ev.body.size});
        const size_t j = rest.add({}, 0, 0, true);
        const weir_node root = rest.event(j).root;
        int seen[kDictFields.size()] = {};
        for (weir_entry e = src.first(ev.root); e; e = src.next(e)) {
            const int d = dict_index({src.entry(e).key.data, src.entry(e).key.size});
            if (d >= 0) ++seen[d];
        }
        for (weir_entry e = src.first(ev.root); e; e = src.next(e)) {
            const auto& x = src.entry(e);
            const std::string_view key{x.key.data, x.key.size};
            const int d = dict_index(key);
            if (d >= 0 && seen[d] == 1 && x.value.type == WEIR_VAL_STRING) {
                const std::string_view text{x.value.as.s.data, x.value.as.s.size};
                auto& dict = h.dicts[d];
                size_t k = 0;
                while (k < dict.size() && dict[k].text != text) ++k;
                if (k == dict.size()) dict.push_back({std::string(text), 0});
                ++dict[k].count;
                ids[d][r] = static_cast<uint32_t>(k + 1);
                continue;
            }
            copy_value(src, x.value, rest, root, key);
        }
    }

    const size_t start = out.size();
    out.append(kMagic, 4);
    put_varint(out, version == 1 ? kVersion1 : kVersion2);
    put_varint(out, n);
    put_varint(out, zigzag(h.min_ns));
    put_varint(out, zigzag(h.max_ns));
    for (const auto& d : h.dicts) {
        put_varint(out, d.size());
        for (const auto& v : d) {
            put_bytes(out, v.text);
            put_varint(out, v.count);
        }
    }
    std::string col;
    int64_t prev = h.min_ns;
    for (size_t r = 0; r < n; ++r) {
        const int64_t t = src.event(rows[r]).time_ns;
        put_varint(col, static_cast<uint64_t>(t) - static_cast<uint64_t>(prev));
        prev = t;
    }
    put_bytes(out, col);
    col.clear();
    for (size_t r = 0; r < n; ++r) put_varint(col, src.event(rows[r]).flags);
    put_bytes(out, col);
    for (const auto& v : ids) {
        col.clear();
        for (uint32_t id : v) put_varint(col, id);
        put_bytes(out, col);
    }
    std::string encoded;
    if (version == 1) {
        compress_section(bodies[0], cctx, out);
        event::encode_batch(rests[0], encoded);
        compress_section(encoded, cctx, out);
        put_u32(out, block_crc(std::string_view(out).substr(start)));
        return;
    }
    // Version 2: the header and columns end with their own checksum, then
    // each frame: bytes(varint(raw) bytes(zstd bodies) varint(raw) bytes(zstd
    // fields) u32 CRC of the frame before it).
    put_varint(out, per_frame);
    put_varint(out, nframes);
    put_u32(out, block_crc(std::string_view(out).substr(start)));
    std::string frame;
    for (size_t f = 0; f < nframes; ++f) {
        frame.clear();
        compress_section(bodies[f], cctx, frame);
        encoded.clear();
        event::encode_batch(rests[f], encoded);
        compress_section(encoded, cctx, frame);
        put_u32(frame, block_crc(frame));
        put_bytes(out, frame);
    }
}

namespace {

/// A parsed block: its header, its row columns, and where its data is.
struct Parsed {
    BlockHeader h;
    std::string_view times, flags;
    std::array<std::string_view, kDictFields.size()> ids;
    // Version 1: the two compressed sections in `rest1`. Version 2: frames.
    std::string_view rest1;
    size_t per_frame = 0;
    std::vector<std::string_view> frames;
};

bool parse_block(std::string_view data, Parsed& p, std::string* error) {
    Reader peek(data);
    std::string_view magic;
    uint64_t version = 0;
    if (!peek.raw(magic, 4) || magic != std::string_view(kMagic, 4) || !peek.varint(version))
        return fail(error, "malformed block header");
    std::string_view body = data;
    if (version == kVersion1) {
        if (!check_crc(data, body)) return fail(error, "block checksum mismatch");
    } else if (version != kVersion2) {
        return fail(error, "unknown block format version");
    }
    Reader r(body);
    if (!read_header(r, p.h)) return fail(error, "malformed block header");
    if (!r.bytes(p.times) || !r.bytes(p.flags)) return fail(error, "truncated block columns");
    for (auto& c : p.ids)
        if (!r.bytes(c)) return fail(error, "truncated block columns");
    if (version == kVersion1) {
        std::string_view rest;
        r.raw(rest, r.left());
        p.rest1 = rest;
        return true;
    }
    uint64_t per_frame, nframes;
    if (!r.varint(per_frame) || !r.varint(nframes) || nframes > kMaxFrames || per_frame == 0 ||
        per_frame > kMaxRows || (p.h.count + per_frame - 1) / per_frame != nframes)
        return fail(error, "malformed block frames");
    const size_t head = data.size() - r.left();
    std::string_view crc;
    if (!r.raw(crc, 4) || get_u32(crc.data()) != block_crc(data.substr(0, head)))
        return fail(error, "block checksum mismatch");
    p.per_frame = per_frame;
    p.frames.resize(nframes);
    for (auto& f : p.frames)
        if (!r.bytes(f) || f.size() < 4) return fail(error, "truncated block frames");
    if (!r.done()) return fail(error, "trailing bytes in block");
    return true;
}

/// The row columns, decoded once per block (a few bytes a row).
struct Columns {
    std::vector<int64_t> times;
    std::vector<uint32_t> flags;
    std::array<std::vector<uint32_t>, kDictFields.size()> ids;
};

bool decode_columns(const Parsed& p, Columns& c, std::string* error) {
    const size_t total = p.h.count;
    Reader tr(p.times), fr(p.flags);
    c.times.resize(total);
    c.flags.resize(total);
    uint64_t t = static_cast<uint64_t>(p.h.min_ns);
    for (size_t k = 0; k < total; ++k) {
        uint64_t dt, f;
        if (!tr.varint(dt) || !fr.varint(f)) return fail(error, "truncated block column");
        t += dt;
        c.times[k] = static_cast<int64_t>(t);
        c.flags[k] = static_cast<uint32_t>(f);
    }
    if (total && static_cast<int64_t>(t) != p.h.max_ns)
        return fail(error, "block times disagree with header");
    for (size_t d = 0; d < kDictFields.size(); ++d) {
        Reader ir(p.ids[d]);
        c.ids[d].resize(total);
        for (size_t k = 0; k < total; ++k) {
            uint64_t id;
            if (!ir.varint(id) || id > p.h.dicts[d].size()) return fail(error, "bad dictionary id");
            c.ids[d][k] = static_cast<uint32_t>(id);
        }
    }
    return true;
}

/// Appends rows [first, first + n) of the block, whose bodies and fields are
/// in `sections` (two compressed sections), to `out`.
bool decode_rows(const Parsed& p, const Columns& c, std::string_view sections, size_t first, size_t n,
                 event::Batch& out, ZSTD_DCtx* dctx, std::string* error) {
    Reader r(sections);
    std::string bodies, rest;
    if (!decompress_section(r, dctx, bodies) || !decompress_section(r, dctx, rest))
        return fail(error, "corrupt compressed block section");
    if (!r.done()) return fail(error, "trailing bytes in block");
    const size_t base = out.size();
    if (!event::decode_batch(rest, out, nullptr)) return fail(error, "corrupt block fields");
    if (out.size() - base != n) return fail(error, "block row count mismatch");
    Reader br(bodies);
    for (size_t k = 0; k < n; ++k) {
        std::string_view b;
        if (!br.bytes(b)) return fail(error, "truncated block column");
        out.set_body(base + k, b);
        auto& ev = out.event(base + k);
        ev.time_ns = c.times[first + k];
        ev.flags = c.flags[first + k];
        for (size_t d = 0; d < kDictFields.size(); ++d) {
            const uint32_t id = c.ids[d][first + k];
            if (!id) continue;
            const std::string& text = p.h.dicts[d][id - 1].text;
            weir_value v{};
            v.type = WEIR_VAL_STRING;
            v.as.s = weir_str{text.data(), text.size()};
            out.put(ev.root, kDictFields[d], v, WEIR_PUT_APPEND);  // copies into the arena
        }
    }
    if (!br.done()) return fail(error, "trailing bytes in block bodies");
    return true;
}

bool decode_parsed(const Parsed& p, uint32_t mask, event::Batch& out, std::vector<uint32_t>* rows,
                   ZSTD_DCtx* dctx, std::string* error) {
    Columns c;
    if (!decode_columns(p, c, error)) return false;
    if (p.frames.empty() && p.per_frame == 0) {  // version 1: one piece
        if (!decode_rows(p, c, p.rest1, 0, p.h.count, out, dctx, error)) return false;
        if (rows)
            for (uint32_t k = 0; k < p.h.count; ++k) rows->push_back(k);
        return true;
    }
    for (size_t f = 0; f < p.frames.size(); ++f) {
        if (!(mask & (1u << f))) continue;
        const std::string_view frame = p.frames[f];
        const std::string_view inner = frame.substr(0, frame.size() - 4);
        if (get_u32(frame.data() + inner.size()) != block_crc(inner))
            return fail(error, "block checksum mismatch");
        const size_t first = f * p.per_frame;
        const size_t n = std::min<size_t>(p.per_frame, p.h.count - first);
        if (!decode_rows(p, c, inner, first, n, out, dctx, error)) return false;
        if (rows)
            for (size_t k = 0; k < n; ++k) rows->push_back(static_cast<uint32_t>(first + k));
    }
    return true;
}

}  // namespace

bool decode_block_header(std::string_view data, BlockHeader& header, std::string* error) {
    Parsed p;
    if (!parse_block(data, p, error)) return false;
    header = std::move(p.h);
    return true;
}

bool decode_block(std::string_view data, event::Batch& out, ZSTD_DCtx* dctx, BlockHeader* header_out,
                  std::string* error) {
    Parsed p;
    if (!parse_block(data, p, error)) return false;
    if (!decode_parsed(p, ~0u, out, nullptr, dctx, error)) return false;
    if (header_out) *header_out = std::move(p.h);
    return true;
}

bool decode_block_frames(std::string_view data, uint32_t frames, event::Batch& out,
                         std::vector<uint32_t>& rows, ZSTD_DCtx* dctx, std::string* error) {
    Parsed p;
    if (!parse_block(data, p, error)) return false;
    return decode_parsed(p, frames, out, &rows, dctx, error);
}

}  // namespace weir::store
