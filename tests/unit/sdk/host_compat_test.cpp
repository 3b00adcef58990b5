// A plugin built with this SDK on a weir older than it: each feature degrades
// or refuses the way <weir/plugin.h> and docs/plugin-sdk.md say. The "older
// weir" is a host table cut short where an earlier host's ended.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>
#include <weir/sdk.hpp>

namespace {

// ---- a fake host: options from a map, counters and acks recorded ----------------

struct FakeHost {
    std::map<std::string, std::string> strings;
    std::map<std::string, int64_t> ints;
    std::vector<std::pair<std::string, uint64_t>> dropped;
    std::vector<std::pair<uint64_t, int32_t>> acks;
    size_t batch_events = 3;
};
FakeHost* g_host = nullptr;

int32_t opt_is_set(const weir_options*, const char* n) {
    return g_host->strings.count(n) || g_host->ints.count(n) ? 1 : 0;
}
weir_str opt_string(const weir_options*, const char* n) {
    auto it = g_host->strings.find(n);
    return it == g_host->strings.end() ? weir_str{"", 0} : weir_str{it->second.data(), it->second.size()};
}
int64_t opt_int(const weir_options*, const char* n) {
    auto it = g_host->ints.find(n);
    return it == g_host->ints.end() ? 0 : it->second;
}
double opt_float(const weir_options*, const char*) { return 0; }
size_t opt_list_size(const weir_options*, const char*) { return 0; }
weir_str opt_list_item(const weir_options*, const char*, size_t) { return weir_str{"", 0}; }
void count(weir_ctx*, int32_t counter, const char* reason, uint64_t n) {
    if (counter == WEIR_COUNT_DROPPED) g_host->dropped.emplace_back(reason, n);
}
void log(weir_ctx*, int32_t, const char*, size_t) {}
void ack(weir_ctx*, uint64_t token, int32_t status) { g_host->acks.emplace_back(token, status); }
size_t batch_size(const weir_batch*) { return g_host->batch_events; }

/// The host table of a weir whose table ended before `end` (bytes).
weir_host_api host_ending_at(size_t end) {
    weir_host_api h{};
    h.abi_version = WEIR_ABI_VERSION;
    h.struct_size = static_cast<uint32_t>(end);
    h.log = log;
    h.count = count;
    h.opt_is_set = opt_is_set;
    h.opt_string = opt_string;
    h.opt_int = opt_int;
    h.opt_float = opt_float;
    h.opt_list_size = opt_list_size;
    h.opt_list_item = opt_list_item;
    h.ack = ack;
    h.batch_size = batch_size;
    return h;
}
const size_t kBeforeConditions = offsetof(weir_host_api, condition_compile);
const size_t kBeforeRefusals = offsetof(weir_host_api, refuse);

// ---- plugins ---------------------------------------------------------------------

class NeedsCondition final : public weir::Filter {
public:
    NeedsCondition(weir::Context& ctx, const weir::Options&) : weir::Filter(ctx), c_(ctx, "level:error") {}
    void process(weir::Batch&) override {}

private:
    weir::Condition c_;
};

class Refuser final : public weir::Output {
public:
    Refuser(weir::Context& ctx, const weir::Options& opts) : weir::Output(ctx), mode_(opts.str("format")) {}
    weir::WriteResult write(weir::Batch&, uint64_t token) override {
        context().refuse(token, "constraint_violation");
        return weir::WriteResult::Refused;
    }

private:
    std::string mode_;
};

const weir::Option refuser_options[] = {
    weir::option::string("format", "json", "Format.").one_of("json|text"),
    weir::option::integer("retries", "3", "Retries.").between("1", "10"),
    weir::option::duration("timeout", "1s", "Timeout.").at_least("10ms"),
};

class CompatTest : public ::testing::Test {
protected:
    void SetUp() override { g_host = &fake; }
    void TearDown() override { g_host = nullptr; }

    template <class T, size_t N>
    std::string create(const weir_host_api& h, const weir::Option (&options)[N], void** self) {
        (void)weir::detail::make_descriptor<T>(WEIR_KIND_OUTPUT, 0, "t", "1", "t", options);
        char err[512] = {};
        const int32_t rc = weir::detail::create<T>(&h, nullptr, nullptr, self, err, sizeof err);
        return rc == WEIR_OK ? std::string() : std::string(err[0] ? err : "failed");
    }

    FakeHost fake;
};

}  // namespace

TEST_F(CompatTest, AHostTableSmallerThanAnyWeirIsRefusedInOneSentence) {
    const weir_host_api h = host_ending_at(WEIR_HOST_API_MIN_SIZE - 8);
    char err[256] = {};
    void* self = nullptr;
    EXPECT_EQ(weir::detail::create<Refuser>(&h, nullptr, nullptr, &self, err, sizeof err), WEIR_ERROR);
    EXPECT_EQ(std::string(err), "this weir's host table is ABI 1, " +
                                    std::to_string(WEIR_HOST_API_MIN_SIZE - 8) +
                                    " bytes; the plugin needs ABI 1 and at least " +
                                    std::to_string(WEIR_HOST_API_MIN_SIZE) + " bytes");
}

TEST_F(CompatTest, ConditionsOnAWeirWithoutThemRefuseToStart) {
    const weir_host_api h = host_ending_at(kBeforeConditions);
    char err[256] = {};
    void* self = nullptr;
    EXPECT_EQ(weir::detail::create<NeedsCondition>(&h, nullptr, nullptr, &self, err, sizeof err), WEIR_ERROR);
    EXPECT_NE(std::string(err).find("this weir predates conditions"), std::string::npos) << err;
}

TEST_F(CompatTest, StreamsDegradeToNone) {
    const weir_host_api h = host_ending_at(WEIR_HOST_API_MIN_SIZE);
    weir::Batch b(&h, nullptr);
    EXPECT_EQ(b.stream(), "");
    EXPECT_EQ(b.flush_request(), WEIR_FLUSH_NONE);
    b.set_stream("ignored");  // no call into a table that does not have it
}

TEST_F(CompatTest, OnAWeirWithoutRulesTheSdkChecksThem) {
    const weir_host_api h = host_ending_at(kBeforeRefusals);
    void* self = nullptr;
    fake.strings["format"] = "xml";
    EXPECT_EQ((create<Refuser>(h, refuser_options, &self)),
              "option 'format' must be one of json, text, found 'xml'");
    fake.strings["format"] = "text";
    fake.ints["retries"] = 11;
    EXPECT_EQ((create<Refuser>(h, refuser_options, &self)), "option 'retries' must be at most 10");
    fake.ints["retries"] = 5;
    fake.ints["timeout"] = 9'000'000;  // 9ms
    EXPECT_EQ((create<Refuser>(h, refuser_options, &self)), "option 'timeout' must be at least 10ms");
    fake.ints["timeout"] = 10'000'000;
    ASSERT_EQ((create<Refuser>(h, refuser_options, &self)), "");
    weir::detail::destroy(self);
}

TEST_F(CompatTest, ANewHostChecksTheRulesItself) {
    const weir_host_api h = host_ending_at(sizeof(weir_host_api));
    void* self = nullptr;
    fake.strings["format"] =
        "xml";  // a host with rules never lets this through; the SDK leaves it to the host
    ASSERT_EQ((create<Refuser>(h, refuser_options, &self)), "");
    weir::detail::destroy(self);
}

TEST_F(CompatTest, ARefusalOnAWeirWithoutThemIsADeliveryCountedAsADrop) {
    const weir_host_api h = host_ending_at(kBeforeRefusals);
    void* self = nullptr;
    ASSERT_EQ((create<Refuser>(h, refuser_options, &self)), "");
    // The old host would retry a status it does not know; it hears "delivered".
    EXPECT_EQ(weir::detail::write(self, reinterpret_cast<weir_batch*>(&fake), 7), WEIR_OK);
    EXPECT_EQ(fake.dropped, (std::vector<std::pair<std::string, uint64_t>>{{"constraint_violation", 3}}));
    EXPECT_TRUE(fake.acks.empty());  // settled by the write's own answer, not by an ack as well
    // A pending write refused later: acknowledged as delivered, and the caller is told to count it.
    auto* holder = static_cast<weir::detail::Holder*>(self);
    EXPECT_FALSE(holder->ctx.refuse(8, "constraint_violation"));
    EXPECT_EQ(fake.acks, (std::vector<std::pair<uint64_t, int32_t>>{{8, WEIR_OK}}));
    weir::detail::destroy(self);
}

TEST_F(CompatTest, WriteResultsKeepOneMeaningEach) {
    EXPECT_EQ(static_cast<int32_t>(weir::WriteResult::Retry), WEIR_RETRY);
    EXPECT_EQ(static_cast<int32_t>(weir::WriteResult::Failed), WEIR_ERROR);
    EXPECT_EQ(static_cast<int32_t>(weir::WriteResult::Refused), WEIR_REFUSED);
    EXPECT_NE(WEIR_RETRY, WEIR_ERROR);
}
