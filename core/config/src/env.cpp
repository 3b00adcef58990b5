#include <cctype>
#include <cstdlib>
#include <weir/config/env.hpp>

namespace weir::config {

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

bool substitute(const std::string& text, const EnvLookup& env, std::string& out, std::string& error) {
    out.clear();
    const EnvLookup lookup = env ? env : process_env();
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '$' || i + 1 >= text.size()) {
            out.push_back(c);
            continue;
        }
        if (text[i + 1] == '$') {
            out.push_back('$');
            ++i;
            continue;
        }
        if (text[i + 1] != '{') {
            out.push_back(c);
            continue;
        }
        const size_t close = text.find('}', i + 2);
        if (close == std::string::npos) {
            error = "unterminated '${' in '" + text + "'";
            return false;
        }
        const std::string inner = text.substr(i + 2, close - i - 2);
        const size_t dash = inner.find(":-");
        const std::string name = inner.substr(0, dash);
        bool valid = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
        for (char n : name) valid = valid && (std::isalnum(static_cast<unsigned char>(n)) || n == '_');
        if (!valid) {
            error = "invalid variable name '" + name + "' in '" + text + "'";
            return false;
        }
        if (auto v = lookup(name)) {
            out += *v;
        } else if (dash != std::string::npos) {
            out += inner.substr(dash + 2);
        } else {
            error = "environment variable '" + name + "' is not set";
            return false;
        }
        i = close;
    }
    return true;
}

}  // namespace weir::config
