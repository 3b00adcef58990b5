// What the store's lookup and differential tests share: a store in a fresh
// temporary folder, copying events into it, and reading fields back.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <weir/event/batch.hpp>
#include <weir/store/store.hpp>

namespace weir::store::testing {

constexpr int64_t kDayNs = 86'400'000'000'000;
constexpr int64_t kBase = 1'768'780'800'000'000'000;  // 2026-01-19T00:00:00Z

inline weir_value str_v(std::string_view s) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{s.data(), s.size()};
    return v;
}
inline weir_value int_v(int64_t i) {
    weir_value v{};
    v.type = WEIR_VAL_INT;
    v.as.i = i;
    return v;
}
inline weir_value float_v(double d) {
    weir_value v{};
    v.type = WEIR_VAL_FLOAT;
    v.as.f = d;
    return v;
}
inline weir_value bool_v(bool b) {
    weir_value v{};
    v.type = WEIR_VAL_BOOL;
    v.as.b = b;
    return v;
}
inline weir_value container_v(int32_t type) {
    weir_value v{};
    v.type = type;
    return v;
}

/// Copies event i of `src` (body, time, every field, deeply) to the end of `dst`.
inline void copy_event(const event::Batch& src, size_t i, event::Batch& dst) {
    const size_t j = dst.add(src.body(i), src.event(i).time_ns);
    std::function<void(const weir_value&, weir_node, std::string_view)> copy =
        [&](const weir_value& v, weir_node parent, std::string_view key) {
            const weir_node made = dst.put(parent, key, v, WEIR_PUT_APPEND);
            if (v.type == WEIR_VAL_OBJECT || v.type == WEIR_VAL_ARRAY)
                for (weir_entry c = src.first(v.as.node); c; c = src.next(c))
                    copy(src.entry(c).value, made, {src.entry(c).key.data, src.entry(c).key.size});
        };
    for (weir_entry e = src.first(src.event(i).root); e; e = src.next(e))
        copy(src.entry(e).value, dst.event(j).root, {src.entry(e).key.data, src.entry(e).key.size});
}

/// A store in its own temporary folder, removed afterwards.
class StoreDir : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("weir-store-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        opts_.path = dir_.string();
        opts_.block_events = 64;
        opts_.initial_map_bytes = 1 << 20;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    /// Writes the events of `src` whose indexes are in `order`, `per_batch`
    /// a batch, and waits until they are committed.
    void write_rows(Store& s, const event::Batch& src, const std::vector<size_t>& order, size_t per_batch) {
        for (size_t start = 0; start < order.size(); start += per_batch) {
            event::Batch part;
            for (size_t k = start; k < std::min(order.size(), start + per_batch); ++k)
                copy_event(src, order[k], part);
            s.write(part, nullptr);
        }
        s.flush();
    }
    void write_all(Store& s, const event::Batch& src, size_t per_batch) {
        std::vector<size_t> order(src.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        write_rows(s, src, order, per_batch);
    }

    std::filesystem::path dir_;
    StoreOptions opts_;
};

/// The integer after "key": in a JSON text (the store's events are flat enough).
inline int64_t json_int(const std::string& json, const std::string& key) {
    const std::string k = "\"" + key + "\":";
    const size_t at = json.find(k);
    if (at == std::string::npos) return -1;
    return std::stoll(json.substr(at + k.size()));
}

}  // namespace weir::store::testing
