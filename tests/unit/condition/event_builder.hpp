// Builds events with typed, nested fields for the condition tests.
#pragma once

#include <cstdint>
#include <string_view>
#include <weir/event/batch.hpp>

namespace weir::condition::testing {

class EventBuilder {
public:
    EventBuilder(event::Batch& b, size_t i) : b_(b), node_(b.event(i).root) {}
    EventBuilder(event::Batch& b, weir_node n) : b_(b), node_(n) {}

    EventBuilder& str(std::string_view k, std::string_view s) {
        weir_value v{};
        v.type = WEIR_VAL_STRING;
        v.as.s = weir_str{s.data(), s.size()};
        b_.put(node_, k, v, 0);
        return *this;
    }
    EventBuilder& num(std::string_view k, int64_t x) {
        weir_value v{};
        v.type = WEIR_VAL_INT;
        v.as.i = x;
        b_.put(node_, k, v, 0);
        return *this;
    }
    EventBuilder& real(std::string_view k, double x) {
        weir_value v{};
        v.type = WEIR_VAL_FLOAT;
        v.as.f = x;
        b_.put(node_, k, v, 0);
        return *this;
    }
    EventBuilder& boolean(std::string_view k, bool x) {
        weir_value v{};
        v.type = WEIR_VAL_BOOL;
        v.as.b = x ? 1 : 0;
        b_.put(node_, k, v, 0);
        return *this;
    }
    EventBuilder& null(std::string_view k) {
        weir_value v{};
        v.type = WEIR_VAL_NULL;
        b_.put(node_, k, v, 0);
        return *this;
    }
    /// A nested object under k; returns a builder for it.
    EventBuilder object(std::string_view k) { return container(k, WEIR_VAL_OBJECT); }
    EventBuilder array(std::string_view k) { return container(k, WEIR_VAL_ARRAY); }

private:
    EventBuilder container(std::string_view k, int32_t type) {
        weir_value v{};
        v.type = type;
        return EventBuilder(b_, b_.put(node_, k, v, 0));
    }
    event::Batch& b_;
    weir_node node_;
};

}  // namespace weir::condition::testing
