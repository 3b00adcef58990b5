#include <chrono>
#include <weir/event/time_format.hpp>

namespace weir::event {
namespace {

// Days since 1970-01-01 to civil date (proleptic Gregorian), H. Hinnant's algorithm.
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += (m <= 2);
}

void put2(char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

void format_rfc3339_ns(int64_t t, char* out) {
    constexpr int64_t kNsPerSec = 1'000'000'000;
    int64_t secs = t / kNsPerSec;
    int64_t frac = t % kNsPerSec;
    if (frac < 0) {
        frac += kNsPerSec;
        --secs;
    }
    int64_t days = secs / 86400;
    int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    const auto yy = static_cast<unsigned>(y);
    put2(out, yy / 100);
    put2(out + 2, yy % 100);
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, static_cast<unsigned>(rem / 3600));
    out[13] = ':';
    put2(out + 14, static_cast<unsigned>(rem % 3600 / 60));
    out[16] = ':';
    put2(out + 17, static_cast<unsigned>(rem % 60));
    out[19] = '.';
    auto f = static_cast<uint64_t>(frac);
    for (int i = 28; i >= 20; --i) {
        out[i] = static_cast<char>('0' + f % 10);
        f /= 10;
    }
    out[29] = 'Z';
}

std::string format_rfc3339_ns(int64_t t) {
    std::string s(kRfc3339NsLength, '\0');
    format_rfc3339_ns(t, s.data());
    return s;
}

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int64_t monotonic_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace weir::event
