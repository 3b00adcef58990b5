// The server TLS context of the socket inputs, for plugins that drive Asio
// themselves (the http input). Includes Asio's SSL headers: keep it out of
// headers other plugins include.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "net.hpp"

namespace weir::net {

/// TLS 1.2+ server context with the certificate, key and (for mutual TLS)
/// client CAs of `tls`. Throws weir::ConfigError naming a file that fails.
std::shared_ptr<boost::asio::ssl::context> make_server_tls(const TlsOptions& tls);

}  // namespace weir::net
