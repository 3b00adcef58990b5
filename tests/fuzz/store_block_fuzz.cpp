// Store blocks from arbitrary bytes: decoding (whole, or some frames) is an
// error or a batch, never a crash. A version 1 block's checksum is recomputed
// first so the fuzzer reaches the columns;
// an input starting with 'E' is turned into events, encoded and decoded back.
#include <zstd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>
#include <weir/event/batch.hpp>
#include <weir/store/block.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static ZSTD_CCtx* cctx = ZSTD_createCCtx();
    static ZSTD_DCtx* dctx = ZSTD_createDCtx();
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string block;
    if (!in.empty() && in[0] == 'E') {
        weir::event::Batch src;
        size_t pos = 1;
        while (pos + 2 <= in.size()) {
            const size_t len = static_cast<unsigned char>(in[pos]) % 32;
            const int64_t t = static_cast<int8_t>(in[pos + 1]) * 1'000'000'007LL;
            pos += 2;
            const std::string_view body = in.substr(pos, std::min(len, in.size() - pos));
            pos += body.size();
            const size_t i = src.add(body, t);
            weir_value v{};
            v.type = WEIR_VAL_STRING;
            v.as.s = weir_str{body.data(), std::min<size_t>(body.size(), 3)};
            src.put(src.event(i).root, body.size() % 2 ? "level" : "host", v, 0);
        }
        std::vector<uint32_t> rows(src.size());
        for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
        weir::store::encode_block(src, rows, cctx, block);
        weir::event::Batch out;
        if (!weir::store::decode_block(block, out, dctx) || out.size() != src.size()) std::abort();
        weir::event::Batch part;
        std::vector<uint32_t> got;
        if (!weir::store::decode_block_frames(block, 0b101, part, got, dctx) || part.size() != got.size())
            std::abort();
        return 0;
    }
    block.assign(in);
    if (block.size() >= 4) {
        const uint32_t crc = weir::store::block_crc(std::string_view(block).substr(0, block.size() - 4));
        for (int i = 0; i < 4; ++i) block[block.size() - 4 + i] = static_cast<char>(crc >> (8 * i));
    }
    weir::store::BlockHeader h;
    weir::store::decode_block_header(block, h);
    weir::event::Batch out;
    weir::store::decode_block(block, out, dctx);
    weir::event::Batch part;
    std::vector<uint32_t> rows;
    weir::store::decode_block_frames(block, size ? data[0] : 0u, part, rows, dctx);
    return 0;
}
