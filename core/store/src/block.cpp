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
constexpr uint64_t kVersion = 1;
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
    if (!r.varint(version) || version != kVersion) return false;
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
                  std::string& out) {
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
    event::Batch rest;
    std::string bodies;
    for (size_t r = 0; r < n; ++r) {
        const auto& ev = src.event(rows[r]);
        put_bytes(bodies, {ev.body.data, ev.body.size});
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
    put_varint(out, kVersion);
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
    compress_section(bodies, cctx, out);
    std::string encoded;
    event::encode_batch(rest, encoded);
    compress_section(encoded, cctx, out);
    put_u32(out, block_crc(std::string_view(out).substr(start)));
}

bool decode_block_header(std::string_view data, BlockHeader& header, std::string* error) {
    std::string_view body;
    if (!check_crc(data, body)) return fail(error, "block checksum mismatch");
    Reader r(body);
    if (!read_header(r, header)) return fail(error, "malformed block header");
    return true;
}

bool decode_block(std::string_view data, event::Batch& out, ZSTD_DCtx* dctx, BlockHeader* header_out,
                  std::string* error) {
    std::string_view body;
    if (!check_crc(data, body)) return fail(error, "block checksum mismatch");
    Reader r(body);
    BlockHeader local;
    BlockHeader& h = header_out ? *header_out : local;
    if (!read_header(r, h)) return fail(error, "malformed block header");
    const size_t n = h.count;

    std::string_view times, flags;
    std::array<std::string_view, kDictFields.size()> id_cols;
    if (!r.bytes(times) || !r.bytes(flags)) return fail(error, "truncated block columns");
    for (auto& c : id_cols)
        if (!r.bytes(c)) return fail(error, "truncated block columns");
    std::string bodies, rest;
    if (!decompress_section(r, dctx, bodies) || !decompress_section(r, dctx, rest))
        return fail(error, "corrupt compressed block section");
    if (!r.done()) return fail(error, "trailing bytes in block");

    const size_t base = out.size();
    std::string why;
    if (!event::decode_batch(rest, out, &why)) return fail(error, "corrupt block fields");
    if (out.size() - base != n) return fail(error, "block row count mismatch");

    Reader tr(times), fr(flags), br(bodies);
    std::array<Reader, kDictFields.size()> ir = {Reader(id_cols[0]), Reader(id_cols[1]), Reader(id_cols[2]),
                                                 Reader(id_cols[3]), Reader(id_cols[4]), Reader(id_cols[5])};
    uint64_t t = static_cast<uint64_t>(h.min_ns);
    for (size_t k = 0; k < n; ++k) {
        uint64_t dt, f;
        std::string_view b;
        if (!tr.varint(dt) || !fr.varint(f) || !br.bytes(b)) return fail(error, "truncated block column");
        t += dt;
        auto& ev = out.event(base + k);
        ev.time_ns = static_cast<int64_t>(t);
        ev.flags = static_cast<uint32_t>(f);
        out.set_body(base + k, b);
        for (size_t d = 0; d < kDictFields.size(); ++d) {
            uint64_t id;
            if (!ir[d].varint(id) || id > h.dicts[d].size()) return fail(error, "bad dictionary id");
            if (!id) continue;
            const std::string& text = h.dicts[d][id - 1].text;
            weir_value v{};
            v.type = WEIR_VAL_STRING;
            v.as.s = weir_str{text.data(), text.size()};
            out.put(ev.root, kDictFields[d], v, WEIR_PUT_APPEND);  // copies into the arena
        }
    }
    if (n && static_cast<int64_t>(t) != h.max_ns) return fail(error, "block times disagree with header");
    return true;
}

}  // namespace weir::store
