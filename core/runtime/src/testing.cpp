// The in-process plugin harness (see weir/runtime/testing.hpp).
#include <filesystem>
#include <stdexcept>
#include <weir/config/model.hpp>
#include <weir/config/options.hpp>
#include <weir/loader/registry.hpp>
#include <weir/runtime/testing.hpp>

#include "pipeline_core.hpp"

namespace weir::runtime::testing {

namespace fs = std::filesystem;

struct StageHarness::Impl {
    Impl() : core(1u << 30, 1ull << 40) {}
    PipelineCore core;
    loader::Registry registry;
    const loader::PluginHandle* handle = nullptr;
    std::unique_ptr<InputSlot> input;
    std::unique_ptr<OutputSlot> output;
    std::unique_ptr<Instance> stage;  // parser or filter
    metrics::Registry metrics;
    std::string state_dir;
    bool own_state_dir = false;

    // input capture
    std::thread capture;
    std::mutex mu;
    std::condition_variable cv;
    size_t emitted = 0;
    std::vector<std::string> bodies;
    std::vector<std::string> jsons;
    std::vector<InFlightPtr> unacked;
    bool auto_ack = true;
    bool running = false;
    std::vector<std::string> undeclared;  // options read by create that the table does not declare

    Instance& instance() {
        if (input) return input->inst;
        if (output) return output->inst;
        return *stage;
    }
};

StageHarness::StageHarness(const std::string& plugin_path, const std::string& options_yaml,
                           std::string state_dir)
    : impl_(std::make_unique<Impl>()) {
    Impl& h = *impl_;
    const fs::path path = fs::absolute(plugin_path);
    h.registry = loader::Registry::scan({path.parent_path().string()});
    for (const auto& p : h.registry.plugins()) {
        if (fs::equivalent(p.path, path)) h.handle = &p;
    }
    if (!h.handle) {
        for (const auto& r : h.registry.refusals())
            if (fs::path(r.path).filename() == path.filename()) throw std::runtime_error(r.message);
        throw std::runtime_error(plugin_path + ": not loaded");
    }
    const weir_plugin_descriptor& d = *h.handle->descriptor;
    if (state_dir.empty()) {
        char tmpl[] = "/tmp/weir-harness-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        state_dir = tmpl;
        h.own_state_dir = true;
    }
    h.state_dir = state_dir;
    h.core.name = "test";
    h.core.env = BuildEnv{state_dir, &h.metrics};

    config::StageConfig stage;
    stage.kind = d.kind;
    stage.type = d.name;
    stage.name = d.name;
    stage.pos = config::Position{"<harness>", 1, 1};
    stage.options = config::parse_options(options_yaml, d, "<harness>");  // throws ConfigErrors
    auto m = h.metrics.instance("test", kind_name(d.kind), d.name, d.name);
    if (d.kind == WEIR_KIND_INPUT) {
        h.input = std::make_unique<InputSlot>();
        make_instance(h.input->inst, h.core, stage, *h.handle, m);
        h.input->inst.ctx->input = h.input.get();
        h.input->inst.ctx->state_dir = state_dir;
    } else if (d.kind == WEIR_KIND_OUTPUT) {
        h.output = std::make_unique<OutputSlot>(1u << 30, 1ull << 40);
        make_instance(h.output->inst, h.core, stage, *h.handle, m);
        h.output->inst.ctx->output = h.output.get();
        h.output->inst.ctx->state_dir = state_dir;
    } else {
        h.stage = std::make_unique<Instance>();
        make_instance(*h.stage, h.core, stage, *h.handle, m);
        h.stage->ctx->state_dir = state_dir;
    }
    h.undeclared = stage.options.undeclared_reads();
}

StageHarness::~StageHarness() {
    if (impl_->running) stop();
    ack_all(false);
    impl_->input.reset();
    impl_->output.reset();
    impl_->stage.reset();
    if (impl_->own_state_dir) {
        std::error_code ec;
        fs::remove_all(impl_->state_dir, ec);
    }
}

const weir_plugin_descriptor& StageHarness::descriptor() const { return *impl_->handle->descriptor; }
metrics::InstanceMetrics& StageHarness::metrics() { return *impl_->instance().ctx->metrics; }
const std::string& StageHarness::state_dir() const { return impl_->state_dir; }

int32_t StageHarness::process(event::Batch& batch) {
    Instance& inst = *impl_->stage;
    const int32_t rc = PipelineCore::run_stage(inst, batch);
    // Filters' drops are counted by the host; parsers count their own (an
    // ordered parser's removed slots are lines it joined, not drops).
    const size_t dropped = batch.compact();
    if (dropped && inst.descriptor->kind == WEIR_KIND_FILTER)
        inst.ctx->metrics->dropped.add("filtered", dropped);
    inst.ctx->metrics->events_out.fetch_add(batch.size());
    return rc;
}

int32_t StageHarness::write(event::Batch& batch) {
    OutputSlot& o = *impl_->output;
    auto inf = std::make_shared<InFlight>();  // no batch: the caller owns it
    inf->remaining.store(1);
    inf->events = batch.size();
    inf->bytes = batch.bytes();
    uint64_t token;
    {
        std::lock_guard lock(o.mu);
        token = o.next_token++;
        o.pending.emplace(token, inf);
        o.writing = token;
    }
    o.inst.ctx->metrics->events_in.fetch_add(batch.size());
    int32_t rc = PipelineCore::status_of(o, o.inst.descriptor->write(o.inst.self, &batch, token), false);
    std::string refusal;
    {
        std::lock_guard lock(o.mu);
        o.writing = 0;
        refusal.swap(o.refusal);
    }
    if (rc == WEIR_PENDING && !refusal.empty()) rc = WEIR_REFUSED;
    if (rc == WEIR_PENDING) {
        std::unique_lock lock(o.mu);
        const bool done =
            o.cv.wait_for(lock, std::chrono::seconds(30), [&] { return !o.pending.count(token); });
        if (!done) return WEIR_RETRY;
        // A write to be retried lands in the retry list.
        for (auto it = o.retry.begin(); it != o.retry.end(); ++it) {
            if (*it == inf) {
                o.retry.erase(it);
                return WEIR_RETRY;
            }
        }
        if (inf->refused.load()) return WEIR_REFUSED;
        return inf->failed.load() ? WEIR_ERROR : WEIR_OK;
    }
    {
        std::lock_guard lock(o.mu);
        o.pending.erase(token);
    }
    if (rc == WEIR_REFUSED) PipelineCore::count_refused(o, *inf, refusal);
    if (rc == WEIR_OK) o.inst.ctx->metrics->events_out.fetch_add(batch.size());
    return rc;
}

const std::vector<std::string>& StageHarness::undeclared_option_reads() const { return impl_->undeclared; }

std::string StageHarness::reload() { return reload_instance(impl_->instance()); }

void StageHarness::start() {
    Impl& h = *impl_;
    if (!h.input) throw std::logic_error("start() is for inputs");
    h.running = true;
    h.capture = std::thread([&h] {
        while (auto item = h.core.work.pop()) {
            BatchPtr b = std::move(*item);
            auto inf = std::make_shared<InFlight>();
            inf->origin = h.input.get();
            inf->cookie = b->ack_cookie;
            inf->remaining.store(1);
            bool ack_now;
            {
                std::lock_guard lock(h.mu);
                for (size_t i = 0; i < b->size(); ++i) {
                    h.bodies.emplace_back(b->body(i));
                    h.jsons.emplace_back(b->to_json(i));
                }
                h.emitted += b->size();
                ack_now = h.auto_ack;
                inf->batch = std::move(b);
                if (!ack_now) h.unacked.push_back(inf);
            }
            h.cv.notify_all();
            if (ack_now) h.core.finish(inf, true);
        }
    });
    InputSlot* slot = h.input.get();
    slot->thread = TrackedThread([slot] { slot->inst.descriptor->input_run(slot->inst.self); });
}

void StageHarness::stop() {
    Impl& h = *impl_;
    if (!h.running) return;
    h.running = false;
    h.input->stop.store(true);
    if (h.input->inst.descriptor->input_stop) h.input->inst.descriptor->input_stop(h.input->inst.self);
    if (h.input->thread.joinable()) h.input->thread.join();
    h.core.work.close();
    if (h.capture.joinable()) h.capture.join();
}

size_t StageHarness::wait_for_events(size_t events, std::chrono::milliseconds timeout) {
    Impl& h = *impl_;
    std::unique_lock lock(h.mu);
    h.cv.wait_for(lock, timeout, [&] { return h.emitted >= events; });
    return h.emitted;
}

std::vector<std::string> StageHarness::bodies() const {
    std::lock_guard lock(impl_->mu);
    return impl_->bodies;
}

std::vector<std::string> StageHarness::events_json() const {
    std::lock_guard lock(impl_->mu);
    return impl_->jsons;
}

void StageHarness::ack_all(bool delivered) {
    std::vector<InFlightPtr> todo;
    {
        std::lock_guard lock(impl_->mu);
        todo.swap(impl_->unacked);
    }
    for (auto& inf : todo) impl_->core.finish(inf, delivered);
}

void StageHarness::set_auto_ack(bool on) {
    std::lock_guard lock(impl_->mu);
    impl_->auto_ack = on;
}

}  // namespace weir::runtime::testing
