// The http input's API keys are the shared hashed-key library's; these names
// keep the input's code short.
#pragma once

#include <weir/keys/keys.hpp>

#include "token_bucket.hpp"

namespace weir::http_input {
using weir::keys::ApiKey;
using weir::keys::AuthResult;
using weir::keys::KeySet;
using weir::keys::KeyStore;
using weir::keys::sha256_hex;
}  // namespace weir::http_input
