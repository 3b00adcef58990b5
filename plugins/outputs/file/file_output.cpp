// file: events into files named by a path template, as JSON lines or a text
// template, with rotation, optional gzip of rotated files and fsync.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <weir/sdk.hpp>

#include "field_text.hpp"
#include "file_set.hpp"
#include "path_template.hpp"
#include "text_template.hpp"

namespace {

using weir::file_output::FileSet;
using weir::file_output::FileSettings;
using weir::file_output::PathTemplate;
using weir::file_output::TextTemplate;

template <class T, class... Args>
T make_or_refuse(const char* option, Args&&... args) {
    try {
        return T(std::forward<Args>(args)...);
    } catch (const std::invalid_argument& e) {
        throw weir::ConfigError(std::string(option) + ": " + e.what());
    }
}

FileSettings settings_from(const weir::Options& opts) {
    FileSettings s;
    s.rotate_size = opts.size("rotate_size");
    s.rotate_interval_ns = opts.duration_ns("rotate_interval");
    s.max_files = opts.integer("max_files");
    s.compress = opts.boolean("compress");
    s.fsync_each = opts.boolean("fsync");
    s.fsync_interval_ns = opts.duration_ns("fsync_interval");
    s.max_open_files = static_cast<size_t>(opts.integer("max_open_files"));  // bounds: the table
    return s;
}

class FileOutput final : public weir::Output {
public:
    FileOutput(weir::Context& ctx, const weir::Options& opts)
        : weir::Output(ctx),
          path_(make_or_refuse<PathTemplate>("path", opts.str("path"))),
          files_(ctx_, settings_from(opts)) {
        if (!path_.has_fields() && !path_.has_time())  // "%%" and "{{" still need rendering once
            path_.render(static_path_, 0,
                         [](const std::vector<std::string>&, std::string&) { return false; });
        const std::string_view format = opts.str("format");
        if (format == "text") {
            if (opts.str("template").empty())
                throw weir::ConfigError(
                    "format text needs a template, e.g. template: \"{@timestamp} {level} {message}\"");
            text_.emplace(make_or_refuse<TextTemplate>("template", opts.str("template")));
        } else if (!opts.str("template").empty()) {  // json (the table allows json and text)
            throw weir::ConfigError("template is only used with format: text");
        }
    }

    weir::WriteResult write(weir::Batch& batch, uint64_t) override {
        if (batch.empty()) return weir::WriteResult::Ok;
        FileSet::Slot* last = nullptr;
        int64_t last_second = INT64_MIN;
        for (weir::Event ev : batch) {
            FileSet::Slot* slot = route(ev, last, last_second);
            std::string& out = files_.pending(slot);
            if (text_) {
                const weir::Object root = ev.fields();
                text_->render(out, ev.time_ns(), ev.body(),
                              [&](const std::vector<std::string>& p, std::string& o) {
                                  return weir::file_output::append_field(root, p, o);
                              });
            } else {
                out.append(ev.to_json());
                out.push_back('\n');
            }
            files_.appended(slot);
        }
        if (const auto failure = files_.commit()) {
            // Nothing of this batch stays written (rolled back), and the host
            // retries it with backoff: nothing acknowledged is lost.
            ctx_.count_error(failure->reason);
            ctx_.warn(failure->message + " (the batch will be retried)");
            return weir::WriteResult::Retry;
        }
        return weir::WriteResult::Ok;
    }

    weir::WriteResult flush() override {
        if (const auto failure = files_.sync()) {
            ctx_.count_error(failure->reason);
            ctx_.warn(failure->message);
            return weir::WriteResult::Retry;
        }
        return weir::WriteResult::Ok;
    }

    // SIGHUP: logrotate moved the files away; write to the paths anew.
    void reload() override {
        files_.request_reopen();
        ctx_.info("reopening the output files");
    }

private:
    FileSet::Slot* route(weir::Event& ev, FileSet::Slot*& last, int64_t& last_second) {
        if (!path_.has_fields()) {
            if (!path_.has_time()) {
                if (!last) last = files_.slot(static_path_);
                return last;
            }
            // Time only: events of the same second go to the same file.
            const int64_t t = ev.time_ns();
            const int64_t second = t / 1'000'000'000 - (t % 1'000'000'000 < 0);
            if (last && second == last_second) return last;
            last_second = second;
        }
        const weir::Object root = ev.fields();
        path_.render(scratch_, ev.time_ns(), [&](const std::vector<std::string>& p, std::string& o) {
            return weir::file_output::append_field(root, p, o);
        });
        if (last && scratch_ == last_path_) return last;
        last_path_ = scratch_;
        last = files_.slot(scratch_);
        return last;
    }

    PathTemplate path_;
    std::optional<TextTemplate> text_;
    FileSet files_;
    std::string static_path_, scratch_, last_path_;
};

const weir::Option file_options[] = {
    weir::option::required_string("path",
                                  "File to write; %Y %m %d %H %M %S %j %y %s are the event's time in UTC, "
                                  "{field} or {a.b} a field (missing: _)."),
    weir::option::string("format", "json",
                         "json: one JSON object per line; text: the line template in `template`.")
        .one_of("json|text"),
    weir::option::string("template", "",
                         "With format text: the line, e.g. \"{@timestamp} {level} {message}\"."),
    weir::option::size("rotate_size", "0", "Rotate a file before it grows past this size.")
        .empty_means("never (0)"),
    weir::option::duration("rotate_interval", "0s",
                           "Rotate each file when this period of UTC wall-clock time ends.")
        .empty_means("never (0s)"),
    weir::option::integer("max_files", "0", "Rotated files kept per path (name.1 is the newest).")
        .at_least("0")
        .empty_means("keep all (0)"),
    weir::option::boolean("compress", "false", "Gzip rotated files (name.1.gz), on a thread of their own."),
    weir::option::boolean("fsync", "false", "fdatasync each batch's files before acknowledging it."),
    weir::option::duration("fsync_interval", "0s", "Without fsync: fdatasync at most this often.")
        .empty_means("left to the kernel (0s)"),
    weir::option::integer("max_open_files", "64",
                          "Open files at most; the least recently written is closed first.")
        .at_least("1"),
};

}  // namespace

WEIR_PLUGIN(FileOutput, WEIR_KIND_OUTPUT, "file", "0.1.0",
            "Writes events to files (JSON lines or a text template) with rotation.", file_options)
