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
/// Numeric values of the index fields are not posting lists (a near-unique
/// id would add a key per event): each block gets a digest, the sorted
/// distinct 32-bit hashes of field=number over its rows, kept in the
/// partition's `frames` database under number_digest_key(block). A block
/// without one (written before digests existed) may hold any number.
uint32_t number_hash(std::string_view field, std::string_view number_text);
std::string number_digest_key(uint64_t block_id);
/// Sorts and dedupes `hashes` and encodes them, followed by a CRC-32.
std::string encode_number_digest(std::vector<uint32_t>& hashes);
/// 1: the digest holds h; 0: it does not; -1: malformed (treat as "may").
int number_digest_has(std::string_view digest, uint32_t h);
/// Whether blocks get number digests (always, but for tests that write
/// blocks as they were before).
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
/// words against) and field=value for each of `fields` holding a string.
void event_terms(const event::Batch& b, size_t i, const std::vector<std::string>& fields,
                 std::vector<std::string>& out, std::string& scratch);
/// Appends number_hash(field, number_key_text(x)) for each of `fields` whose
/// value x is a finite number or a string that reads wholly as one (as the
/// condition's equality reads it).
void event_numbers(const event::Batch& b, size_t i, const std::vector<std::string>& fields,
                   std::vector<uint32_t>& out);

}  // namespace weir::store
