// libFuzzer target for the condition language: any text either compiles or
// is refused with a SyntaxError whose position lies inside the text; what
// compiles evaluates on a realistic event without harm.
#include <weir/condition/condition.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

weir::event::Batch& sample() {
    static weir::event::Batch b;
    if (b.size() == 0) {
        b.add("GET /api/v1/orders failed: upstream timeout after 3000 ms", 0);
        const weir_node root = b.event(0).root;
        auto str = [&](weir_node n, const char* k, const char* s) {
            weir_value v{};
            v.type = WEIR_VAL_STRING;
            v.as.s = weir_str{s, std::strlen(s)};
            b.put(n, k, v, 0);
        };
        str(root, "level", "ERROR");
        str(root, "path", "/api/v1/orders");
        weir_value n{};
        n.type = WEIR_VAL_INT;
        n.as.i = 504;
        b.put(root, "status", n, 0);
        weir_value o{};
        o.type = WEIR_VAL_OBJECT;
        str(b.put(root, "request", o, 0), "host", "shop.example.com");
    }
    return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto c = weir::condition::Condition::compile(text);
        const bool first = c.matches(sample(), 0);
        (void)first;
    } catch (const weir::condition::SyntaxError& e) {
        if (e.position() > size) std::abort();  // a position outside the text
    }
    return 0;
}
