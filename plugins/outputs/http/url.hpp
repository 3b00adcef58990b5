// The http output's URL: scheme, optional user:password (sent as HTTP Basic
// authentication, never printed), host, port and target. No Beast or SDK
// code here, so the parser is unit-tested on its own.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace weir::http_output {

struct Url {
    bool tls = false;
    std::string host;  // without brackets for IPv6
    std::string port;
    std::string target;
    bool has_userinfo = false;
    std::string user;      // percent-decoded
    std::string password;  // percent-decoded; never logged

    /// host:port for the Host header and logs ([v6]:port).
    std::string authority() const;
    /// The URL for logs: the password replaced by *** (user:***@host:port/target).
    std::string display() const;
    /// "Basic <base64(user:password)>", for the Authorization header.
    std::string basic_authorization() const;
};

/// Parses an http:// or https:// URL. Throws std::invalid_argument with a
/// message that never contains the user or password.
Url parse_url(std::string_view u);

/// `u` with any userinfo replaced by ***, for messages about a URL that did
/// not parse.
std::string redact_url(std::string_view u);

/// True for addresses whose traffic never leaves the machine: localhost,
/// 127.0.0.0/8, ::1 and ::ffff:127.x.x.x.
bool is_loopback_host(std::string_view host);

/// RFC 4648 base64 with padding.
std::string base64(std::string_view in);

}  // namespace weir::http_output
