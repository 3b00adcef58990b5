// /api/v1/saved-queries: queries saved from the dashboard (a name, the query
// text, the time range and the table's columns), kept in
// <data_dir>/saved_queries.json. Reading needs the read scope; saving and
// deleting need admin (read tokens are viewers, as Grafana's viewers cannot
// save). The file is written whole to a temporary name, synced and renamed,
// so a crash leaves the old list or the new one, never half of one.
#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <weir/api/topics.hpp>
#include <weir/config/model.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/runtime/log.hpp>

#include "logs_common.hpp"

namespace weir::api::v1 {
namespace {

constexpr size_t kMaxSaved = 1000;
constexpr size_t kMaxName = 200;
constexpr size_t kMaxQuery = 16 * 1024;
constexpr size_t kMaxColumns = 64;

struct SavedQuery {
    std::string id, name, query, from, to, created, updated;
    std::vector<std::string> columns;

    std::string to_json() const {
        std::string s = "{\"id\":\"" + http::json_escape(id) + "\",\"name\":\"" + http::json_escape(name) +
                        "\",\"query\":\"" + http::json_escape(query) + "\",\"from\":\"" +
                        http::json_escape(from) + "\",\"to\":\"" + http::json_escape(to) + "\",\"columns\":[";
        for (size_t i = 0; i < columns.size(); ++i)
            s += (i ? ",\"" : "\"") + http::json_escape(columns[i]) + "\"";
        s += "],\"created\":\"" + http::json_escape(created) + "\",\"updated\":\"" +
             http::json_escape(updated) + "\"}";
        return s;
    }
};

std::string now_iso() {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string new_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return buf;
}

bool plain_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    return true;
}

/// Reads one entry of the body or of the file; an error message naming the field, or empty.
std::string read_entry(simdjson::dom::object o, SavedQuery& q, bool from_file) {
    for (auto [key, value] : o) {
        std::string_view text;
        if (key == "columns") {
            simdjson::dom::array a;
            if (value.get(a) != simdjson::SUCCESS) return "columns expects a list of field names";
            q.columns.clear();
            for (auto c : a) {
                if (c.get(text) != simdjson::SUCCESS || text.empty() || text.size() > kMaxName)
                    return "columns expects a list of field names (1-200 characters each)";
                q.columns.emplace_back(text);
            }
            if (q.columns.size() > kMaxColumns) return "columns holds at most 64 fields";
            continue;
        }
        std::string* dst = key == "name"    ? &q.name
                           : key == "query" ? &q.query
                           : key == "from"  ? &q.from
                           : key == "to"    ? &q.to
                                            : nullptr;
        if (from_file && !dst)
            dst = key == "id"        ? &q.id
                  : key == "created" ? &q.created
                  : key == "updated" ? &q.updated
                                     : nullptr;
        if (!dst)
            return "unknown field \"" + std::string(key) + "\" (expected name, query, from, to, columns)";
        if (value.is_null()) {
            dst->clear();
            continue;
        }
        if (value.get(text) != simdjson::SUCCESS) return std::string(key) + " expects a string";
        *dst = std::string(text);
    }
    if (q.name.empty() || q.name.size() > kMaxName) return "name expects 1-200 characters";
    if (q.query.size() > kMaxQuery) return "query holds at most 16 KiB";
    if (q.from.size() > kMaxName || q.to.size() > kMaxName) return "from and to hold at most 200 characters";
    return {};
}

/// The list and its file. Loaded on first use; a file that cannot be read
/// is never overwritten (saving then fails and says why).
class SavedQueries {
public:
    explicit SavedQueries(std::string path) : path_(std::move(path)) {}

    /// Runs `f` with the loaded list, or answers the load error as a 500.
    template <class F>
    http::Response with(F f) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!loaded_) load();
        if (!load_error_.empty())
            return http::Response::error(
                500, path_ + ": " + load_error_ + "; fix or move the file (it is never overwritten)");
        return f(list_);
    }

    /// Writes the list (tmp + fsync + rename); an error text or empty.
    std::string save() {
        const std::string tmp = path_ + ".tmp";
        std::string body = "{\"version\":1,\"saved_queries\":[";
        for (size_t i = 0; i < list_.size(); ++i) body += (i ? ",\n" : "\n") + list_[i].to_json();
        body += "\n]}\n";
        const size_t slash = path_.rfind('/');
        if (slash != std::string::npos) {
            const std::string dir = path_.substr(0, slash);
            ::mkdir(dir.c_str(), 0755);  // exists already when the store runs
        }
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return "cannot write " + tmp + ": " + std::strerror(errno);
        size_t off = 0;
        while (off < body.size()) {
            const ssize_t n = ::write(fd, body.data() + off, body.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                const std::string e = std::strerror(errno);
                ::close(fd);
                ::unlink(tmp.c_str());
                return "cannot write " + tmp + ": " + e;
            }
            off += static_cast<size_t>(n);
        }
        if (::fsync(fd) != 0 || ::close(fd) != 0) {
            ::unlink(tmp.c_str());
            return "cannot sync " + tmp + ": " + std::strerror(errno);
        }
        if (::rename(tmp.c_str(), path_.c_str()) != 0) {
            ::unlink(tmp.c_str());
            return "cannot rename " + tmp + ": " + std::strerror(errno);
        }
        return {};
    }

private:
    void load() {
        loaded_ = true;
        std::ifstream in(path_, std::ios::binary);
        if (!in) return;  // no file yet: an empty list
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string text = ss.str();
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        simdjson::dom::array arr;
        if (parser.parse(text).get(doc) != simdjson::SUCCESS ||
            doc["saved_queries"].get(arr) != simdjson::SUCCESS) {
            load_error_ = "not a saved-queries file (expected {\"saved_queries\":[...]})";
            runtime::Log::error("api", path_ + ": " + load_error_);
            return;
        }
        for (auto e : arr) {
            simdjson::dom::object o;
            SavedQuery q;
            std::string err =
                e.get(o) == simdjson::SUCCESS ? read_entry(o, q, true) : "an entry is not an object";
            if (err.empty() && !plain_id(q.id)) err = "an entry has no valid id";
            if (!err.empty()) {
                load_error_ = err;
                runtime::Log::error("api", path_ + ": " + err);
                list_.clear();
                return;
            }
            list_.push_back(std::move(q));
        }
    }

    std::string path_;
    std::mutex mu_;
    bool loaded_ = false;
    std::string load_error_;

public:
    std::vector<SavedQuery> list_;
};

std::string list_json(const std::vector<SavedQuery>& list) {
    std::string s = "{\"saved_queries\":[";
    for (size_t i = 0; i < list.size(); ++i) s += (i ? "," : "") + list[i].to_json();
    return s + "],\"total\":" + std::to_string(list.size()) + "}";
}

}  // namespace

void register_saved_queries(http::Router& r, Context& ctx) {
    const std::string dir = ctx.engine.service().data_dir;
    auto store =
        std::make_shared<SavedQueries>((dir.empty() ? std::string(".") : dir) + "/saved_queries.json");
    r.get("/api/v1/saved-queries",
          "Saved queries (name, query, from, to, columns), in the order saved; kept in "
          "<data_dir>/saved_queries.json.",
          http::Scope::Read, [store](const http::Request&) {
              return store->with(
                  [](std::vector<SavedQuery>& list) { return http::Response::json(200, list_json(list)); });
          });
    r.get("/api/v1/saved-queries/{id}", "One saved query by its id (a shareable link).", http::Scope::Read,
          [store](const http::Request& req) {
              const std::string id = req.params.at("id");
              return store->with([&](std::vector<SavedQuery>& list) {
                  for (const auto& q : list)
                      if (q.id == id) return http::Response::json(200, q.to_json());
                  return http::Response::error(404, "no saved query with id '" + id + "'");
              });
          });
    r.post("/api/v1/saved-queries",
           "Saves {name, query, from, to, columns}; a name already saved is replaced (same id). Admin scope.",
           http::Scope::Admin, [store](const http::Request& req) {
               simdjson::dom::parser parser;
               simdjson::dom::element doc;
               simdjson::dom::object o;
               if (parser.parse(req.body).get(doc) != simdjson::SUCCESS || doc.get(o) != simdjson::SUCCESS)
                   return bad_request(
                       "the body must be a JSON object like {\"name\":\"checkout "
                       "errors\",\"query\":\"level:error "
                       "service:checkout\",\"from\":\"now-1h\",\"to\":\"now\",\"columns\":[\"status\"]}");
               SavedQuery q;
               if (auto err = read_entry(o, q, false); !err.empty()) return bad_request(err);
               return store->with([&](std::vector<SavedQuery>& list) {
                   const std::vector<SavedQuery> before = list;
                   q.updated = now_iso();
                   int status = 201;
                   bool replaced = false;
                   for (auto& e : list)
                       if (e.name == q.name) {
                           q.id = e.id;
                           q.created = e.created;
                           e = q;
                           replaced = true;
                           status = 200;
                       }
                   if (!replaced) {
                       if (list.size() >= kMaxSaved)
                           return http::Response::error(409, "at most 1000 saved queries; delete some first");
                       q.id = new_id();
                       q.created = q.updated;
                       list.push_back(q);
                   }
                   if (auto err = store->save(); !err.empty()) {
                       list = before;
                       return http::Response::error(503, err);
                   }
                   return http::Response::json(status, q.to_json());
               });
           });
    r.add_async("DELETE", "/api/v1/saved-queries/{id}", "Deletes a saved query. Admin scope.",
                http::Scope::Admin, [store](const http::Request& req, http::Respond respond) {
                    const std::string id = req.params.at("id");
                    respond(store->with([&](std::vector<SavedQuery>& list) {
                        for (auto it = list.begin(); it != list.end(); ++it)
                            if (it->id == id) {
                                const SavedQuery gone = *it;
                                const auto at = it - list.begin();
                                list.erase(it);
                                if (auto err = store->save(); !err.empty()) {
                                    list.insert(list.begin() + at, gone);
                                    return http::Response::error(503, err);
                                }
                                return http::Response::json(
                                    200, "{\"deleted\":\"" + http::json_escape(id) + "\"}");
                            }
                        return http::Response::error(404, "no saved query with id '" + id + "'");
                    }));
                });
}

}  // namespace weir::api::v1
