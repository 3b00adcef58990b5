#include <cctype>
#include <charconv>
#include <cmath>
#include <string>
#include <weir/config/units.hpp>

namespace weir::config {
namespace {

// Splits "1.5 s" into 1.5 and "s". The number must be non-negative.
bool split_number(std::string_view text, double& number, std::string& unit) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    if (text.empty()) return false;
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == 0) return false;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, number);
    if (ec != std::errc() || ptr != text.data() + i || !std::isfinite(number)) return false;
    std::string_view rest = text.substr(i);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    unit.clear();
    for (char c : rest) unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return true;
}

std::optional<int64_t> scaled(double number, double factor) {
    const double v = number * factor;
    if (v > 9.2e18) return std::nullopt;
    return static_cast<int64_t>(std::llround(v));
}

}  // namespace

std::optional<int64_t> parse_duration_ns(std::string_view text) {
    double n;
    std::string unit;
    if (!split_number(text, n, unit)) return std::nullopt;
    if (unit.empty() || unit == "s") return scaled(n, 1e9);
    if (unit == "ns") return scaled(n, 1);
    if (unit == "us" || unit == "µs") return scaled(n, 1e3);
    if (unit == "ms") return scaled(n, 1e6);
    if (unit == "m") return scaled(n, 60e9);
    if (unit == "h") return scaled(n, 3600e9);
    if (unit == "d") return scaled(n, 86400e9);
    return std::nullopt;
}

std::optional<int64_t> parse_size_bytes(std::string_view text) {
    double n;
    std::string unit;
    if (!split_number(text, n, unit)) return std::nullopt;
    if (unit.empty() || unit == "b") return scaled(n, 1);
    if (unit == "kb") return scaled(n, 1e3);
    if (unit == "mb") return scaled(n, 1e6);
    if (unit == "gb") return scaled(n, 1e9);
    if (unit == "k" || unit == "kib") return scaled(n, 1024.0);
    if (unit == "m" || unit == "mib") return scaled(n, 1024.0 * 1024);
    if (unit == "g" || unit == "gib") return scaled(n, 1024.0 * 1024 * 1024);
    return std::nullopt;
}

}  // namespace weir::config
