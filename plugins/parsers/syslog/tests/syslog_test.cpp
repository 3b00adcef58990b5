#include <gtest/gtest.h>

#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>
#include <weir/time.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

// Arrival time used as "now" for year inference: 2026-06-15T12:00:00Z.
const int64_t kNow =
    weir::time::days_from_civil(2026, 6, 15) * 86400 * weir::time::kNsPerSec + 43200LL * 1'000'000'000;

std::string parse(const std::string& options, const std::string& line, uint32_t* flags = nullptr,
                  int64_t now = kNow) {
    StageHarness h(WEIR_TEST_PLUGIN, options);
    Batch b;
    b.add(line, now);
    h.process(b);
    if (flags) *flags = b.event(0).flags;
    return std::string(b.to_json(0));
}

}  // namespace

// ---- RFC 5424, section 6.5 examples ---------------------------------------------------

TEST(Syslog5424, Example1WithBom) {
    const std::string json = parse("",
                                   "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
                                   "\xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8");
    EXPECT_EQ(
        json,
        R"({"@timestamp":"2003-10-11T22:14:15.003000000Z","message":"'su root' failed for lonvick on /dev/pts/8",)"
        R"("facility":4,"facility_name":"auth","severity":2,"severity_name":"crit","level":"FATAL",)"
        R"("hostname":"mymachine.example.com","app_name":"su","msgid":"ID47"})");
}

TEST(Syslog5424, Example2OffsetAndMicroseconds) {
    const std::string json = parse("",
                                   "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% "
                                   "It's time to make the do-nuts.");
    EXPECT_EQ(
        json,
        R"({"@timestamp":"2003-08-24T12:14:15.000003000Z","message":"%% It's time to make the do-nuts.",)"
        R"("facility":20,"facility_name":"local4","severity":5,"severity_name":"notice","level":"INFO",)"
        R"("hostname":"192.0.2.1","app_name":"myproc","procid":"8710"})");
}

TEST(Syslog5424, StructuredDataSeveralElementsAndEscapes) {
    const std::string json = parse(
        "",
        R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" )"
        R"(eventSource="Application" eventID="1011"][examplePriority@32473 class="high" note="a \"q\" \\ \] x"])");
    EXPECT_NE(
        json.find(R"("structured_data":{"exampleSDID@32473":{"iut":"3","eventSource":"Application",)"
                  R"("eventID":"1011"},"examplePriority@32473":{"class":"high","note":"a \"q\" \\ ] x"}})"),
        std::string::npos)
        << json;
    EXPECT_EQ(json.find("\"message\""), std::string::npos);  // no MSG part
}

TEST(Syslog5424, NilValuesEverywhere) {
    const std::string json = parse("", "<14>1 - - - - - -");
    EXPECT_EQ(json.substr(json.find(",\"facility\"")),
              R"(,"facility":1,"facility_name":"user","severity":6,"severity_name":"info","level":"INFO"})");
}

TEST(Syslog5424, StrictRejectsWhatTheRfcRejects) {
    uint32_t flags = 0;
    // No zone on the timestamp.
    parse("{strict: true}", "<34>1 2003-10-11T22:14:15 host app - - - msg", &flags);
    EXPECT_TRUE(flags & WEIR_EVENT_PARSE_ERROR);
    // A header field with a space-like control character.
    parse("{strict: true, mode: rfc5424}", std::string("<34>1 2003-10-11T22:14:15Z ho\x01st app - - - m"),
          &flags);
    EXPECT_TRUE(flags & WEIR_EVENT_PARSE_ERROR);
    // PRI out of range.
    parse("{strict: true, mode: rfc5424}", "<192>1 - - - - - -", &flags);
    EXPECT_TRUE(flags & WEIR_EVENT_PARSE_ERROR);
    // Lenient: the zone-less time takes the configured timezone.
    const std::string json =
        parse("{timezone: '+02:00'}", "<34>1 2003-10-11T22:14:15 host app - - - msg", &flags);
    EXPECT_FALSE(flags & WEIR_EVENT_PARSE_ERROR);
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2003-10-11T20:14:15.000000000Z\"");
}

TEST(Syslog5424, BrokenStructuredDataIsAParseErrorInStrictAndFallsBackInLenient) {
    const std::string line = R"(<34>1 2003-10-11T22:14:15Z host app - - [id@1 a="never closed)";
    uint32_t flags = 0;
    parse("{strict: true}", line, &flags);
    EXPECT_TRUE(flags & WEIR_EVENT_PARSE_ERROR);
}

// ---- RFC 3164 and real-world variants ------------------------------------------------

TEST(Syslog3164, ClassicWithPriHostAndTag) {
    const std::string json =
        parse("", "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
    EXPECT_EQ(
        json,
        R"({"@timestamp":"2025-10-11T22:14:15.000000000Z","message":"'su root' failed for lonvick on /dev/pts/8",)"
        R"("facility":4,"facility_name":"auth","severity":2,"severity_name":"crit","level":"FATAL",)"
        R"("hostname":"mymachine","app_name":"su"})");
}

TEST(Syslog3164, FileFormatWithoutPriTagWithParenthesesAndPid) {
    const std::string json =
        parse("", "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0");
    EXPECT_EQ(
        json,
        R"({"@timestamp":"2026-06-14T15:16:01.000000000Z","message":"authentication failure; logname= uid=0",)"
        R"x("hostname":"combo","app_name":"sshd(pam_unix)","procid":"19939"})x");
}

TEST(Syslog3164, WithoutHostname) {
    const std::string json = parse("", "<13>Feb  5 17:32:18 cron[123]: job done");
    EXPECT_NE(json.find(R"("app_name":"cron","procid":"123")"), std::string::npos) << json;
    EXPECT_EQ(json.find("hostname"), std::string::npos) << json;
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2026-02-05T17:32:18.000000000Z\"");
}

TEST(Syslog3164, AWordAfterTheHostnameIsTheTagAsInRsyslog) {
    // RFC 3164 5.4's example: rsyslog and syslog-ng take "Use" for the tag.
    const std::string json = parse("", "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!");
    EXPECT_NE(json.find(R"("message":"the BFG!")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("hostname":"10.0.0.99","app_name":"Use")"), std::string::npos) << json;
    // Without a hostname nothing is a tag but "tag:" or "tag[pid]".
    const std::string bare = parse("", "<13>Feb  5 17:32:18 message");
    EXPECT_NE(bare.find(R"("message":"message")"), std::string::npos) << bare;
    EXPECT_EQ(bare.find("app_name"), std::string::npos) << bare;
}

TEST(Syslog3164, IsoTimestampVariant) {
    const std::string json = parse("", "<30>2026-01-19T10:30:00.123456+01:00 web01 nginx[77]: reloaded");
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2026-01-19T09:30:00.123456000Z\"");
    EXPECT_NE(json.find(R"("hostname":"web01","app_name":"nginx","procid":"77")"), std::string::npos) << json;
}

TEST(Syslog3164, YearAroundNewYear) {
    const int64_t jan2 = weir::time::days_from_civil(2027, 1, 2) * 86400 * weir::time::kNsPerSec;
    const std::string json = parse("", "<13>Dec 31 23:59:59 host app: late", nullptr, jan2);
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2026-12-31T23:59:59.000000000Z\"");
}

TEST(Syslog3164, TimezoneForZonelessTimes) {
    const std::string json = parse("{timezone: '-0500'}", "<13>Jan 19 05:30:00 host app: x");
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2026-01-19T10:30:00.000000000Z\"");
}

TEST(Syslog3164, LenientKeepsTextWithoutTimestampAndSaysSo) {
    uint32_t flags = 0;
    const std::string json = parse("", "<13>no timestamp here app: hello", &flags);
    EXPECT_FALSE(flags & WEIR_EVENT_PARSE_ERROR);
    EXPECT_NE(json.find(R"("_parse_warning":"no timestamp")"), std::string::npos) << json;
    parse("{strict: true}", "<13>no timestamp here app: hello", &flags);
    EXPECT_TRUE(flags & WEIR_EVENT_PARSE_ERROR);
}

// ---- RFC 3164 timestamps as rsyslog and syslog-ng read them --------------------------

TEST(Syslog3164, SpaceAfterPri) {
    const std::string json = parse("", "<38> Mar  7 19:06:53 example tag: testmessage");
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2026-03-07T19:06:53.000000000Z\"");
    EXPECT_NE(json.find(R"("hostname":"example","app_name":"tag")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("message":"testmessage")"), std::string::npos) << json;
    EXPECT_EQ(json.find("_parse_warning"), std::string::npos) << json;
}

TEST(Syslog3164, YearAfterTheDay) {
    const std::string json =
        parse("", "<165>Oct 11 2023 22:14:15 fw01 filterlog[4321]: 5,,,1000000103,igb0,match");
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2023-10-11T22:14:15.000000000Z\"");
    EXPECT_NE(json.find(R"("hostname":"fw01","app_name":"filterlog","procid":"4321")"), std::string::npos)
        << json;
    // Cisco: a year after the day and milliseconds.
    const std::string cisco = parse("", "<189>Jun 19 2012 09:30:00.123 core-sw1 %SYS-5-CONFIG_I: Configured");
    EXPECT_EQ(cisco.substr(0, 46), "{\"@timestamp\":\"2012-06-19T09:30:00.123000000Z\"");
    EXPECT_NE(cisco.find(R"("hostname":"core-sw1","app_name":"%SYS-5-CONFIG_I")"), std::string::npos)
        << cisco;
}

TEST(Syslog3164, YearAfterTheTime) {
    const std::string json = parse("", "<13>Oct 11 22:14:15 2023 host app: x");
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2023-10-11T22:14:15.000000000Z\"");
    EXPECT_NE(json.find(R"("hostname":"host","app_name":"app")"), std::string::npos) << json;
}

TEST(Syslog3164, SingleDigitDay) {
    const std::string json =
        parse("", "<30>Jan 5 07:08:09 db-2 postgres[1501]: LOG:  checkpoint starting: time");
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2026-01-05T07:08:09.000000000Z\"");
    EXPECT_NE(json.find(R"("hostname":"db-2","app_name":"postgres","procid":"1501")"), std::string::npos)
        << json;
    EXPECT_NE(json.find(R"("message":"LOG:  checkpoint starting: time")"), std::string::npos) << json;
}

TEST(Syslog3164, IsoTimestampWithASpace) {
    const std::string json =
        parse("", "<7>2006-10-29 02:00:00.156+01:00 host prg00000[1234]: seq: 0000000000");
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2006-10-29T01:00:00.156000000Z\"");
    EXPECT_NE(json.find(R"("hostname":"host","app_name":"prg00000","procid":"1234")"), std::string::npos)
        << json;
    // Without a zone: the configured timezone.
    const std::string local = parse("{timezone: '+02:00'}", "<7>2006-10-29 02:00:00 host app: x");
    EXPECT_EQ(local.substr(0, 46), "{\"@timestamp\":\"2006-10-29T00:00:00.000000000Z\"");
    // Strict mode wants RFC 3339's T.
    uint32_t flags = 0;
    parse("{strict: true}", "<7>2006-10-29 02:00:00.156+01:00 host app: x", &flags);
    EXPECT_TRUE(flags & WEIR_EVENT_PARSE_ERROR);
}

TEST(Syslog3164, UnreadableDateIsNotTurnedIntoHostAndTag) {
    uint32_t flags = 0;
    const std::string json = parse("", "<13>Mar 32 25:61:00 host app: hello", &flags);
    EXPECT_FALSE(flags & WEIR_EVENT_PARSE_ERROR);
    EXPECT_NE(json.find(R"("_parse_warning":"unreadable timestamp: hostname and tag not read")"),
              std::string::npos)
        << json;
    EXPECT_EQ(json.find("\"hostname\":"), std::string::npos) << json;
    EXPECT_EQ(json.find("\"app_name\":"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("message":"Mar 32 25:61:00 host app: hello")"), std::string::npos) << json;
    // No timestamp at all: a tag may still be there, a hostname cannot.
    const std::string bare = parse("", "<13>myapp[42]: started");
    EXPECT_NE(bare.find(R"("app_name":"myapp","procid":"42")"), std::string::npos) << bare;
    EXPECT_EQ(bare.find("hostname"), std::string::npos) << bare;
}

TEST(Syslog3164, TagWithoutColonAsRsyslogReadsIt) {
    // RFC 3164 4.1.3: the TAG ends at the first character that is not alphanumeric.
    const std::string json = parse("", "<7>Oct 11 22:14:15 host prg0 message");
    EXPECT_NE(json.find(R"("hostname":"host","app_name":"prg0")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("message":"message")"), std::string::npos) << json;
}

TEST(Syslog3164, Ipv6HostnamesEndingInDoubleColon) {
    const std::string json = parse("", "<13>Feb  5 17:32:18 2001:db8:: sshd[88]: Accepted publickey");
    EXPECT_NE(json.find(R"("hostname":"2001:db8::","app_name":"sshd","procid":"88")"), std::string::npos)
        << json;
    const std::string v6 = parse("", "<13>Feb  5 17:32:18 fe80::1 app: x");
    EXPECT_NE(v6.find(R"("hostname":"fe80::1","app_name":"app")"), std::string::npos) << v6;
}

// ---- RFC 5424: what strict mode checks, what lenient mode says it accepted ----------

TEST(Syslog5424, VersionIsOneToThreeDigits) {
    uint32_t flags = 0;
    parse("{mode: rfc5424}", "<14>100 2003-10-11T22:14:15Z host app - - - x", &flags);
    EXPECT_FALSE(flags & WEIR_EVENT_PARSE_ERROR);
    parse("{mode: rfc5424}", "<14>1000 2003-10-11T22:14:15Z host app - - - x", &flags);
    EXPECT_TRUE(flags & WEIR_EVENT_PARSE_ERROR);
}

TEST(Syslog5424, StrictChecksAndLenientWarnings) {
    struct Case {
        std::string line, warning;
    };
    const std::string sd33(33, 'a');
    const Case cases[] = {
        {"<14>1 2003-10-11T22:14:15Z host app - - [" + sd33 + " a=\"1\"] x",
         "an SD-ID longer than 32 characters"},
        {R"(<14>1 2003-10-11T22:14:15Z host app - - [id@1 a="1"][id@1 b="2"] x)",
         "a repeated SD-ID (its parameters are merged into the first)"},
        {R"(<14>1 2003-10-11T22:14:15Z host app - - [id@1 a="x]y"] x)",
         "an unescaped ']' in a structured data value"},
        {"<14>1 2003-10-11t22:14:15Z host app - - - x", "a lower-case t or z in the timestamp"},
        {"<14>1 2003-10-11T22:14:15Z host app - - - \xEF\xBB\xBF"
         "bad \xC3\x28 utf-8",
         "the message after the BOM is not valid UTF-8"},
    };
    for (const auto& c : cases) {
        uint32_t flags = 0;
        parse("{strict: true}", c.line, &flags);
        EXPECT_TRUE(flags & WEIR_EVENT_PARSE_ERROR) << c.line;
        const std::string json = parse("", c.line, &flags);
        EXPECT_FALSE(flags & WEIR_EVENT_PARSE_ERROR) << c.line;
        EXPECT_NE(json.find("\"_parse_warning\":\"" + c.warning + "\""), std::string::npos) << json;
    }
    const std::string merged =
        parse("", R"(<14>1 2003-10-11T22:14:15Z host app - - [id@1 a="1"][id@1 b="2"] x)");
    EXPECT_NE(merged.find(R"("structured_data":{"id@1":{"a":"1","b":"2"}})"), std::string::npos) << merged;
    const std::string good = parse("{strict: true}",
                                   "<14>1 2003-10-11T22:14:15Z host app - - - \xEF\xBB\xBF"
                                   "gr\xC3\xBC\xC3\x9F");
    EXPECT_EQ(good.find("_parse"), std::string::npos) << good;
}

TEST(Syslog, NotSyslogIsAParseErrorWithRawKept) {
    const std::string lines[] = {"", "plain text", "\x01\x02\xff junk", "<999>1 x", "<12"};
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    for (const auto& l : lines) b.add(l, kNow);
    h.process(b);
    for (size_t i = 0; i < b.size(); ++i) {
        EXPECT_TRUE(b.event(i).flags & WEIR_EVENT_PARSE_ERROR) << i;
        EXPECT_EQ(b.body(i), lines[i]);
    }
    EXPECT_EQ(h.metrics().errors.get("parse_error"), std::size(lines));
}

TEST(Syslog, BadOptions) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{mode: rfc9999}"), std::exception);
    try {
        StageHarness(WEIR_TEST_PLUGIN, "{timezone: Europe/Berlinn}");
        ADD_FAILURE() << "an unknown zone name was accepted";
    } catch (const std::exception& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("timezone: unknown time zone 'Europe/Berlinn'"), std::string::npos) << what;
        EXPECT_NE(what.find("Europe/Berlin or America/New_York"), std::string::npos) << what;
    }
}

TEST(Syslog, NamedTimezoneFollowsDaylightSaving) {
    const std::string berlin = "{timezone: Europe/Berlin}";
    // RFC 3164 in winter (+01:00) and summer (+02:00); the year comes from the arrival (2026-06-15).
    EXPECT_EQ(parse(berlin, "<13>Jan 19 11:30:00 host app: x").substr(0, 46),
              "{\"@timestamp\":\"2026-01-19T10:30:00.000000000Z\"");
    EXPECT_EQ(parse(berlin, "<13>Jun  1 12:00:00 host app: x").substr(0, 46),
              "{\"@timestamp\":\"2026-06-01T10:00:00.000000000Z\"");
    // A zone-less RFC 5424 time in the repeated hour of 2026-10-25: the first (summer) one.
    EXPECT_EQ(parse(berlin, "<34>1 2026-10-25T02:30:00 host app - - - x").substr(0, 46),
              "{\"@timestamp\":\"2026-10-25T00:30:00.000000000Z\"");
    // A time that carries its zone keeps it.
    EXPECT_EQ(parse(berlin, "<34>1 2026-06-01T12:00:00Z host app - - - x").substr(0, 46),
              "{\"@timestamp\":\"2026-06-01T12:00:00.000000000Z\"");
}
