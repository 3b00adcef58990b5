// geoip: adds where an IP address is — country, subdivision, city,
// coordinates — and its network (ASN, organisation) from MaxMind databases
// (libmaxminddb). Private, loopback and unparseable addresses are skipped and
// counted; results are kept in a small LRU cache per worker; databases are
// re-opened on SIGHUP.
#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <weir/sdk.hpp>

namespace {

/// One open database; closed when the last user lets go (a reload swaps it
/// while workers may still be reading the old one).
class Database {
public:
    explicit Database(const std::string& path) : path_(path) {
        const int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db_);
        if (rc != MMDB_SUCCESS) {
            std::string why = MMDB_strerror(rc);
            if (rc == MMDB_IO_ERROR) why += std::string(" (") + std::strerror(errno) + ")";
            throw weir::ConfigError("cannot open GeoIP database " + path + ": " + why);
        }
    }
    ~Database() { MMDB_close(&db_); }
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    MMDB_s* get() { return &db_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    MMDB_s db_{};
};

struct Databases {
    std::shared_ptr<Database> city, country, asn;
};

struct Geo {
    bool found = false;
    std::string country_code, country_name, subdivision, city, as_org;
    std::optional<double> latitude, longitude;
    std::optional<uint32_t> asn;
};

std::string_view text_of(const MMDB_entry_data_s& d) {
    return d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING ? std::string_view(d.utf8_string, d.data_size)
                                                              : std::string_view{};
}

/// Private, loopback, link-local and other addresses no database knows.
bool is_private_v4(const uint8_t* a) {
    return a[0] == 10 || a[0] == 127 || a[0] == 0 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
           (a[0] == 100 && (a[1] & 0xc0) == 64) || a[0] >= 224;
}

class GeoipFilter final : public weir::Filter {
public:
    GeoipFilter(weir::Context& ctx, const weir::Options& opts)
        : weir::Filter(ctx),
          field_(opts.str("field")),
          target_(opts.str("target")),
          city_path_(opts.str("city_database")),
          country_path_(opts.str("country_database")),
          asn_path_(opts.str("asn_database")) {
        if (field_.empty()) throw weir::ConfigError("field must name the field holding the IP address");
        if (target_.empty()) throw weir::ConfigError("target must not be empty");
        if (city_path_.empty() && country_path_.empty() && asn_path_.empty())
            throw weir::ConfigError("give at least one of city_database, country_database, asn_database");
        cache_size_ = static_cast<size_t>(opts.integer("cache_size"));  // at least 0 (the table)
        dbs_ = open();
    }

    void reload() override {
        Databases fresh = open();  // throws: the databases in use stay
        std::lock_guard lock(mu_);
        dbs_ = std::move(fresh);
        ++generation_;
        ctx_.info("GeoIP databases re-opened");
    }

    void process(weir::Batch& batch) override {
        Databases dbs;
        {
            std::lock_guard lock(mu_);
            dbs = dbs_;
            if (generation_ != cache_generation_) {  // new databases: old answers are stale
                cache_.clear();
                lru_.clear();
                cache_generation_ = generation_;
            }
        }
        uint64_t enriched = 0;
        for (weir::Event ev : batch) {
            weir::Object f = ev.fields();
            const weir::Value v = f.get(field_);
            if (!v.is_string()) continue;
            const Geo* g = lookup(dbs, v.as_string());
            if (!g || !g->found) continue;
            ++enriched;
            weir::Object geo = f.add_object(target_);
            if (!g->country_code.empty()) geo.set("country_code", g->country_code);
            if (!g->country_name.empty()) geo.set("country_name", g->country_name);
            if (!g->subdivision.empty()) geo.set("subdivision", g->subdivision);
            if (!g->city.empty()) geo.set("city", g->city);
            if (g->latitude) geo.set_float("latitude", *g->latitude);
            if (g->longitude) geo.set_float("longitude", *g->longitude);
            if (g->asn) geo.set_int("asn", *g->asn);
            if (!g->as_org.empty()) geo.set("as_org", g->as_org);
        }
        if (enriched)
            ctx_.count_outcome("geoip_enriched", enriched);  // changed events, counted once per batch
    }

private:
    Databases open() const {
        Databases d;
        if (!city_path_.empty()) d.city = std::make_shared<Database>(city_path_);
        if (!country_path_.empty()) d.country = std::make_shared<Database>(country_path_);
        if (!asn_path_.empty()) d.asn = std::make_shared<Database>(asn_path_);
        return d;
    }

    /// The answer for an address (cached), or nullptr when skipped.
    const Geo* lookup(const Databases& dbs, std::string_view ip) {
        key_.assign(ip);
        if (auto it = cache_.find(key_); it != cache_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second);  // most recently used
            return &it->second->second;
        }
        sockaddr_storage ss{};
        if (!parse(key_, ss)) {
            ctx_.count_error("geoip_invalid_ip");
            return nullptr;
        }
        if (is_private(ss)) {
            ctx_.count_outcome("geoip_private_ip");
            return nullptr;
        }
        Geo g;
        if (dbs.city) read_place(*dbs.city, ss, g, true);
        if (dbs.country && g.country_code.empty()) read_place(*dbs.country, ss, g, false);
        if (dbs.asn) read_asn(*dbs.asn, ss, g);
        if (!g.found) ctx_.count_outcome("geoip_not_found");
        if (cache_size_ == 0) {
            uncached_ = std::move(g);
            return &uncached_;
        }
        if (cache_.size() >= cache_size_) {
            cache_.erase(lru_.back().first);
            lru_.pop_back();
        }
        lru_.emplace_front(key_, std::move(g));
        cache_[key_] = lru_.begin();
        return &lru_.front().second;
    }

    static bool parse(const std::string& ip, sockaddr_storage& ss) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
        if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
            v4->sin_family = AF_INET;
            return true;
        }
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
        if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            return true;
        }
        return false;
    }

    static bool is_private(const sockaddr_storage& ss) {
        if (ss.ss_family == AF_INET)
            return is_private_v4(
                reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr));
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr.s6_addr;
        static const uint8_t loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        static const uint8_t any[16] = {};
        if (std::memcmp(a, loopback, 16) == 0 || std::memcmp(a, any, 16) == 0) return true;
        if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || a[0] == 0xff) return true;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(a, mapped, 12) == 0) return is_private_v4(a + 12);  // ::ffff:10.0.0.1
        return false;
    }

    /// The database's record for the address, if it has one.
    std::optional<MMDB_lookup_result_s> find(Database& db, const sockaddr_storage& ss) {
        int mmdb_error = 0;
        MMDB_lookup_result_s r =
            MMDB_lookup_sockaddr(db.get(), reinterpret_cast<const sockaddr*>(&ss), &mmdb_error);
        if (mmdb_error != MMDB_SUCCESS) {
            ctx_.count_error("geoip_lookup_failed");
            return std::nullopt;
        }
        if (!r.found_entry) return std::nullopt;
        return r;
    }

    void read_place(Database& db, const sockaddr_storage& ss, Geo& g, bool city) {
        auto found = find(db, ss);
        if (!found) return;
        MMDB_lookup_result_s& r = *found;
        MMDB_entry_data_s d{};
        auto get = [&](auto... path) {
            d = MMDB_entry_data_s{};
            return MMDB_get_value(&r.entry, &d, path..., nullptr) == MMDB_SUCCESS && d.has_data;
        };
        if (get("country", "iso_code")) g.country_code = text_of(d);
        if (get("country", "names", "en")) g.country_name = text_of(d);
        if (city) {
            if (get("subdivisions", "0", "iso_code")) g.subdivision = text_of(d);
            if (get("city", "names", "en")) g.city = text_of(d);
            if (get("location", "latitude") && d.type == MMDB_DATA_TYPE_DOUBLE) g.latitude = d.double_value;
            if (get("location", "longitude") && d.type == MMDB_DATA_TYPE_DOUBLE) g.longitude = d.double_value;
        }
        g.found = true;  // a record was found, even if without the fields read here
    }

    void read_asn(Database& db, const sockaddr_storage& ss, Geo& g) {
        auto found = find(db, ss);
        if (!found) return;
        MMDB_lookup_result_s& r = *found;
        MMDB_entry_data_s d{};
        if (MMDB_get_value(&r.entry, &d, "autonomous_system_number", nullptr) == MMDB_SUCCESS && d.has_data &&
            d.type == MMDB_DATA_TYPE_UINT32)
            g.asn = d.uint32;
        d = MMDB_entry_data_s{};
        if (MMDB_get_value(&r.entry, &d, "autonomous_system_organization", nullptr) == MMDB_SUCCESS)
            g.as_org = text_of(d);
        g.found = true;
    }

    std::string field_, target_, city_path_, country_path_, asn_path_;
    size_t cache_size_ = 0;
    std::mutex mu_;
    Databases dbs_;
    uint64_t generation_ = 0;
    uint64_t cache_generation_ = 0;
    // Per worker instance: the LRU cache.
    std::list<std::pair<std::string, Geo>> lru_;
    std::unordered_map<std::string, std::list<std::pair<std::string, Geo>>::iterator> cache_;
    std::string key_;
    Geo uncached_;
};

const weir::Option geoip_options[] = {
    weir::option::string("field", "client_ip",
                         "Field holding the IP address (IPv4, IPv6 or IPv4-mapped IPv6)."),
    weir::option::string("target", "geo", "Object field that receives the results."),
    weir::option::string("city_database", "",
                         "GeoIP2/GeoLite2 City .mmdb file (country, subdivision, city, coordinates)."),
    weir::option::string("country_database", "",
                         "GeoIP2/GeoLite2 Country .mmdb file (when there is no City database)."),
    weir::option::string("asn_database", "", "GeoLite2 ASN .mmdb file (AS number and organisation)."),
    weir::option::integer("cache_size", "4096",
                          "Addresses whose answers are kept (LRU, per worker); 0: no cache.")
        .at_least("0"),
};

}  // namespace

WEIR_PLUGIN(GeoipFilter, WEIR_KIND_FILTER, "geoip", "0.1.0",
            "Adds country, city, coordinates and AS of an IP address from MaxMind databases.", geoip_options)
