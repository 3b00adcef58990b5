// A block: up to a few thousand events of one partition, time-ordered and
// stored by column in one LMDB value (see docs/store.md, "On disk").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

typedef struct ZSTD_CCtx_s ZSTD_CCtx;
typedef struct ZSTD_DCtx_s ZSTD_DCtx;

namespace weir::event {
class Batch;
}

namespace weir::store {

/// Top-level string fields stored dictionary-coded, with per-block counts in
/// the header (so counts by level or service can come from headers alone).
inline constexpr std::array<std::string_view, 6> kDictFields = {"level", "service", "app",
                                                                "host",  "source",  "tenant"};

/// What a reader learns from a block without decompressing anything.
struct BlockHeader {
    uint32_t count = 0;
    int64_t min_ns = 0;
    int64_t max_ns = 0;
    struct Value {
        std::string text;
        uint32_t count = 0;
    };
    /// One entry per kDictFields, in that order: the distinct values and how
    /// many rows carry each (rows without the field are not counted).
    std::array<std::vector<Value>, kDictFields.size()> dicts;
};

/// Appends to `out` the block holding events `rows` of `src` (any order: the
/// block sorts them by time, stably). `cctx` is the caller's reusable context.
void encode_block(const event::Batch& src, const std::vector<uint32_t>& rows, ZSTD_CCtx* cctx,
                  std::string& out);

/// Reads the header only (checks the checksum first). False with `error` set
/// on anything malformed; never reads out of bounds.
bool decode_block_header(std::string_view data, BlockHeader& header, std::string* error = nullptr);

/// Appends the block's events to `out` (in time order). False with `error`
/// set on anything malformed; `out` may then hold some of the events.
bool decode_block(std::string_view data, event::Batch& out, ZSTD_DCtx* dctx, BlockHeader* header = nullptr,
                  std::string* error = nullptr);

/// The checksum a block ends with (CRC-32 of everything before it).
uint32_t block_crc(std::string_view bytes_before_crc);

}  // namespace weir::store
