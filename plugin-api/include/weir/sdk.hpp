// Weir plugin SDK — the C++ face of the C ABI in <weir/plugin.h>.
//
// A plugin is one class deriving from weir::Input, weir::Parser, weir::Filter
// or weir::Output, a static option table, and one WEIR_PLUGIN(...) line:
//
//   class Upper final : public weir::Parser {
//   public:
//       Upper(weir::Context& ctx, const weir::Options& opts) : weir::Parser(ctx) {}
//       void process(weir::Batch& batch) override { ... }
//   };
//   static const weir_option_def upper_options[] = {
//       weir::option::string("field", "message", "Field to upper-case."),
//   };
//   WEIR_PLUGIN(Upper, WEIR_KIND_PARSER, "upper", "1.0.0", "Upper-cases a field.", upper_options)
//
// Ownership: batches belong to the host; views (Batch, Event, Object) are
// cheap handles that must not outlive the call that handed them out, except an
// OwnedBatch, which an input holds until it emits or drops it. Strings read
// from a batch are valid while the batch lives.
//
// Threads: the constructor and destructor run on the control thread. An
// Input's run() has a thread of its own; stop() comes from the control thread;
// on_ack() from an output thread. A Parser or Filter instance is used by one
// worker thread at a time (unless declared thread-safe). An Output's write()
// and flush() run on its single writer thread.
//
// Exceptions: may be thrown by plugin code; the SDK catches them at the ABI
// boundary. From a constructor, a weir::ConfigError (or any std::exception)
// becomes the one-line refusal the host shows the user.
#pragma once

#include <weir/plugin.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>
#include <weir/time.hpp>

namespace weir {

/// Thrown from a plugin constructor to refuse a configuration.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline std::string_view to_view(weir_str s) { return {s.data ? s.data : "", s.size}; }

// ---- option table helpers ------------------------------------------------------

/// One entry of an option table: the C definition and its rules (allowed
/// values, bounds, secrecy, what empty means), built with weir::option::...
/// and refined with the member functions:
///
///   weir::option::string("format", "ndjson", "Body format.").one_of("ndjson|json_array"),
///   weir::option::integer("max_keys", "10000", "Keys tracked at most.").at_least("1"),
///   weir::option::string("api_key", "", "Bearer token.").secret().empty_means("no Authorization header"),
///
/// The host checks the rules before the constructor runs, so a constructor
/// never sees a value outside them. Converts to a plain weir_option_def, for
/// tables written before the rules (which then have none).
struct Option {
    weir_option_def def;
    weir_option_rules rules;

    /// STRING and STRING_LIST: the values allowed, separated by '|'.
    constexpr Option one_of(const char* values) const {
        Option o = *this;
        o.rules.allowed = values;
        return o;
    }
    /// INT, FLOAT, DURATION and SIZE: bounds as written in YAML ("1", "10ms", "4KiB").
    constexpr Option at_least(const char* min) const {
        Option o = *this;
        o.rules.min = min;
        return o;
    }
    constexpr Option at_most(const char* max) const {
        Option o = *this;
        o.rules.max = max;
        return o;
    }
    constexpr Option between(const char* min, const char* max) const { return at_least(min).at_most(max); }
    /// A credential: never printed by the host.
    constexpr Option secret() const {
        Option o = *this;
        o.rules.flags |= WEIR_OPT_SECRET;
        return o;
    }
    /// What an empty (or zero) value means, for --describe and the README.
    constexpr Option empty_means(const char* text) const {
        Option o = *this;
        o.rules.empty_means = text;
        return o;
    }
    constexpr operator weir_option_def() const { return def; }  // NOLINT: tables of plain definitions
};

namespace option {
inline constexpr Option make(int32_t type, const char* name, const char* def, bool required,
                             const char* help) {
    return Option{weir_option_def{sizeof(weir_option_def), type, name, def, required ? 1 : 0, help},
                  weir_option_rules{sizeof(weir_option_rules), 0, nullptr, nullptr, nullptr, nullptr}};
}
/// An optional string option with a default (nullptr: no default).
inline constexpr Option string(const char* name, const char* def, const char* help) {
    return make(WEIR_OPT_STRING, name, def, false, help);
}
inline constexpr Option required_string(const char* name, const char* help) {
    return make(WEIR_OPT_STRING, name, nullptr, true, help);
}
inline constexpr Option integer(const char* name, const char* def, const char* help) {
    return make(WEIR_OPT_INT, name, def, false, help);
}
inline constexpr Option real(const char* name, const char* def, const char* help) {
    return make(WEIR_OPT_FLOAT, name, def, false, help);
}
inline constexpr Option boolean(const char* name, const char* def, const char* help) {
    return make(WEIR_OPT_BOOL, name, def, false, help);
}
inline constexpr Option duration(const char* name, const char* def, const char* help) {
    return make(WEIR_OPT_DURATION, name, def, false, help);
}
inline constexpr Option size(const char* name, const char* def, const char* help) {
    return make(WEIR_OPT_SIZE, name, def, false, help);
}
inline constexpr Option string_list(const char* name, const char* def, const char* help) {
    return make(WEIR_OPT_STRING_LIST, name, def, false, help);
}
inline constexpr Option required_string_list(const char* name, const char* help) {
    return make(WEIR_OPT_STRING_LIST, name, nullptr, true, help);
}
}  // namespace option

/// Validated options of one instance. Only valid inside the constructor.
class Options {
public:
    Options(const weir_host_api* h, const weir_options* o) : h_(h), o_(o) {}
    bool has(const char* name) const { return h_->opt_is_set(o_, name) != 0; }
    std::string_view str(const char* name) const { return to_view(h_->opt_string(o_, name)); }
    int64_t integer(const char* name) const { return h_->opt_int(o_, name); }
    bool boolean(const char* name) const { return h_->opt_int(o_, name) != 0; }
    double real(const char* name) const { return h_->opt_float(o_, name); }
    /// A timezone option ("UTC" or a fixed offset like +02:00), in seconds
    /// east of UTC; anything else is a ConfigError naming the option.
    int64_t utc_offset(const char* name) const {
        const std::string_view tz = str(name);
        if (const auto offset = time::parse_timezone(tz)) return *offset;
        throw ConfigError(std::string(name) + " must be UTC or an offset like +02:00, found '" +
                          std::string(tz) + "'");
    }
    /// A timezone option: UTC, a fixed offset like +02:00 or an IANA name like
    /// Europe/Berlin, read from the system zoneinfo (include <weir/zone.hpp>
    /// to use it). Load it once, in the constructor; anything else is a
    /// ConfigError naming the option.
    template <class Zone = time::Zone>
    Zone timezone(const char* name) const {
        std::string error;
        if (auto zone = Zone::parse(str(name), &error)) return std::move(*zone);
        throw ConfigError(std::string(name) + ": " + error);
    }
    /// Nanoseconds.
    int64_t duration_ns(const char* name) const { return h_->opt_int(o_, name); }
    /// Bytes.
    uint64_t size(const char* name) const { return static_cast<uint64_t>(h_->opt_int(o_, name)); }
    std::vector<std::string> list(const char* name) const {
        std::vector<std::string> out;
        const size_t n = h_->opt_list_size(o_, name);
        out.reserve(n);
        for (size_t i = 0; i < n; ++i) out.emplace_back(to_view(h_->opt_list_item(o_, name, i)));
        return out;
    }

private:
    const weir_host_api* h_;
    const weir_options* o_;
};

// ---- values, objects and events --------------------------------------------------

class Object;

/// A read-only view of one value inside a batch.
class Value {
public:
    Value(const weir_host_api* h, weir_batch* b, weir_value v) : h_(h), b_(b), v_(v) {}
    int32_t type() const { return v_.type; }
    bool is_null() const { return v_.type == WEIR_VAL_NULL; }
    bool is_string() const { return v_.type == WEIR_VAL_STRING; }
    bool is_int() const { return v_.type == WEIR_VAL_INT; }
    bool is_float() const { return v_.type == WEIR_VAL_FLOAT; }
    bool is_bool() const { return v_.type == WEIR_VAL_BOOL; }
    bool is_object() const { return v_.type == WEIR_VAL_OBJECT; }
    bool is_array() const { return v_.type == WEIR_VAL_ARRAY; }
    std::string_view as_string() const { return is_string() ? to_view(v_.as.s) : std::string_view{}; }
    int64_t as_int() const { return is_int() ? v_.as.i : is_float() ? static_cast<int64_t>(v_.as.f) : 0; }
    double as_float() const { return is_float() ? v_.as.f : is_int() ? static_cast<double>(v_.as.i) : 0.0; }
    bool as_bool() const { return is_bool() && v_.as.b != 0; }
    inline Object as_object() const;
    const weir_value& raw() const { return v_; }

private:
    const weir_host_api* h_;
    weir_batch* b_;
    weir_value v_;
};

/// A view of an object or array inside a batch.
class Object {
public:
    Object(const weir_host_api* h, weir_batch* b, weir_node n) : h_(h), b_(b), n_(n) {}
    weir_node node() const { return n_; }
    bool valid() const { return n_ != 0; }

    void set(std::string_view key, std::string_view v, uint32_t flags = 0) {
        weir_value val{};
        val.type = WEIR_VAL_STRING;
        val.as.s = weir_str{v.data(), v.size()};
        h_->put(b_, n_, key.data(), key.size(), &val, flags);
    }
    void set(std::string_view key, const char* v, uint32_t flags = 0) {
        set(key, std::string_view(v), flags);
    }
    void set_int(std::string_view key, int64_t v, uint32_t flags = 0) {
        weir_value val{};
        val.type = WEIR_VAL_INT;
        val.as.i = v;
        h_->put(b_, n_, key.data(), key.size(), &val, flags);
    }
    void set_float(std::string_view key, double v, uint32_t flags = 0) {
        weir_value val{};
        val.type = WEIR_VAL_FLOAT;
        val.as.f = v;
        h_->put(b_, n_, key.data(), key.size(), &val, flags);
    }
    void set_bool(std::string_view key, bool v, uint32_t flags = 0) {
        weir_value val{};
        val.type = WEIR_VAL_BOOL;
        val.as.b = v ? 1 : 0;
        h_->put(b_, n_, key.data(), key.size(), &val, flags);
    }
    void set_null(std::string_view key, uint32_t flags = 0) {
        weir_value val{};
        val.type = WEIR_VAL_NULL;
        h_->put(b_, n_, key.data(), key.size(), &val, flags);
    }
    Object add_object(std::string_view key, uint32_t flags = 0) {
        weir_value val{};
        val.type = WEIR_VAL_OBJECT;
        return Object(h_, b_, h_->put(b_, n_, key.data(), key.size(), &val, flags));
    }
    Object add_array(std::string_view key, uint32_t flags = 0) {
        weir_value val{};
        val.type = WEIR_VAL_ARRAY;
        return Object(h_, b_, h_->put(b_, n_, key.data(), key.size(), &val, flags));
    }
    /// Raw put (see weir_host_api::put).
    weir_node put(std::string_view key, const weir_value& v, uint32_t flags = 0) {
        return h_->put(b_, n_, key.data(), key.size(), &v, flags);
    }
    bool has(std::string_view key) const {
        weir_value v;
        return h_->get(b_, n_, key.data(), key.size(), &v) != 0;
    }
    /// The value of `key`, or a null Value when absent (check with has()).
    Value get(std::string_view key) const {
        weir_value v{};
        if (!h_->get(b_, n_, key.data(), key.size(), &v)) v.type = WEIR_VAL_NULL;
        return Value(h_, b_, v);
    }
    bool remove(std::string_view key) { return h_->remove(b_, n_, key.data(), key.size()) != 0; }

    /// Calls f(std::string_view key, Value value) for each entry in order.
    template <class F>
    void for_each(F&& f) const {
        for (weir_entry e = h_->first(b_, n_); e != 0; e = h_->next(b_, e)) {
            weir_str k;
            weir_value v;
            h_->entry(b_, e, &k, &v);
            f(to_view(k), Value(h_, b_, v));
        }
    }

private:
    const weir_host_api* h_;
    weir_batch* b_;
    weir_node n_;
};

inline Object Value::as_object() const {
    return Object(h_, b_, (is_object() || is_array()) ? v_.as.node : 0);
}

/// A view of one event of a batch.
class Event {
public:
    Event(const weir_host_api* h, weir_batch* b, size_t i) : h_(h), b_(b), i_(i) {}
    size_t index() const { return i_; }
    std::string_view body() const { return to_view(h_->event_body(b_, i_)); }
    /// Replace the body; copied into the batch unless WEIR_ADD_BORROW.
    void set_body(std::string_view s, uint32_t flags = 0) {
        h_->event_set_body(b_, i_, s.data(), s.size(), flags);
    }
    int64_t time_ns() const { return h_->event_time(b_, i_); }
    void set_time_ns(int64_t t) { h_->event_set_time(b_, i_, t); }
    uint32_t flags() const { return h_->event_flags(b_, i_); }
    void set_flags(uint32_t f) { h_->event_set_flags(b_, i_, f); }
    bool parse_error() const { return (flags() & WEIR_EVENT_PARSE_ERROR) != 0; }
    /// Keep the raw body, mark the event as a parse error and record why.
    void mark_parse_error(std::string_view reason) {
        set_flags(flags() | WEIR_EVENT_PARSE_ERROR);
        fields().set("_parse_error", reason);
    }
    /// Drop the event; the host removes it once the current filter returns.
    void drop() { set_flags(flags() | WEIR_EVENT_DROPPED); }
    Object fields() { return Object(h_, b_, h_->event_fields(b_, i_)); }
    /// One JSON line; valid until this thread's next to_json() call.
    std::string_view to_json() const { return to_view(h_->event_json(b_, i_)); }

private:
    const weir_host_api* h_;
    weir_batch* b_;
    size_t i_;
};

/// A view of a batch handed to a plugin for the duration of one call.
class Batch {
public:
    Batch(const weir_host_api* h, weir_batch* b) : h_(h), b_(b) {}
    size_t size() const { return b_ ? h_->batch_size(b_) : 0; }
    bool empty() const { return size() == 0; }
    size_t bytes() const { return b_ ? h_->batch_bytes(b_) : 0; }
    Event operator[](size_t i) const { return Event(h_, b_, i); }
    /// Append an event (body copied unless WEIR_ADD_BORROW). Returns its index.
    size_t add(std::string_view body, int64_t time_ns, uint32_t flags = 0) {
        return h_->event_add(b_, body.data(), body.size(), time_ns, flags);
    }
    /// Scratch memory that lives as long as the batch.
    char* alloc(size_t n) { return h_->batch_alloc(b_, n); }
    weir_batch* raw() const { return b_; }

    /// Inputs: which stream (file, connection) the batch's events come from.
    void set_stream(std::string_view name) {
        if (has_streams()) h_->batch_set_stream(b_, name.data(), name.size());
    }
    /// The stream, as the host names it ("" from a host without streams).
    std::string_view stream() const {
        return has_streams() ? to_view(h_->batch_stream(b_)) : std::string_view{};
    }
    /// Ordered parsers: WEIR_FLUSH_NONE, WEIR_FLUSH_DUE or WEIR_FLUSH_ALL.
    int32_t flush_request() const { return has_streams() ? h_->batch_flush(b_) : WEIR_FLUSH_NONE; }

    class iterator {
    public:
        iterator(const Batch* b, size_t i) : b_(b), i_(i) {}
        Event operator*() const { return (*b_)[i_]; }
        iterator& operator++() {
            ++i_;
            return *this;
        }
        bool operator!=(const iterator& o) const { return i_ != o.i_; }

    private:
        const Batch* b_;
        size_t i_;
    };
    iterator begin() const { return iterator(this, 0); }
    iterator end() const { return iterator(this, size()); }

protected:
    bool has_streams() const { return WEIR_HOST_HAS(h_, batch_flush); }
    const weir_host_api* h_;
    weir_batch* b_;
};

/// A batch an input is filling. Freed on destruction unless emitted.
class OwnedBatch : public Batch {
public:
    OwnedBatch(const weir_host_api* h, weir_batch* b) : Batch(h, b) {}
    OwnedBatch(OwnedBatch&& o) noexcept : Batch(o.h_, o.b_) { o.b_ = nullptr; }
    OwnedBatch& operator=(OwnedBatch&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = o.h_;
            b_ = o.b_;
            o.b_ = nullptr;
        }
        return *this;
    }
    OwnedBatch(const OwnedBatch&) = delete;
    OwnedBatch& operator=(const OwnedBatch&) = delete;
    ~OwnedBatch() { reset(); }
    explicit operator bool() const { return b_ != nullptr; }
    /// Give up ownership (after a successful emit).
    weir_batch* release() {
        weir_batch* b = b_;
        b_ = nullptr;
        return b;
    }

private:
    void reset() {
        if (b_) h_->batch_free(b_);
        b_ = nullptr;
    }
};

/// What a write did; one meaning each (see the status codes in <weir/plugin.h>).
enum class WriteResult {
    Ok = WEIR_OK,            ///< delivered
    Retry = WEIR_RETRY,      ///< not delivered this time: the host writes the batch again after a backoff
    Failed = WEIR_ERROR,     ///< given up, not retried: the inputs hear it was not delivered
    Refused = WEIR_REFUSED,  ///< refused for good: dropped and counted (see Context::refuse), never retried
    Pending = WEIR_PENDING,  ///< call context().ack(token, ...) or context().refuse(token, ...) later
    Error [[deprecated("say Retry (what Error meant) or Failed")]] = WEIR_RETRY
};

namespace detail {
/// The write this thread is inside (for refuse() on a weir older than refusals).
inline thread_local bool in_write = false;
inline thread_local uint64_t write_token = 0;
inline thread_local const char* write_refusal = nullptr;
}  // namespace detail

/// The host side of one plugin instance: logging, counters, and for inputs
/// batch creation and emission.
class Context {
public:
    Context(const weir_host_api* h, weir_ctx* c) : h_(h), c_(c) {}
    const weir_host_api* host() const { return h_; }
    weir_ctx* raw() const { return c_; }

    void log(int32_t level, std::string_view msg) const { h_->log(c_, level, msg.data(), msg.size()); }
    void error(std::string_view msg) const { log(WEIR_LOG_ERROR, msg); }
    void warn(std::string_view msg) const { log(WEIR_LOG_WARN, msg); }
    void info(std::string_view msg) const { log(WEIR_LOG_INFO, msg); }
    void debug(std::string_view msg) const { log(WEIR_LOG_DEBUG, msg); }

    /// Count dropped events by reason (shown on /metrics).
    void count_dropped(const char* reason, uint64_t n = 1) const {
        h_->count(c_, WEIR_COUNT_DROPPED, reason, n);
    }
    /// Count errors by reason; the events involved are kept.
    void count_error(const char* reason, uint64_t n = 1) const {
        h_->count(c_, WEIR_COUNT_ERRORS, reason, n);
    }
    /// Count what went as it should but is worth a number (events enriched,
    /// redacted, spooled): weir_outcomes_total, never weir_errors_total.
    void count_outcome(const char* outcome, uint64_t n = 1) const {
        h_->count(c_, WEIR_COUNT_OUTCOMES, outcome, n);
    }

    std::string_view instance_name() const { return to_view(h_->instance_name(c_)); }
    std::string_view pipeline_name() const { return to_view(h_->pipeline_name(c_)); }
    /// A persistent directory for this instance (checkpoints), created by the host.
    std::string_view state_dir() const { return to_view(h_->state_dir(c_)); }

    // Inputs only.
    OwnedBatch new_batch() const { return OwnedBatch(h_, h_->batch_new(c_)); }
    bool batch_full(const Batch& b) const { return h_->batch_full(c_, b.raw()) != 0; }
    /// Hand the batch to the pipeline; blocks while the queue is full.
    /// Returns true when the pipeline took it (the OwnedBatch is then empty).
    bool emit(OwnedBatch& b, uint64_t ack_cookie = 0) const {
        if (!b) return true;
        if (h_->emit(c_, b.raw(), ack_cookie, 0) != WEIR_OK) return false;
        b.release();
        return true;
    }
    /// Like emit but returns false at once (keeping the batch) when the queue is full.
    bool try_emit(OwnedBatch& b, uint64_t ack_cookie = 0) const {
        if (!b) return true;
        if (h_->emit(c_, b.raw(), ack_cookie, 1) != WEIR_OK) return false;
        b.release();
        return true;
    }
    bool should_stop() const { return h_->should_stop(c_) != 0; }

    // Outputs only: complete a write that returned Pending; `ok` false: the
    // host writes the batch again (WriteResult::Retry).
    void ack(uint64_t token, bool ok) const { h_->ack(c_, token, ok ? WEIR_OK : WEIR_RETRY); }
    void ack(uint64_t token, WriteResult result) const;
    /// Outputs only: write `token` is refused for good (a constraint
    /// violation, an HTTP 400): dropped and counted as
    /// weir_events_dropped_total{reason}, never retried, its inputs
    /// acknowledged. Inside write(), then return WriteResult::Refused; for a
    /// Pending write, instead of ack(). Returns false on a weir older than
    /// refusals: there the write is acknowledged as delivered and the caller
    /// counts the drop itself (count_dropped).
    bool refuse(uint64_t token, const char* reason) const;

private:
    const weir_host_api* h_;
    weir_ctx* c_;
};

inline void Context::ack(uint64_t token, WriteResult result) const {
    if (result == WriteResult::Refused) {
        refuse(token, "refused");
    } else if (result != WriteResult::Pending) {
        h_->ack(c_, token, static_cast<int32_t>(result));
    }
}

inline bool Context::refuse(uint64_t token, const char* reason) const {
    if (WEIR_HOST_HAS(h_, refuse)) {
        h_->refuse(c_, token, reason);
        return true;
    }
    // An older weir: a refused write is a delivered one there, counted here.
    if (detail::in_write && detail::write_token == token) {
        detail::write_refusal = reason;  // the write glue counts the batch
        return true;
    }
    h_->ack(c_, token, WEIR_OK);
    return false;
}

/// A compiled condition of Weir's condition language (see
/// docs/conditions.md), compiled by the host. Build it in a constructor: a
/// syntax error is a ConfigError naming the position.
class Condition {
public:
    Condition(const Context& ctx, std::string_view text, std::string_view option = "condition")
        : h_(ctx.host()) {
        if (!WEIR_HOST_HAS(h_, condition_free))
            throw ConfigError(std::string(option) +
                              ": this weir predates conditions (its host table has no condition_compile); "
                              "run this plugin on a newer weir");
        char err[512] = {};
        c_ = h_->condition_compile(text.data(), text.size(), err, sizeof err);
        if (!c_) throw ConfigError(std::string(option) + ": " + err);
    }
    ~Condition() {
        if (c_) h_->condition_free(c_);
    }
    Condition(const Condition&) = delete;
    Condition& operator=(const Condition&) = delete;
    Condition(Condition&& o) noexcept : h_(o.h_), c_(o.c_) { o.c_ = nullptr; }

    bool matches(const Batch& b, size_t i) const { return h_->condition_matches(c_, b.raw(), i) != 0; }
    /// Drops every event that matches (or, with `drop_matching` false, that
    /// does not); returns how many. One call for the whole batch.
    size_t drop(Batch& b, bool drop_matching) const {
        return h_->condition_drop(c_, b.raw(), drop_matching ? 1 : 0);
    }

private:
    const weir_host_api* h_;
    weir_condition* c_ = nullptr;
};

// ---- plugin base classes ----------------------------------------------------------

class PluginBase {
public:
    explicit PluginBase(Context& ctx) : ctx_(ctx) {}
    virtual ~PluginBase() = default;
    PluginBase(const PluginBase&) = delete;
    PluginBase& operator=(const PluginBase&) = delete;
    Context& context() { return ctx_; }
    /// SIGHUP reached an unchanged pipeline: re-read the files this instance
    /// loaded (keys, databases, tables). Runs on the control thread while the
    /// instance works on: swap data safely. Throw ConfigError to refuse (the
    /// instance keeps what it had).
    virtual void reload() {}

protected:
    Context ctx_;
};

/// Produces events. run() loops until context().should_stop().
class Input : public PluginBase {
public:
    using PluginBase::PluginBase;
    virtual void run() = 0;
    /// Wake run() if it blocks; called from the control thread.
    virtual void stop() {}
    /// Every output has the batch emitted with `cookie` (delivered) or it was abandoned.
    virtual void on_ack(uint64_t cookie, bool delivered) {
        (void)cookie;
        (void)delivered;
    }
};

/// Turns bodies into fields, in place.
class Parser : public PluginBase {
public:
    using PluginBase::PluginBase;
    virtual void process(Batch& batch) = 0;

protected:
    /// The loop of a parser built on an engine whose
    /// `const char* parse(weir_batch* raw, size_t i, size_t& bad_time)` returns
    /// nullptr or why it refused event i: a refused event keeps its raw body
    /// and is marked as a parse error (fields read before the refusal stay);
    /// both counts go to weir_errors_total (`parse_error`, `bad_time`).
    template <class Engine>
    void parse_each(Batch& batch, Engine& engine) {
        size_t errors = 0, bad_time = 0;
        for (size_t i = 0, n = batch.size(); i < n; ++i) {
            if (const char* why = engine.parse(batch.raw(), i, bad_time)) {
                batch[i].mark_parse_error(why);
                ++errors;
            }
        }
        if (errors) ctx_.count_error("parse_error", errors);
        if (bad_time) ctx_.count_error("bad_time", bad_time);
    }
};

/// What an ordered parser holds back after a call (see WEIR_PLUGIN_ORDERED).
enum class Held { Nothing = WEIR_OK, FromThisBatch = WEIR_HELD, SinceEarlier = WEIR_HELD_OLDER };

/// A parser that sees each stream's batches in order and may hold lines back
/// across them (multiline). Declare it with WEIR_ORDERED_PARSER.
class OrderedParser : public PluginBase {
public:
    using PluginBase::PluginBase;
    /// Returns what of `batch.stream()` is held back afterwards.
    virtual Held process(Batch& batch) = 0;
};

/// Changes, enriches or drops events, in place.
class Filter : public PluginBase {
public:
    using PluginBase::PluginBase;
    virtual void process(Batch& batch) = 0;
};

/// Delivers batches somewhere.
class Output : public PluginBase {
public:
    using PluginBase::PluginBase;
    /// Ok, Retry, Failed, Refused (say why with context().refuse(token,
    /// reason) first) or Pending.
    virtual WriteResult write(Batch& batch, uint64_t ack_token) = 0;
    virtual WriteResult flush() { return WriteResult::Ok; }
};

// ---- ABI glue ----------------------------------------------------------------------

namespace detail {

struct Holder {
    Context ctx;
    PluginBase* plugin;
};

inline void copy_error(char* err, size_t cap, const char* msg) {
    if (!err || cap == 0) return;
    std::strncpy(err, msg, cap - 1);
    err[cap - 1] = '\0';
}

/// The rules of plugin T's option table (set when its descriptor is made).
template <class T>
struct OptionSource {
    static inline const Option* options = nullptr;
    static inline size_t count = 0;
};

/// A bound written as in YAML ("10", "0.5", "250ms", "4KiB"), in the unit
/// the host reads the option in (nanoseconds, bytes).
inline bool parse_bound(int32_t type, const char* text, double& out) {
    if (!text) return false;
    char* end = nullptr;
    out = std::strtod(text, &end);
    if (end == text) return false;
    std::string unit;
    for (const char* p = end; *p; ++p)
        if (*p != ' ') unit.push_back(static_cast<char>(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
    struct Unit {
        const char* name;
        double factor;
    };
    static const Unit durations[] = {{"", 1e9},   {"s", 1e9},  {"ns", 1},     {"us", 1e3},
                                     {"ms", 1e6}, {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}};
    static const Unit sizes[] = {{"", 1},
                                 {"b", 1},
                                 {"kb", 1e3},
                                 {"mb", 1e6},
                                 {"gb", 1e9},
                                 {"k", 1024.0},
                                 {"kib", 1024.0},
                                 {"m", 1048576.0},
                                 {"mib", 1048576.0},
                                 {"g", 1073741824.0},
                                 {"gib", 1073741824.0}};
    const Unit* b = type == WEIR_OPT_DURATION ? std::begin(durations) : std::begin(sizes);
    const Unit* e = type == WEIR_OPT_DURATION ? std::end(durations) : std::end(sizes);
    if (type != WEIR_OPT_DURATION && type != WEIR_OPT_SIZE) return unit.empty();
    for (const Unit* u = b; u != e; ++u) {
        if (unit == u->name) {
            out *= u->factor;
            return true;
        }
    }
    return false;
}

/// What the host checks from option_rules, for a weir that predates them
/// (without positions: the host knows those). Throws ConfigError.
inline void check_rules(const Option* table, size_t n, const Options& o) {
    for (size_t i = 0; table && i < n; ++i) {
        const weir_option_def& d = table[i].def;
        const weir_option_rules& r = table[i].rules;
        if (!d.name || !o.has(d.name)) continue;
        const bool secret = (r.flags & WEIR_OPT_SECRET) != 0;
        auto allowed = [&](std::string_view v) {
            std::string_view all = r.allowed;
            for (;;) {
                const size_t bar = all.find('|');
                if (all.substr(0, bar) == v) return true;
                if (bar == std::string_view::npos) return false;
                all.remove_prefix(bar + 1);
            }
        };
        auto refuse_value = [&](std::string_view v) {
            std::string list;
            for (const char* c = r.allowed; *c; ++c)
                list += *c == '|' ? std::string(", ") : std::string(1, *c);
            throw ConfigError(std::string("option '") + d.name + "' must be one of " + list +
                              (secret ? std::string() : ", found '" + std::string(v) + "'"));
        };
        if (r.allowed && d.type == WEIR_OPT_STRING && !allowed(o.str(d.name))) refuse_value(o.str(d.name));
        if (r.allowed && d.type == WEIR_OPT_STRING_LIST)
            for (const auto& v : o.list(d.name))
                if (!allowed(v)) refuse_value(v);
        if (d.type != WEIR_OPT_INT && d.type != WEIR_OPT_FLOAT && d.type != WEIR_OPT_DURATION &&
            d.type != WEIR_OPT_SIZE)
            continue;
        const double v = d.type == WEIR_OPT_FLOAT ? o.real(d.name) : static_cast<double>(o.integer(d.name));
        double bound = 0;
        if (r.min && parse_bound(d.type, r.min, bound) && v < bound)
            throw ConfigError(std::string("option '") + d.name + "' must be at least " + r.min);
        if (r.max && parse_bound(d.type, r.max, bound) && v > bound)
            throw ConfigError(std::string("option '") + d.name + "' must be at most " + r.max);
    }
}

template <class T>
int32_t create(const weir_host_api* host, weir_ctx* ctx, const weir_options* opts, void** instance, char* err,
               size_t err_cap) noexcept {
    if (!host || host->abi_version != WEIR_ABI_VERSION || host->struct_size < WEIR_HOST_API_MIN_SIZE) {
        const std::string why = !host ? std::string("no host table")
                                      : "this weir's host table is ABI " + std::to_string(host->abi_version) +
                                            ", " + std::to_string(host->struct_size) +
                                            " bytes; the plugin needs ABI " +
                                            std::to_string(WEIR_ABI_VERSION) + " and at least " +
                                            std::to_string(WEIR_HOST_API_MIN_SIZE) + " bytes";
        copy_error(err, err_cap, why.c_str());
        return WEIR_ERROR;
    }
    Holder* holder = nullptr;
    try {
        Options o(host, opts);
        // A weir that predates option rules did not check them: the SDK does.
        if (!WEIR_HOST_HAS(host, refuse)) check_rules(OptionSource<T>::options, OptionSource<T>::count, o);
        holder = new Holder{Context(host, ctx), nullptr};
        holder->plugin = new T(holder->ctx, o);
        *instance = holder;
        return WEIR_OK;
    } catch (const std::exception& e) {
        copy_error(err, err_cap, e.what());
    } catch (...) {
        copy_error(err, err_cap, "unknown error");
    }
    delete holder;
    return WEIR_ERROR;
}

inline void destroy(void* instance) noexcept {
    auto* holder = static_cast<Holder*>(instance);
    if (!holder) return;
    try {
        delete holder->plugin;
    } catch (...) {
    }
    delete holder;
}

inline void report(Holder* h, const char* what) noexcept {
    try {
        h->ctx.count_error("plugin_exception");
        h->ctx.error(std::string("unhandled exception: ") + what);
    } catch (...) {
    }
}

inline int32_t input_run(void* instance) noexcept {
    auto* h = static_cast<Holder*>(instance);
    try {
        static_cast<Input*>(h->plugin)->run();
        return WEIR_OK;
    } catch (const std::exception& e) {
        report(h, e.what());
    } catch (...) {
        report(h, "unknown");
    }
    return WEIR_ERROR;
}

inline void input_stop(void* instance) noexcept {
    auto* h = static_cast<Holder*>(instance);
    try {
        static_cast<Input*>(h->plugin)->stop();
    } catch (...) {
        report(h, "in stop()");
    }
}

inline void input_ack(void* instance, uint64_t cookie, int32_t status) noexcept {
    auto* h = static_cast<Holder*>(instance);
    try {
        static_cast<Input*>(h->plugin)->on_ack(cookie, status == WEIR_OK);
    } catch (const std::exception& e) {
        report(h, e.what());
    } catch (...) {
        report(h, "unknown");
    }
}

template <class T>
int32_t process(void* instance, weir_batch* batch) noexcept {
    auto* h = static_cast<Holder*>(instance);
    try {
        Batch b(h->ctx.host(), batch);
        if constexpr (std::is_base_of_v<OrderedParser, T>) {
            return static_cast<int32_t>(static_cast<T*>(h->plugin)->process(b));
        } else {
            static_cast<T*>(h->plugin)->process(b);
            return WEIR_OK;
        }
    } catch (const std::exception& e) {
        report(h, e.what());
    } catch (...) {
        report(h, "unknown");
    }
    return WEIR_ERROR;
}

/// Marks the write this thread is inside, for Context::refuse.
struct InWrite {
    explicit InWrite(uint64_t token) {
        in_write = true;
        write_token = token;
        write_refusal = nullptr;
    }
    ~InWrite() { in_write = false; }
};

inline int32_t write(void* instance, weir_batch* batch, uint64_t token) noexcept {
    auto* h = static_cast<Holder*>(instance);
    try {
        Batch b(h->ctx.host(), batch);
        InWrite mark(token);
        const WriteResult r = static_cast<Output*>(h->plugin)->write(b, token);
        if (r == WriteResult::Refused && !WEIR_HOST_HAS(h->ctx.host(), refuse)) {
            // A weir older than refusals would retry it: delivered, and counted here.
            h->ctx.count_dropped(write_refusal ? write_refusal : "refused", b.size());
            return WEIR_OK;
        }
        return static_cast<int32_t>(r);
    } catch (const std::exception& e) {
        report(h, e.what());
    } catch (...) {
        report(h, "unknown");
    }
    return WEIR_RETRY;  // as before there were statuses to choose from
}

inline int32_t flush(void* instance) noexcept {
    auto* h = static_cast<Holder*>(instance);
    try {
        return static_cast<int32_t>(static_cast<Output*>(h->plugin)->flush());
    } catch (const std::exception& e) {
        report(h, e.what());
    } catch (...) {
        report(h, "unknown");
    }
    return WEIR_ERROR;
}

inline int32_t reload(void* instance, char* err, size_t cap) noexcept {
    auto* h = static_cast<Holder*>(instance);
    try {
        h->plugin->reload();
        return WEIR_OK;
    } catch (const std::exception& e) {
        copy_error(err, cap, e.what());
    } catch (...) {
        copy_error(err, cap, "unknown error");
    }
    return WEIR_ERROR;
}

template <class T, size_t N>
weir_plugin_descriptor make_descriptor(int32_t kind, uint32_t flags, const char* name, const char* version,
                                       const char* description, const weir_option_def (&options)[N]) {
    weir_plugin_descriptor d{};
    d.abi_version = WEIR_ABI_VERSION;
    d.struct_size = sizeof(weir_plugin_descriptor);
    d.kind = kind;
    d.flags = flags;
    d.name = name;
    d.version = version;
    d.description = description;
    d.options = options;
    d.option_count = (N == 1 && options[0].name == nullptr) ? 0 : N;  // WEIR_NO_OPTIONS
    d.create = &create<T>;
    d.destroy = &destroy;
    d.reload = &reload;
    if constexpr (std::is_base_of_v<Input, T>) {
        d.input_run = &input_run;
        d.input_stop = &input_stop;
        d.input_ack = &input_ack;
    } else if constexpr (std::is_base_of_v<Parser, T> || std::is_base_of_v<Filter, T> ||
                         std::is_base_of_v<OrderedParser, T>) {
        d.process = &process<T>;
    } else if constexpr (std::is_base_of_v<Output, T>) {
        d.write = &write;
        d.flush = &flush;
    }
    return d;
}

/// The C tables of plugin T, made from its weir::Option table.
template <class T, size_t N>
struct OptionTables {
    static inline weir_option_def defs[N]{};
    static inline weir_option_rules rules[N]{};
};

template <class T, size_t N>
weir_plugin_descriptor make_descriptor(int32_t kind, uint32_t flags, const char* name, const char* version,
                                       const char* description, const Option (&options)[N]) {
    for (size_t i = 0; i < N; ++i) {
        OptionTables<T, N>::defs[i] = options[i].def;
        OptionTables<T, N>::rules[i] = options[i].rules;
        OptionTables<T, N>::rules[i].struct_size = sizeof(weir_option_rules);  // the host strides by it
    }
    OptionSource<T>::options = options;
    OptionSource<T>::count = N;
    weir_plugin_descriptor d =
        make_descriptor<T, N>(kind, flags, name, version, description, OptionTables<T, N>::defs);
    d.option_rules = OptionTables<T, N>::rules;
    return d;
}

/// An option table for plugins without options (a zero-length array is not C++).
inline constexpr weir_option_def no_options[1] = {{sizeof(weir_option_def), 0, nullptr, nullptr, 0, nullptr}};

}  // namespace detail
}  // namespace weir

#define WEIR_PLUGIN_EXPORT extern "C" __attribute__((visibility("default"))) __attribute__((used))

/// Declare the plugin of this shared object. `options` is a static array of
/// weir_option_def (use weir::option::...), or WEIR_NO_OPTIONS.
#define WEIR_PLUGIN_FLAGS(Class, kind, name, version, description, options, flags)                    \
    __attribute__((section(WEIR_MARKER_SECTION),                                                      \
                   used)) static const weir_plugin_marker weir_plugin_marker_ = {                     \
        WEIR_MARKER_MAGIC, WEIR_ABI_VERSION, sizeof(weir_plugin_marker)};                             \
    WEIR_PLUGIN_EXPORT const weir_plugin_descriptor* weir_plugin_entry(uint32_t host_abi_version) {   \
        if (host_abi_version != WEIR_ABI_VERSION) return nullptr;                                     \
        static const weir_plugin_descriptor d =                                                       \
            ::weir::detail::make_descriptor<Class>(kind, flags, name, version, description, options); \
        return &d;                                                                                    \
    }

#define WEIR_PLUGIN(Class, kind, name, version, description, options) \
    WEIR_PLUGIN_FLAGS(Class, kind, name, version, description, options, 0u)

/// An ordered parser (a weir::OrderedParser).
#define WEIR_ORDERED_PARSER(Class, name, version, description, options) \
    WEIR_PLUGIN_FLAGS(Class, WEIR_KIND_PARSER, name, version, description, options, WEIR_PLUGIN_ORDERED)

/// Use as the `options` argument of WEIR_PLUGIN for a plugin without options.
#define WEIR_NO_OPTIONS ::weir::detail::no_options
