#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <weir/zone.hpp>

using namespace weir::time;

namespace {

Zone zone(const char* name) {
    std::string error;
    auto z = Zone::parse(name, &error);
    if (!z) ADD_FAILURE() << name << ": " << error;
    return z ? std::move(*z) : Zone();
}

/// UTC seconds of a wall time in `z`.
int64_t utc(const Zone& z, int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s = 0) {
    return *make_time(y, mo, d, h, mi, s, 0, z) / kNsPerSec;
}

int64_t civil(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s = 0) {
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

}  // namespace

TEST(Zone, FixedZonesNeedNoFile) {
    const Zone utc0 = zone("UTC");
    EXPECT_TRUE(LocalZone(utc0).fixed());
    EXPECT_EQ(utc(utc0, 2026, 7, 1, 12, 0), civil(2026, 7, 1, 12, 0));
    const Zone plus2 = zone("+02:00");
    EXPECT_TRUE(LocalZone(plus2).fixed());
    EXPECT_EQ(utc(plus2, 2026, 7, 1, 12, 0), civil(2026, 7, 1, 10, 0));
    EXPECT_EQ(utc(zone("-0530"), 2026, 7, 1, 12, 0), civil(2026, 7, 1, 17, 30));
}

TEST(Zone, BerlinWinterAndSummer) {
    const Zone berlin = zone("Europe/Berlin");
    EXPECT_EQ(berlin.name(), "Europe/Berlin");
    EXPECT_FALSE(LocalZone(berlin).fixed());
    EXPECT_EQ(utc(berlin, 2026, 1, 19, 11, 30), 1768818600);  // CET, +01:00
    EXPECT_EQ(utc(berlin, 2026, 7, 1, 12, 0), 1782900000);    // CEST, +02:00
    EXPECT_EQ(LocalZone(berlin).offset_at(1768818600), 3600);
    EXPECT_EQ(LocalZone(berlin).offset_at(1782900000), 7200);
    // Through the parsing functions: a zone in the text wins over the configured one.
    EXPECT_EQ(parse_iso8601("2026-07-01 12:00:00.5", berlin), 1782900000 * kNsPerSec + 500'000'000);
    EXPECT_EQ(parse_iso8601("2026-07-01T12:00:00Z", berlin), civil(2026, 7, 1, 12, 0) * kNsPerSec);
    EXPECT_EQ(Format::compile("%d.%m.%Y %H:%M")->parse("01.07.2026 12:00", berlin), 1782900000 * kNsPerSec);
    EXPECT_EQ(Format::compile("%d.%m.%Y %H:%M %z")->parse("01.07.2026 12:00 +0000", berlin),
              civil(2026, 7, 1, 12, 0) * kNsPerSec);
}

TEST(Zone, BerlinSpringForwardGapMovesForward) {
    const Zone berlin = zone("Europe/Berlin");
    // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00Z); 02:00-02:59 never happen.
    EXPECT_EQ(utc(berlin, 2026, 3, 29, 1, 59, 59), civil(2026, 3, 29, 0, 59, 59));
    EXPECT_EQ(utc(berlin, 2026, 3, 29, 2, 0), civil(2026, 3, 29, 1, 0));    // read as 03:00 CEST
    EXPECT_EQ(utc(berlin, 2026, 3, 29, 2, 30), civil(2026, 3, 29, 1, 30));  // read as 03:30 CEST
    EXPECT_EQ(utc(berlin, 2026, 3, 29, 3, 0), civil(2026, 3, 29, 1, 0));
    EXPECT_EQ(utc(berlin, 2026, 3, 29, 3, 30), civil(2026, 3, 29, 1, 30));
    EXPECT_EQ(LocalZone(berlin).offset_at(civil(2026, 3, 29, 0, 59, 59)), 3600);
    EXPECT_EQ(LocalZone(berlin).offset_at(civil(2026, 3, 29, 1, 0)), 7200);
}

TEST(Zone, BerlinFallBackOverlapTakesTheEarlier) {
    const Zone berlin = zone("Europe/Berlin");
    // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00Z); 02:00-02:59 happen twice.
    EXPECT_EQ(utc(berlin, 2026, 10, 25, 1, 59), civil(2026, 10, 24, 23, 59));
    EXPECT_EQ(utc(berlin, 2026, 10, 25, 2, 0), civil(2026, 10, 25, 0, 0));    // CEST, the first 02:00
    EXPECT_EQ(utc(berlin, 2026, 10, 25, 2, 30), civil(2026, 10, 25, 0, 30));  // CEST
    EXPECT_EQ(utc(berlin, 2026, 10, 25, 2, 59, 59), civil(2026, 10, 25, 0, 59, 59));
    EXPECT_EQ(utc(berlin, 2026, 10, 25, 3, 0), civil(2026, 10, 25, 2, 0));  // CET
    EXPECT_EQ(LocalZone(berlin).offset_at(civil(2026, 10, 25, 0, 59, 59)), 7200);
    EXPECT_EQ(LocalZone(berlin).offset_at(civil(2026, 10, 25, 1, 0)), 3600);
}

TEST(Zone, NewYork) {
    const Zone ny = zone("America/New_York");
    EXPECT_EQ(utc(ny, 2026, 1, 15, 12, 0), 1768496400);               // EST, -05:00
    EXPECT_EQ(utc(ny, 2026, 7, 4, 12, 0), 1783180800);                // EDT, -04:00
    EXPECT_EQ(utc(ny, 2026, 3, 8, 2, 30), 1772955000);                // the gap: 03:30 EDT
    EXPECT_EQ(utc(ny, 2026, 11, 1, 1, 30), 1793511000);               // the overlap: 01:30 EDT
    EXPECT_EQ(utc(ny, 2026, 11, 1, 2, 0), civil(2026, 11, 1, 7, 0));  // EST again
    EXPECT_EQ(LocalZone(ny).offset_at(1783180800), -4 * 3600);
}

TEST(Zone, BeyondTheLastTransitionTheFooterRuleApplies) {
    // The files list transitions to 2037 at most; later dates follow the TZ rule at their end.
    const Zone berlin = zone("Europe/Berlin");
    EXPECT_EQ(utc(berlin, 2100, 7, 1, 12, 0), 4118119200);
    EXPECT_EQ(utc(berlin, 2100, 3, 28, 2, 30), 4109880600);   // the gap in 2100
    EXPECT_EQ(utc(berlin, 2100, 10, 31, 2, 30), 4128625800);  // the overlap in 2100
    EXPECT_EQ(utc(zone("America/New_York"), 2200, 7, 4, 12, 0), 7274073600);
    // The southern hemisphere: summer time across New Year.
    const Zone sydney = zone("Australia/Sydney");
    EXPECT_EQ(utc(sydney, 2100, 1, 1, 12, 0), 4102448400);  // AEDT, +11:00
    EXPECT_EQ(utc(sydney, 2100, 7, 1, 12, 0), 4118090400);  // AEST, +10:00
    EXPECT_EQ(utc(sydney, 2100, 4, 4, 2, 30), 4110449400);  // the overlap: AEDT
}

TEST(Zone, PosixRules) {
    const auto cet = tzif::parse_posix("CET-1CEST,M3.5.0,M10.5.0/3");
    ASSERT_TRUE(cet);
    EXPECT_EQ(cet->std_offset, 3600);
    EXPECT_EQ(cet->dst_offset, 7200);
    EXPECT_EQ(cet->end.time_s, 3 * 3600);
    EXPECT_EQ(cet->start.day_of(2026), days_from_civil(2026, 3, 29));  // last Sunday of March
    const auto est = tzif::parse_posix("EST5EDT,M3.2.0,M11.1.0");
    ASSERT_TRUE(est);
    EXPECT_EQ(est->std_offset, -5 * 3600);
    EXPECT_EQ(est->start.day_of(2026), days_from_civil(2026, 3, 8));  // second Sunday of March
    const auto tehran = tzif::parse_posix("<+0330>-3:30");
    ASSERT_TRUE(tehran);
    EXPECT_FALSE(tehran->has_dst);
    EXPECT_EQ(tehran->std_offset, 3 * 3600 + 1800);
    const auto julian = tzif::parse_posix("XXX3YYY,J60/2,300/-1");
    ASSERT_TRUE(julian);
    EXPECT_EQ(julian->start.day_of(2024), days_from_civil(2024, 3, 1));  // J60 skips Feb 29
    EXPECT_EQ(julian->end.day_of(2024), days_from_civil(2024, 1, 1) + 300);
    EXPECT_EQ(julian->end.time_s, -3600);
    for (const char* bad : {"", "C-1", "CET", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0", "CET-200"})
        EXPECT_FALSE(tzif::parse_posix(bad)) << bad;
}

TEST(Zone, ReadsTzifFiles) {
    std::string error;
    std::ifstream in(Zone::zoneinfo_dir() + "/Europe/Berlin", std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto data = tzif::parse(bytes, &error);
    ASSERT_TRUE(data) << error;
    EXPECT_EQ(data->footer, "CET-1CEST,M3.5.0,M10.5.0/3");
    EXPECT_EQ(data->initial_offset, 3208);  // local mean time of Berlin
    EXPECT_FALSE(data->transitions.empty());
    EXPECT_FALSE(tzif::parse(bytes.substr(0, 100), &error));
    EXPECT_EQ(error, "a TZif file cut short");
    EXPECT_FALSE(tzif::parse("TZif1" + std::string(60, '\0'), &error));
    EXPECT_FALSE(tzif::parse("#!/bin/sh\n", &error));
    EXPECT_EQ(error, "not a TZif file");
}

namespace {

void put32(std::string& out, uint32_t v) {
    for (int k = 3; k >= 0; --k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
}

/// A "slim" TZif file (as zic -b slim writes): Berlin's changes of 1996 only,
/// everything later left to the footer rule.
std::string slim_berlin() {
    std::string f = "TZif2" + std::string(15, '\0');
    for (uint32_t c : {0u, 0u, 0u, 0u, 1u, 1u}) put32(f, c);  // an empty version 1 block
    f += std::string(6, '\0') + std::string(1, '\0');
    f += "TZif2" + std::string(15, '\0');
    for (uint32_t c : {0u, 0u, 0u, 2u, 2u, 10u}) put32(f, c);
    for (int64_t t : {civil(1996, 3, 31, 1, 0), civil(1996, 10, 27, 1, 0)}) {
        put32(f, static_cast<uint32_t>(static_cast<uint64_t>(t) >> 32));
        put32(f, static_cast<uint32_t>(t));
    }
    f += std::string{'\1', '\0'};
    put32(f, 3600);
    f += std::string{'\0', '\0'};
    put32(f, 7200);
    f += std::string{'\1', '\4'};
    f += std::string("CET\0CEST\0", 9) + '\0';
    return f + "\nCET-1CEST,M3.5.0,M10.5.0/3\n";
}

}  // namespace

TEST(Zone, ASlimFileTakesLaterYearsFromItsRule) {
    const std::string dir = ::testing::TempDir() + "weir-zoneinfo";
    std::string mkdir = "mkdir -p '" + dir + "/Test'";
    ASSERT_EQ(std::system(mkdir.c_str()), 0);
    std::ofstream(dir + "/Test/Berlin", std::ios::binary) << slim_berlin();
    const char* old = std::getenv("TZDIR");
    const std::string saved = old ? old : "";
    setenv("TZDIR", dir.c_str(), 1);
    std::string error;
    auto slim = Zone::parse("Test/Berlin", &error);
    if (old)
        setenv("TZDIR", saved.c_str(), 1);
    else
        unsetenv("TZDIR");
    ASSERT_TRUE(slim) << error;
    EXPECT_EQ(utc(*slim, 1996, 7, 1, 12, 0), civil(1996, 7, 1, 10, 0));
    EXPECT_EQ(utc(*slim, 2026, 1, 19, 11, 30), 1768818600);
    EXPECT_EQ(utc(*slim, 2026, 7, 1, 12, 0), 1782900000);
    EXPECT_EQ(utc(*slim, 2026, 3, 29, 2, 30), civil(2026, 3, 29, 1, 30));
    EXPECT_EQ(utc(*slim, 2026, 10, 25, 2, 30), civil(2026, 10, 25, 0, 30));
    EXPECT_EQ(LocalZone(*slim).offset_at(civil(2026, 10, 25, 1, 0)), 3600);
}

TEST(Zone, UnknownNamesAreRefusedWithAHint) {
    for (const char* bad : {"Europe/Berlinn", "Mars", "Europe", "../../etc/passwd", "/etc/localtime",
                            "Europe/", "Europe//Berlin", "", "Europe/Berlin\n"}) {
        std::string error;
        EXPECT_FALSE(Zone::parse(bad, &error)) << bad;
        EXPECT_NE(error.find("Europe/Berlin"), std::string::npos) << error;  // the hint names a valid zone
        EXPECT_EQ(error.find("did you mean"), std::string::npos) << error;
    }
    std::string error;
    Zone::parse("Europe/Berlinn", &error);
    EXPECT_NE(error.find("unknown time zone 'Europe/Berlinn'"), std::string::npos) << error;
    Zone::parse("europe/berlin", &error);  // names are case-sensitive; the right spelling is suggested
    EXPECT_EQ(error, "unknown time zone 'europe/berlin'; did you mean 'Europe/Berlin'?");
    EXPECT_TRUE(Zone::parse("utc", &error)) << error;  // UTC in either case, as before
}

TEST(Zone, LookupsFollowTheCachedSpanBothWays) {
    // Jumping back and forth across a change gives the same answers as fresh lookups.
    const Zone berlin = zone("Europe/Berlin");
    const int64_t change = civil(2026, 3, 29, 1, 0);
    for (int round = 0; round < 3; ++round) {
        EXPECT_EQ(LocalZone(berlin).offset_at(change - 1), 3600);
        EXPECT_EQ(LocalZone(berlin).offset_at(change), 7200);
        EXPECT_EQ(LocalZone(berlin).offset_at(civil(1990, 1, 1, 0, 0)), 3600);
        EXPECT_EQ(LocalZone(berlin).offset_at(civil(1900, 1, 1, 0, 0)), 3600);  // CET since 1893
        EXPECT_EQ(LocalZone(berlin).offset_at(civil(1800, 1, 1, 0, 0)), 3208);  // before the first change
        EXPECT_EQ(LocalZone(berlin).offset_for_local(civil(2026, 3, 29, 3, 0)), 7200);
        EXPECT_EQ(LocalZone(berlin).offset_for_local(civil(2026, 3, 29, 1, 59)), 3600);
    }
}

TEST(Zone, InferYearUsesTheZonesDate) {
    // 23:30Z on Dec 31 is already Jan 1 in Berlin: "Jan  1" is this (new) year there.
    const int64_t now = civil(2026, 12, 31, 23, 30) * kNsPerSec;
    EXPECT_EQ(infer_year(1, 1, now, zone("Europe/Berlin")), 2027);
    EXPECT_EQ(infer_year(1, 1, now, zone("UTC")), 2027);  // within 358 days: next year either way
    EXPECT_EQ(parse_rfc3164("Jul  1 12:00:00", civil(2026, 7, 2, 0, 0) * kNsPerSec, zone("Europe/Berlin")),
              1782900000 * kNsPerSec);
}
