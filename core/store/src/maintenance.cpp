// Retention (age, size, level), backup, restore and verify. See docs/store.md,
// "Retention" and "Operations".
#include <filesystem>
#include <stdexcept>
#include <weir/store/store.hpp>

#include "store_impl.hpp"

namespace weir::store {

std::string RetentionPolicy::to_json() const {
    return "{\"max_age_ns\":" + std::to_string(max_age_ns) + "}";  // TODO: every field
}

std::string RetentionReport::to_json() const {
    return "{\"partitions_deleted\":" + std::to_string(partitions_deleted) + "}";  // TODO: every field
}

std::string VerifyReport::to_json() const {
    return "{\"ok\":" + std::string(ok() ? "true" : "false") + "}";  // TODO: every field
}

namespace detail {

RetentionReport StoreImpl::apply_retention(int64_t now_ns) {
    RetentionReport report;
    if (opts_.retention_ns <= 0) return report;
    const int64_t keep_from = day_of(now_ns - opts_.retention_ns);
    std::vector<std::shared_ptr<Partition>> gone;
    {
        std::lock_guard lock(parts_mu_);
        for (auto it = parts_.begin(); it != parts_.end();) {
            if (it->first < keep_from) {
                gone.push_back(it->second);
                it = parts_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& p : gone) {
        const std::string dir = p->dir;
        {
            std::unique_lock lock(p->mu);  // no reader inside
        }
        p.reset();  // closes the environment once the last query lets go
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        partitions_deleted_.fetch_add(1);
        ++report.partitions_deleted;
    }
    return report;
}

RetentionPolicy StoreImpl::retention() {
    RetentionPolicy p;
    p.max_age_ns = opts_.retention_ns;
    return p;
}

RetentionReport StoreImpl::set_retention(const RetentionPolicy&) {
    throw std::runtime_error("not implemented yet");  // TODO
}

void StoreImpl::backup(const std::string&) {
    throw std::runtime_error("not implemented yet");  // TODO
}

VerifyReport StoreImpl::verify() {
    VerifyReport r;
    r.problems.push_back("not implemented yet");  // TODO
    return r;
}

}  // namespace detail

void restore(const std::string&, const std::string&, bool) {
    throw std::runtime_error("not implemented yet");  // TODO
}

}  // namespace weir::store
