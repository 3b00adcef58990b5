// The exact term index of a partition: for each message word and each
// field=value of the indexed fields, a roaring bitmap of the blocks holding it.
// Keys are exactly what condition::IndexHint names (see index_hint.hpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

typedef struct roaring_bitmap_s roaring_bitmap_t;

namespace weir::event {
class Batch;
}

namespace weir::store {

/// Owns a CRoaring bitmap.
struct BitmapDeleter {
    void operator()(roaring_bitmap_t* r) const;
};
using Bitmap = std::unique_ptr<roaring_bitmap_t, BitmapDeleter>;
Bitmap make_bitmap();

/// The LMDB key of a message word (already lower-cased, as for_each_token yields it).
std::string word_key(std::string_view token);
/// The LMDB key of field=value; `value_lower` is the whole string value,
/// ASCII lower-cased. Keys that would pass LMDB's key limit are hashed.
std::string field_key(std::string_view field, std::string_view value_lower);
/// The prefix every word key starts with.
std::string_view word_key_prefix();

/// Whether the index holds this word (as for_each_token yields it). Runs of
/// five or more digits (request ids, order numbers, ports) are near-unique:
/// indexing them costs more than the scans they save, so a hint naming one
/// is answered by scanning.
bool indexed_word(std::string_view token);

/// Portable serialization (never the frozen layout) followed by a CRC-32.
std::string encode_bitmap(const roaring_bitmap_t* r);
/// Null when the bytes are malformed or the checksum does not match.
Bitmap decode_bitmap(std::string_view bytes);

/// The distinct keys event i contributes: the words of its message (the body,
/// or the "message" field when the body is empty: what the condition matches
/// words against) and field=value for each of `fields` holding a string.
void event_terms(const event::Batch& b, size_t i, const std::vector<std::string>& fields,
                 std::vector<std::string>& out, std::string& scratch);

}  // namespace weir::store
