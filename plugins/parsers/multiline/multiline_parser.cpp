// multiline: joins the lines of one event (a stack trace after its log line)
// per stream — per file, per connection — with a flush timeout for the last
// event of a quiet stream. An ordered parser: it sees each stream's batches
// in order and holds the event still growing at the end of a batch.
#include <re2/re2.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>
#include <weir/clock.hpp>
#include <weir/level.hpp>
#include <weir/sdk.hpp>

#include "presets.hpp"

namespace {

using weir::clock::steady_ns;

std::unique_ptr<RE2> compile(const std::string& pattern, const char* option) {
    RE2::Options o;
    o.set_log_errors(false);
    auto re = std::make_unique<RE2>(pattern, o);
    if (!re->ok()) throw weir::ConfigError(std::string(option) + ": invalid pattern: " + re->error());
    return re;
}

class MultilineParser final : public weir::OrderedParser {
public:
    MultilineParser(weir::Context& ctx, const weir::Options& opts)
        : weir::OrderedParser(ctx),
          timeout_ns_(opts.duration_ns("flush_timeout")),
          max_lines_(static_cast<size_t>(opts.integer("max_lines"))),
          max_bytes_(opts.size("max_bytes")) {
        const std::string cont(opts.str("continue"));
        const std::string_view preset = opts.str("preset");
        if (preset == "auto") {
            // Every runtime's trace; which one a trace is follows from its lines.
            for (const auto& p : weir::multiline::kPresets) add_language(p);
        } else if (!preset.empty()) {
            const auto* p = weir::multiline::find_preset(preset);
            // The host checked the name against the table; a preset missing here is a bug.
            if (!p) throw weir::ConfigError("internal: no preset named '" + std::string(preset) + "'");
            add_language(*p);
        }
        if (!languages_.empty()) chain_ = compile(std::string(weir::multiline::kChainPattern), "preset");
        if (!cont.empty()) continue_ = compile(cont, "continue");
        if (!opts.str("start").empty()) start_ = compile(std::string(opts.str("start")), "start");
        // Nothing said: indented lines join the event before them, the most
        // common shape of continuation lines.
        if (!continue_ && !start_ && languages_.empty()) continue_ = compile(R"(^[ \t])", "continue");
    }

    weir::Held process(weir::Batch& batch) override {
        const int32_t flush = batch.flush_request();
        if (flush != WEIR_FLUSH_NONE) return release_one(batch, flush == WEIR_FLUSH_ALL);
        const std::string key(batch.stream());
        Pending& p = pending_[key];
        const size_t n = batch.size();
        const int64_t now = steady_ns();

        // The lines first (views into the batch, which only grows), then the
        // events they make, written back into the batch's slots in order.
        lines_.clear();
        for (size_t i = 0; i < n; ++i) {
            weir::Event e = batch[i];
            lines_.push_back(Line{e.body(), e.time_ns(), e.flags()});
        }
        out_.clear();
        texts_.clear();
        bool held_from_earlier = p.active;  // an event carried over from the last batch
        for (const Line& l : lines_) {
            const bool join = p.active && joins(p, l.text);
            if (join && p.lines < max_lines_ && p.bytes + 1 + l.text.size() <= max_bytes_) {
                append(p, l);
                continue;
            }
            if (join) ++limited_;  // too long: cut here, the rest is an event of its own
            if (p.active) close(p);
            held_from_earlier = false;
            begin(p, l);
        }
        p.last_seen_ns = now;
        // What is held outlives this batch: it may not point into it.
        if (p.active && !p.joined) {
            p.text.assign(p.first);
            p.joined = true;
        }
        // Slots 0..k-1 take the finished events; the rest are emptied. A batch
        // that only finished an older event and began one per line has one
        // more event than lines: it is appended, still in order.
        size_t k = 0;
        for (; k < out_.size() && k < n; ++k) write(batch, k, out_[k]);
        for (; k < out_.size(); ++k) batch.add(out_[k].text, out_[k].time_ns, out_[k].flags);
        for (size_t i = out_.size(); i < n; ++i) batch[i].drop();  // the host removes them: joined, not lost
        if (limited_) {
            ctx_.count_error("multiline_limit", limited_);
            limited_ = 0;
        }
        if (!p.active) {
            pending_.erase(key);
            return weir::Held::Nothing;
        }
        return held_from_earlier ? weir::Held::SinceEarlier : weir::Held::FromThisBatch;
    }

private:
    struct Line {
        std::string_view text;
        int64_t time_ns;
        uint32_t flags;
    };
    struct Language {
        std::unique_ptr<RE2> cont, start;   // start may be null
        std::unique_ptr<RE2> header, body;  // a two-line layout's (may be null)
        size_t body_lines = 0;
        bool (*looks_like_header)(std::string_view) = nullptr;
        bool (*may_continue)(std::string_view) = nullptr;
        bool continues(std::string_view line) const {
            return (!may_continue || may_continue(line)) && RE2::PartialMatch(line, *cont);
        }
    };

    struct Pending {
        bool active = false;
        int language = -1;       // the runtime whose trace this event holds (-1: none yet)
        bool in_trace = false;   // a trace has begun in this event
        bool chained = false;    // the last lines chain one Python traceback to the next
        int header = -1;         // the runtime whose two-line layout the first line begins (-1: none)
        std::string_view first;  // the first line while it is the only one (no copy)
        std::string text;        // the joined lines once there are several, or once carried over
        bool joined = false;
        int64_t time_ns = 0;
        uint32_t flags = 0;
        size_t lines = 0, bytes = 0;
        int64_t last_seen_ns = 0;
    };
    struct Out {
        std::string_view text;
        int64_t time_ns;
        uint32_t flags;
        bool borrowed;  // text lives in the batch
    };

    void add_language(const weir::multiline::Preset& p) {
        Language l;
        l.cont = compile(std::string(p.continue_pattern), "preset");
        if (!p.start_pattern.empty()) l.start = compile(std::string(p.start_pattern), "preset");
        l.may_continue = p.may_continue;
        if (!p.header_pattern.empty()) {
            l.header = compile(std::string(p.header_pattern), "preset");
            l.body = compile(std::string(p.body_pattern), "preset");
            l.body_lines = p.body_lines;
            l.looks_like_header = p.looks_like_header;
        }
        languages_.push_back(std::move(l));
    }

    static bool blank(std::string_view line) {
        for (char c : line)
            if (c != ' ' && c != '\t' && c != '\r') return false;
        return true;
    }

    /// Python's "During handling of the above exception…" (a cheap first look: most lines are frames).
    bool chain(std::string_view line) const {
        return line.size() > 30 && (line[0] == 'D' || line[0] == 'T') && RE2::PartialMatch(line, *chain_);
    }

    /// The runtime whose traces begin with `line` (at column 0), `prefer`'s
    /// first, or -1.
    int trace_start(std::string_view line, int prefer = -1) const {
        // Frames are indented, and no trace begins with a digit (a timestamp): no look.
        if (line.empty() || line[0] == ' ' || line[0] == '\t' || (line[0] >= '0' && line[0] <= '9'))
            return -1;
        if (prefer >= 0 && languages_[prefer].start && RE2::PartialMatch(line, *languages_[prefer].start))
            return prefer;
        for (size_t k = 0; k < languages_.size(); ++k)
            if (static_cast<int>(k) != prefer && languages_[k].start &&
                RE2::PartialMatch(line, *languages_[k].start))
                return static_cast<int>(k);
        return -1;
    }

    /// The runtime whose two-line layout `line` begins, or -1.
    int header_of(std::string_view line) const {
        for (size_t k = 0; k < languages_.size(); ++k) {
            const Language& l = languages_[k];
            if (l.header && l.looks_like_header(line) && RE2::PartialMatch(line, *l.header))
                return static_cast<int>(k);
        }
        return -1;
    }

    /// The first level word among the first words of a line's first line
    /// (TRACE, DEBUG, INFO … in any spelling of three letters or more), or Unknown.
    static weir::level::Level level_of(std::string_view line) {
        const size_t end = std::min<size_t>({line.find('\n'), line.size(), 120});
        auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
        int words = 0;
        for (size_t i = 0; i < end && words < 8;) {
            if (!letter(line[i])) {
                ++i;
                continue;
            }
            const size_t from = i;
            while (i < end && letter(line[i])) ++i;
            const std::string_view word = line.substr(from, i - from);
            ++words;
            if (word.size() < 3 || word.size() > 13) continue;
            if (word == "trce") return weir::level::Level::Trace;  // .NET's console logger
            if (word == "dbug") return weir::level::Level::Debug;
            const weir::level::Level l = weir::level::normalize(word);
            if (l != weir::level::Level::Unknown) return l;
        }
        return weir::level::Level::Unknown;
    }

    /// Whether the event so far is a log line of a level below WARN: a trace
    /// after it is not what it logged but an event of its own. A two-line
    /// layout's level may be on its second line (JUL's "INFO: message").
    static bool calm(const Pending& p) {
        const std::string_view text = p.joined ? std::string_view(p.text) : p.first;
        weir::level::Level l = level_of(text);
        if (l == weir::level::Level::Unknown && p.header >= 0) {
            const size_t nl = text.find('\n');
            if (nl != std::string_view::npos) l = level_of(text.substr(nl + 1));
        }
        return l != weir::level::Level::Unknown && l <= weir::level::Level::Info;
    }

    bool joins(Pending& p, std::string_view line) const {
        if (!languages_.empty()) {
            if (p.header >= 0 && !p.in_trace) {
                const Language& h = languages_[p.header];
                if ((h.body_lines == 0 || p.lines <= h.body_lines) && RE2::PartialMatch(line, *h.body))
                    return true;
            }
            int lang = -1;
            if (p.language >= 0 && languages_[p.language].continues(line)) {
                lang = p.language;
            } else if (!blank(line)) {  // a blank line only continues a runtime that prints them
                for (size_t k = 0; k < languages_.size() && lang < 0; ++k)
                    if (static_cast<int>(k) != p.language && languages_[k].continues(line))
                        lang = static_cast<int>(k);
            }
            // A trace beginning after another trace's lines is an event of
            // its own, unless the line goes on the trace under way (Python's
            // final "ZeroDivisionError: …" also looks like a Dart trace's start).
            if (lang >= 0 && p.in_trace && !p.chained) {
                const int begins = trace_start(line, p.language);
                if (begins >= 0 && (begins == p.language || lang != p.language)) return false;
            }
            // A trace that begins after a plain INFO line is not that line's:
            // "Traceback (most recent call last):" after "… INFO ok". Only a
            // line at column 0 can begin one: frames cost one comparison.
            if (lang >= 0 && !p.in_trace && line[0] != ' ' && line[0] != '\t' && calm(p) &&
                trace_start(line, lang) >= 0)
                return false;
            if (lang >= 0) {
                p.language = lang;
                p.in_trace = true;
                p.chained = chain(line) || (p.chained && blank(line));
                return true;
            }
        }
        if (continue_ && RE2::PartialMatch(line, *continue_)) return true;
        // `start` alone: every other line joins; with a preset or `continue`, only what they match.
        if (start_) return !continue_ && languages_.empty() && !RE2::PartialMatch(line, *start_);
        return false;
    }

    void begin(Pending& p, const Line& l) const {
        // With one runtime its patterns apply from the start (Go's blank line
        // after "panic:"); auto looks at the line for the runtime.
        const int lang = languages_.size() > 1 ? trace_start(l.text) : -1;
        p.in_trace = lang >= 0;
        p.language = languages_.size() == 1 ? 0 : lang;
        p.chained = false;
        p.header = lang < 0 ? header_of(l.text) : -1;
        p.active = true;
        p.first = l.text;
        p.text.clear();
        p.joined = false;
        p.time_ns = l.time_ns;
        p.flags = l.flags & WEIR_EVENT_TRUNCATED;
        p.lines = 1;
        p.bytes = l.text.size();
    }

    static void append(Pending& p, const Line& l) {
        if (!p.joined) {
            p.text.assign(p.first);
            p.joined = true;
        }
        p.text.push_back('\n');
        p.text.append(l.text);
        p.flags |= l.flags & WEIR_EVENT_TRUNCATED;
        ++p.lines;
        p.bytes += 1 + l.text.size();
    }

    /// A finished event goes to out_: a single line of this batch as it is,
    /// joined lines from scratch storage (copied into the batch by write()).
    void close(Pending& p) {
        if (!p.joined) {
            out_.push_back(Out{p.first, p.time_ns, p.flags, true});
        } else {
            texts_.push_back(std::move(p.text));
            out_.push_back(Out{texts_.back(), p.time_ns, p.flags, false});
            p.text = std::string();
        }
        p.active = false;
    }

    void write(weir::Batch& batch, size_t slot, const Out& o) {
        weir::Event e = batch[slot];
        e.set_body(o.text, o.borrowed ? WEIR_ADD_BORROW : 0);
        e.set_time_ns(o.time_ns);
        e.set_flags(o.flags);
    }

    /// Timer and shutdown: one stream's held event, if it has waited long
    /// enough (or at shutdown, always).
    weir::Held release_one(weir::Batch& batch, bool all) {
        const int64_t now = steady_ns();
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
            Pending& p = it->second;
            if (!p.active) continue;
            if (!all && now - p.last_seen_ns < timeout_ns_) continue;
            const std::string text = p.joined ? std::move(p.text) : std::string(p.first);
            batch.add(text, p.time_ns, p.flags);
            batch.set_stream(it->first);
            pending_.erase(it);
            return weir::Held::Nothing;
        }
        return weir::Held::Nothing;
    }

    std::vector<Language> languages_;  // the preset's runtimes (all of them for auto)
    std::unique_ptr<RE2> chain_;
    std::unique_ptr<RE2> continue_, start_;
    int64_t timeout_ns_;
    size_t max_lines_;
    uint64_t max_bytes_;
    std::unordered_map<std::string, Pending> pending_;
    std::vector<Line> lines_;
    std::vector<Out> out_;
    std::deque<std::string> texts_;  // joined texts until copied into the batch (stable addresses)
    size_t limited_ = 0;
};

const weir::Option multiline_options[] = {
    weir::option::string(
        "preset", "",
        "Stack traces of a runtime: java, python, go, node, ruby, dotnet, php, dart, or auto "
        "(each trace's runtime recognised from its lines).")
        .one_of("|java|python|go|node|ruby|dotnet|php|dart|auto")
        .empty_means("no preset: start and continue decide"),
    weir::option::string("start", "",
                         "RE2 pattern of a line that begins an event; other lines join the one before."),
    weir::option::string(
        "continue", "",
        "RE2 pattern of a line that joins the event before it (added to the preset's). With no "
        "preset, start or continue: lines beginning with a space or tab."),
    weir::option::duration("flush_timeout", "1s", "A stream quiet this long releases the event it holds."),
    weir::option::integer("max_lines", "1000",
                          "An event of this many lines is released; the next line begins another.")
        .at_least("1"),
    weir::option::size("max_bytes", "1MiB", "An event this large is released; the next line begins another."),
};

}  // namespace

WEIR_ORDERED_PARSER(
    MultilineParser, "multiline", "0.1.0",
    "Joins the lines of one event (stack traces) per file or connection, with a flush timeout.",
    multiline_options)
