// Stored rollup minutes from arbitrary bytes: decoding is an error or a
// minute, never a crash, and a minute that decodes encodes back to a value
// that decodes the same. The checksum is recomputed first so the fuzzer
// reaches the sections.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <weir/store/block.hpp>

#include "rollup.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace weir::store::detail;
    std::string value(reinterpret_cast<const char*>(data), size);
    if (value.size() >= 4) {
        const uint32_t crc = weir::store::block_crc(std::string_view(value).substr(0, value.size() - 4));
        for (int i = 0; i < 4; ++i) value[value.size() - 4 + i] = static_cast<char>(crc >> (8 * i));
    }
    RollupView view;
    if (parse_rollup(value, view)) {
        for_each_count(view.counts, [](std::string_view blob, uint64_t) {
            std::array<std::optional<std::string_view>, 3> parts;
            parse_key_blob(blob, parts);
        });
        Sketch s;
        if (find_sketch(view.sketches, "latency_ms", s) == 1) (void)s.quantile(0.99);
        Hll h;
        if (find_hll(view.hlls, "user_id", h) == 1) (void)h.estimate();
    }
    MinuteRollup m;
    if (!decode_rollup(value, m)) return 0;
    for (const auto& [f, sk] : m.sketches) (void)sk.quantile(0.5);
    std::string again;
    m.encode(again);
    MinuteRollup back;
    if (!decode_rollup(again, back) || back.events != m.events || back.counts != m.counts ||
        back.templates != m.templates)
        std::abort();
    return 0;
}
