#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <weir/runtime/testing.hpp>

namespace fs = std::filesystem;
using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

const std::string kCity = GEOIP_DATA "/GeoIP2-City-Test.mmdb";
const std::string kCountry = GEOIP_DATA "/GeoIP2-Country-Test.mmdb";
const std::string kAsn = GEOIP_DATA "/GeoLite2-ASN-Test.mmdb";

std::string enrich(StageHarness& h, const char* ip) {
    Batch b;
    const size_t i = b.add("request", 0);
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{ip, std::strlen(ip)};
    b.put(b.event(i).root, "client_ip", v, 0);
    h.process(b);
    const std::string json(b.to_json(0));
    const size_t geo = json.find(",\"geo\":");
    return geo == std::string::npos ? "" : json.substr(geo + 7, json.size() - geo - 8);
}

std::string options(const std::string& extra = "") {
    return "{city_database: \"" + kCity + "\", asn_database: \"" + kAsn + "\"" + extra + "}";
}

}  // namespace

TEST(GeoipFilter, Ipv4Ipv6AndMappedAddresses) {
    StageHarness h(WEIR_TEST_PLUGIN, options());
    EXPECT_EQ(enrich(h, "81.2.69.142"),
              R"({"country_code":"GB","country_name":"United Kingdom","subdivision":"ENG","city":"London",)"
              R"("latitude":51.5142,"longitude":-0.0931})");
    EXPECT_EQ(enrich(h, "89.160.20.112"),
              R"({"country_code":"SE","country_name":"Sweden","subdivision":"E","city":"Linköping",)"
              R"("latitude":58.4167,"longitude":15.6167,"asn":29518,"as_org":"Bredband2 AB"})");
    EXPECT_NE(enrich(h, "2001:480:10::1").find(R"("country_code":"US")"), std::string::npos);
    EXPECT_NE(enrich(h, "2001:480:10::1").find(R"("city":"San Diego")"), std::string::npos);
    EXPECT_EQ(enrich(h, "::ffff:81.2.69.142"), enrich(h, "81.2.69.142"));             // IPv4-mapped IPv6
    EXPECT_EQ(enrich(h, "1.128.0.0"), R"({"asn":1221,"as_org":"Telstra Pty Ltd"})");  // only the ASN knows it
}

TEST(GeoipFilter, FieldAndTargetAreConfigurable) {
    StageHarness h(WEIR_TEST_PLUGIN, "{city_database: \"" + kCity + "\", field: peer, target: where}");
    Batch b;
    const size_t i = b.add("request", 0);
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{"81.2.69.142", 11};
    b.put(b.event(i).root, "peer", v, 0);
    h.process(b);
    EXPECT_NE(std::string(b.to_json(0)).find(R"("where":{"country_code":"GB")"), std::string::npos)
        << b.to_json(0);
}

TEST(GeoipFilter, PrivateLoopbackAndBadAddressesAreSkippedAndCounted) {
    StageHarness h(WEIR_TEST_PLUGIN, options());
    for (const char* ip : {"10.0.0.1", "127.0.0.1", "192.168.1.5", "::1", "fe80::1", "::ffff:10.1.2.3"})
        EXPECT_EQ(enrich(h, ip), "") << ip;
    EXPECT_EQ(enrich(h, "not an ip"), "");
    EXPECT_EQ(enrich(h, "999.1.1.1"), "");
    EXPECT_EQ(h.metrics().outcomes.get("geoip_private_ip"), 6u);
    EXPECT_EQ(h.metrics().errors.get("geoip_invalid_ip"), 2u);
    EXPECT_EQ(enrich(h, "8.8.8.8"), "");  // public but in none of the test databases
    EXPECT_EQ(h.metrics().outcomes.get("geoip_not_found"), 1u);
}

TEST(GeoipFilter, CacheOffGivesTheSameAnswers) {
    StageHarness cached(WEIR_TEST_PLUGIN, options(", cache_size: 2"));
    StageHarness uncached(WEIR_TEST_PLUGIN, options(", cache_size: 0"));
    for (int round = 0; round < 3; ++round)
        for (const char* ip : {"81.2.69.142", "89.160.20.112", "216.160.83.56", "81.2.69.142"})
            EXPECT_EQ(enrich(cached, ip), enrich(uncached, ip)) << ip;
}

TEST(GeoipFilter, ReplacedDatabaseIsPickedUpOnReload) {
    const fs::path dir = fs::temp_directory_path() / ("weir-geoip-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path db = dir / "current.mmdb";
    fs::copy_file(kCity, db, fs::copy_options::overwrite_existing);
    StageHarness h(WEIR_TEST_PLUGIN, "{city_database: \"" + db.string() + "\"}");
    EXPECT_NE(enrich(h, "81.2.69.142").find("London"), std::string::npos);
    // Install the new file by rename (never copy over a mapped file).
    fs::copy_file(kCountry, dir / "new.mmdb");
    fs::rename(dir / "new.mmdb", db);
    EXPECT_EQ(h.reload(), "");
    const std::string after = enrich(h, "81.2.69.142");
    EXPECT_NE(after.find(R"("country_code":"GB")"), std::string::npos) << after;
    EXPECT_EQ(after.find("London"), std::string::npos) << after;  // a Country database has no cities
    // A corrupt replacement is refused; the open database stays.
    fs::copy_file(GEOIP_DATA "/GeoIP2-City-Test-Invalid-Node-Count.mmdb", dir / "bad.mmdb");
    fs::rename(dir / "bad.mmdb", db);
    EXPECT_NE(h.reload().find(db.string()), std::string::npos);
    EXPECT_NE(enrich(h, "81.2.69.142").find("GB"), std::string::npos);
    fs::remove_all(dir);
}

TEST(GeoipFilter, MissingOrCorruptDatabaseIsAConfigErrorNamingTheFile) {
    try {
        StageHarness h(WEIR_TEST_PLUGIN, "{city_database: /nonexistent/City.mmdb}");
        FAIL();
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/City.mmdb"), std::string::npos) << e.what();
    }
    try {
        StageHarness h(WEIR_TEST_PLUGIN,
                       "{city_database: \"" GEOIP_DATA "/GeoIP2-City-Test-Invalid-Node-Count.mmdb\"}");
        FAIL();
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("Invalid-Node-Count.mmdb"), std::string::npos) << e.what();
    }
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{}"), std::runtime_error);
}
