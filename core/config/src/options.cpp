#include <weir/config/options.hpp>
#include <weir/config/units.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace weir::config {

const OptionValue* OptionSet::find(std::string_view name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
}

void OptionSet::set(std::string name, OptionValue v) { values_[std::move(name)] = std::move(v); }

std::string OptionSet::canonical() const {
    std::string out;
    for (const auto& [name, v] : values_) {
        if (!v.set) continue;
        out += name;
        out += '=';
        if (v.type == WEIR_OPT_STRING_LIST) {
            out += '[';
            for (const auto& s : v.list) {
                out += std::to_string(s.size());
                out += ':';
                out += s;
            }
            out += ']';
        } else {
            out += std::to_string(v.text.size());
            out += ':';
            out += v.text;
        }
        out += ';';
    }
    return out;
}

bool convert_option(int32_t type, const std::string& text, OptionValue& out, std::string& why) {
    out.type = type;
    out.text = text;
    out.set = true;
    switch (type) {
        case WEIR_OPT_STRING:
            return true;
        case WEIR_OPT_STRING_LIST:  // a default of "" is the empty list
            out.list.clear();
            if (!text.empty()) out.list.push_back(text);
            return true;
        case WEIR_OPT_INT: {
            const char* b = text.data();
            const char* e = b + text.size();
            if (b != e && *b == '+') ++b;
            auto [ptr, ec] = std::from_chars(b, e, out.i);
            if (b == e || ec != std::errc() || ptr != e) {
                why = ec == std::errc::result_out_of_range ? "expects an integer in range" : "expects an integer";
                return false;
            }
            return true;
        }
        case WEIR_OPT_FLOAT: {
            auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out.f);
            if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(out.f)) {
                why = "expects a number";
                return false;
            }
            return true;
        }
        case WEIR_OPT_BOOL: {
            std::string l;
            for (char c : text) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
            if (l == "true" || l == "yes" || l == "on") {
                out.i = 1;
                return true;
            }
            if (l == "false" || l == "no" || l == "off") {
                out.i = 0;
                return true;
            }
            why = "expects a boolean (true/false)";
            return false;
        }
        case WEIR_OPT_DURATION: {
            auto v = parse_duration_ns(text);
            if (!v) {
                why = "expects a duration: a number with unit ns, us, ms, s, m, h or d";
                return false;
            }
            out.i = *v;
            return true;
        }
        case WEIR_OPT_SIZE: {
            auto v = parse_size_bytes(text);
            if (!v) {
                why = "expects a size: a number with unit B, KB, MB, GB, KiB, MiB or GiB";
                return false;
            }
            out.i = *v;
            return true;
        }
        default:
            why = "has an unknown option type in the plugin's table";
            return false;
    }
}

}  // namespace weir::config
