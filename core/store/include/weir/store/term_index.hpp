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
/// The LMDB key of a numeric value of a field: `number_text` is
/// condition::number_key_text of the value (numbers, and strings that read
/// wholly as a number, share it). Hashed like field keys when too long.
std::string number_key(std::string_view field, std::string_view number_text);
/// A partition's terms hold number keys for every block when this key is
/// there (an empty posting list, so `weir store verify` reads it as one). It
/// is written with the day's first block; older partitions lack it and their
/// numeric equalities are answered by scanning.
std::string_view numeric_mark_key();
/// The mark's value: an encoded empty posting list.
const std::string& numeric_mark_value();
/// Whether event_terms yields number keys and new partitions get the mark
/// (always, but for tests that write partitions as they were before).
bool numeric_terms();
void set_numeric_terms_for_testing(bool on);
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
/// words against), field=value for each of `fields` holding a string, and a
/// number key for each of `fields` holding a finite number or a string that
/// reads wholly as one.
void event_terms(const event::Batch& b, size_t i, const std::vector<std::string>& fields,
                 std::vector<std::string>& out, std::string& scratch);

}  // namespace weir::store
