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
    uint32_t version = 0;  // format: 1 (one piece) or 2 (frames)
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

/// A block's rows are stored in at most kMaxFrames frames of consecutive rows,
/// each compressed and checksummed on its own, so a reader decodes only the
/// frames it needs (format version 2; version 1 blocks are one piece).
inline constexpr size_t kMaxFrames = 32;
inline constexpr size_t kMinFrameRows = 256;
/// Rows per frame of a block of `rows` rows.
inline size_t frame_rows(size_t rows) {
    const size_t even = (rows + kMaxFrames - 1) / kMaxFrames;
    return even < kMinFrameRows ? kMinFrameRows : even;
}

/// Appends to `out` the block holding events `rows` of `src` (any order: the
/// block sorts them by time, stably). `cctx` is the caller's reusable context.
/// `version` 1 writes the previous release's format (for tests).
void encode_block(const event::Batch& src, const std::vector<uint32_t>& rows, ZSTD_CCtx* cctx,
                  std::string& out, int version = 2);

/// Appends the events of the frames set in `frames` (bit f: frame f) to `out`
/// and their row numbers to `rows`; a version 1 block gives all its rows.
/// False with `error` set on anything malformed in what it read.
bool decode_block_frames(std::string_view data, uint32_t frames, event::Batch& out,
                         std::vector<uint32_t>& rows, ZSTD_DCtx* dctx, std::string* error = nullptr);

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
