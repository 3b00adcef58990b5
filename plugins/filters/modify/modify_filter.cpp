// modify: sets static fields, renames, copies and removes fields, stamps
// host metadata, and derives fields: a category from thresholds on a number
// (response_time_category from latency_ms) and an error flag from the level
// or the HTTP status. Top-level fields.

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>
#include <weir/level.hpp>
#include <weir/sdk.hpp>

namespace {

struct Pair {
    std::string a, b;
};

std::vector<Pair> pairs(const weir::Options& opts, const char* name) {
    std::vector<Pair> out;
    for (const auto& item : opts.list(name)) {
        const size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0 || (eq + 1 == item.size() && std::string(name) != "set"))
            throw weir::ConfigError(std::string(name) + " entries must look like 'a=b', found '" + item +
                                    "'");
        out.push_back({item.substr(0, eq), item.substr(eq + 1)});
    }
    return out;
}

/// A static value, typed the way YAML would: true/false, integers, floats, else text.
struct Static {
    std::string key;
    weir_value value{};
    std::string text;
};

Static typed(const Pair& p) {
    Static s;
    s.key = p.a;
    s.text = p.b;
    const std::string& t = s.text;
    int64_t i = 0;
    double f = 0;
    if (t == "true" || t == "false") {
        s.value.type = WEIR_VAL_BOOL;
        s.value.as.b = t == "true";
    } else if (auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), i);
               ec == std::errc() && end == t.data() + t.size() && !t.empty()) {
        s.value.type = WEIR_VAL_INT;
        s.value.as.i = i;
    } else if (auto [end2, ec2] = std::from_chars(t.data(), t.data() + t.size(), f);
               ec2 == std::errc() && end2 == t.data() + t.size() && !t.empty() && std::isfinite(f)) {
        s.value.type = WEIR_VAL_FLOAT;
        s.value.as.f = f;
    } else {
        s.value.type = WEIR_VAL_STRING;  // points into `text` when used
    }
    return s;
}

/// "target=source:100=fast,1000=ok,slow": below 100 fast, below 1000 ok, else slow.
struct Category {
    std::string target, source;
    std::vector<std::pair<double, std::string>> bands;
    std::string otherwise;
};

Category parse_category(const Pair& p) {
    Category c;
    c.target = p.a;
    const size_t colon = p.b.find(':');
    if (colon == std::string::npos || colon == 0)
        throw weir::ConfigError(
            "categorize entries look like 'target=source:100=fast,1000=ok,slow', found '" + p.a + "=" + p.b +
            "'");
    c.source = p.b.substr(0, colon);
    std::string rest = p.b.substr(colon + 1);
    size_t start = 0;
    double last = -INFINITY;
    while (start <= rest.size()) {
        const size_t comma = rest.find(',', start);
        const std::string part =
            rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const size_t eq = part.find('=');
        if (eq == std::string::npos) {
            if (comma != std::string::npos)
                throw weir::ConfigError("categorize: only the last band may omit its limit ('" + part + "')");
            c.otherwise = part;
            break;
        }
        double limit = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + eq, limit);
        if (ec != std::errc() || end != part.data() + eq)
            throw weir::ConfigError("categorize: '" + part.substr(0, eq) + "' is not a number");
        if (limit <= last) throw weir::ConfigError("categorize: limits must increase");
        last = limit;
        c.bands.emplace_back(limit, part.substr(eq + 1));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (c.bands.empty()) throw weir::ConfigError("categorize needs at least one 'limit=label'");
    return c;
}

std::string primary_ip() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return {};
    std::string v4, v6;
    for (ifaddrs* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || (a->ifa_flags & IFF_LOOPBACK) != 0) continue;
        char buf[INET6_ADDRSTRLEN] = {};
        if (a->ifa_addr->sa_family == AF_INET && v4.empty()) {
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof buf);
            v4 = buf;
        } else if (a->ifa_addr->sa_family == AF_INET6 && v6.empty()) {
            ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, buf, sizeof buf);
            v6 = buf;
        }
    }
    ::freeifaddrs(list);
    return v4.empty() ? v6 : v4;
}

/// Copies a value (deeply, for objects and arrays) to `key` of `dst`.
void copy_value(weir::Object dst, std::string_view key, const weir::Value& v) {
    if (v.is_object() || v.is_array()) {
        weir::Object child = v.is_object() ? dst.add_object(key) : dst.add_array(key);
        v.as_object().for_each([&](std::string_view k, weir::Value item) { copy_value(child, k, item); });
        return;
    }
    dst.put(key, v.raw());
}

class ModifyFilter final : public weir::Filter {
public:
    ModifyFilter(weir::Context& ctx, const weir::Options& opts)
        : weir::Filter(ctx), overwrite_(opts.boolean("overwrite")) {
        for (const auto& p : pairs(opts, "set")) statics_.push_back(typed(p));
        renames_ = pairs(opts, "rename");
        copies_ = pairs(opts, "copy");
        removes_ = opts.list("remove");
        for (const auto& p : pairs(opts, "categorize")) categories_.push_back(parse_category(p));
        if (const auto k = opts.str("hostname_key"); !k.empty()) {
            char name[256] = {};
            ::gethostname(name, sizeof name - 1);
            statics_.push_back(typed({std::string(k), name}));
            statics_.back().value.type =
                WEIR_VAL_STRING;  // a host name is text even if it looks like a number
        }
        if (const auto k = opts.str("host_ip_key"); !k.empty()) {
            statics_.push_back(typed({std::string(k), primary_ip()}));
            statics_.back().value.type = WEIR_VAL_STRING;
        }
        error_key_ = std::string(opts.str("error_flag_key"));
        level_key_ = std::string(opts.str("level_key"));
        status_key_ = std::string(opts.str("status_key"));
        for (auto& s : statics_)
            if (s.value.type == WEIR_VAL_STRING) s.value.as.s = weir_str{s.text.data(), s.text.size()};
    }

    void process(weir::Batch& batch) override {
        for (weir::Event ev : batch) {
            weir::Object f = ev.fields();
            for (const auto& r : renames_) {
                if (!f.has(r.a) || (!overwrite_ && f.has(r.b))) continue;
                copy_value(f, r.b, f.get(r.a));
                f.remove(r.a);
            }
            for (const auto& c : copies_) {
                if (!f.has(c.a) || (!overwrite_ && f.has(c.b))) continue;
                copy_value(f, c.b, f.get(c.a));
            }
            for (const auto& s : statics_) {
                if (!overwrite_ && f.has(s.key)) continue;
                f.put(s.key, s.value);
            }
            for (const auto& c : categories_) {
                const weir::Value v = f.get(c.source);
                std::optional<double> x;
                if (v.is_int() || v.is_float()) x = v.as_float();
                if (!x) continue;
                const std::string* label = &c.otherwise;
                for (const auto& [limit, name] : c.bands) {
                    if (*x < limit) {
                        label = &name;
                        break;
                    }
                }
                if (!label->empty()) f.set(c.target, *label);
            }
            if (!error_key_.empty()) f.set_bool(error_key_, is_error(f));
            for (const auto& r : removes_) f.remove(r);
        }
        if (!batch.empty()) ctx_.count_outcome("modified", batch.size());  // changed events, once per batch
    }

private:
    bool is_error(const weir::Object& f) const {
        const weir::Value lv = f.get(level_key_);
        if (lv.is_string() && weir::level::normalize(lv.as_string()) >= weir::level::Level::Error)
            return true;
        const weir::Value st = f.get(status_key_);
        double status = 0;
        if (st.is_int() || st.is_float()) {
            status = st.as_float();
        } else if (st.is_string()) {
            const auto s = st.as_string();
            std::from_chars(s.data(), s.data() + s.size(), status);
        }
        return status >= 500;
    }

    bool overwrite_;
    std::vector<Static> statics_;
    std::vector<Pair> renames_, copies_;
    std::vector<std::string> removes_;
    std::vector<Category> categories_;
    std::string error_key_, level_key_, status_key_;
};

const weir_option_def modify_options[] = {
    weir::option::string_list("set", "",
                              "Static fields, each 'key=value' (true/false, numbers and text are typed)."),
    weir::option::string_list("rename", "", "Fields to rename, each 'old=new'."),
    weir::option::string_list("copy", "", "Fields to copy, each 'from=to'."),
    weir::option::string_list("remove", "", "Fields to remove (after everything else)."),
    weir::option::boolean("overwrite", "true",
                          "set, rename and copy replace a field that exists; false: keep it."),
    weir::option::string("hostname_key", "", "Field that receives this machine's host name; empty: none."),
    weir::option::string("host_ip_key", "",
                         "Field that receives this machine's primary IP address; empty: none."),
    weir::option::string_list(
        "categorize", "",
        "Derived categories, each 'target=source:100=fast,1000=ok,slow' (below 100: fast ...)."),
    weir::option::string("error_flag_key", "",
                         "Field set to true when the level is ERROR or worse or the status is 5xx."),
    weir::option::string("level_key", "level", "Field holding the level (for error_flag_key)."),
    weir::option::string("status_key", "status", "Field holding the HTTP status (for error_flag_key)."),
};

}  // namespace

WEIR_PLUGIN_FLAGS(
    ModifyFilter, WEIR_KIND_FILTER, "modify", "0.1.0",
    "Sets, renames, copies and removes fields; adds host metadata, categories and an error flag.",
    modify_options, WEIR_PLUGIN_THREAD_SAFE)
