#pragma once

#include <string>
#include <string_view>

namespace weir::event {

class Batch;

/// Compact binary form of a batch, for disk spooling and the store.
///
///   "WB1\0" varint(count) { zigzag-varint(time_ns) varint(flags) varint(len) body  value(root) }*
///   value := u8(type) payload; BOOL u8, INT zigzag-varint, FLOAT 8 bytes LE,
///            STRING varint(len) bytes, OBJECT varint(n) { varint(len) key value }*,
///            ARRAY varint(n) value*, NULL nothing.
///
/// Appends to `out`.
void encode_batch(const Batch& batch, std::string& out);

/// Decodes what encode_batch wrote, appending events to `batch`. Returns false
/// (and leaves `error` set) on truncated or malformed input; never reads out of bounds.
bool decode_batch(std::string_view data, Batch& batch, std::string* error = nullptr);

}  // namespace weir::event
