#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>
#include <weir/config/model.hpp>
#include <weir/event/batch.hpp>
#include <weir/event/json_writer.hpp>
#include <weir/event/time_format.hpp>
#include <weir/loader/registry.hpp>
#include <weir/metrics/registry.hpp>
#include <weir/runtime/bounded_queue.hpp>
#include <weir/runtime/pipeline.hpp>

#include "pipeline_core.hpp"

namespace weir::runtime {

struct Pipeline::Impl {
    Impl(size_t qe, size_t qb) : core(qe, qb) {}
    PipelineCore core;
};

// ---- host API hooks --------------------------------------------------------------

weir_batch* pipeline_batch_new(HostContext* ctx) {
    BatchPtr b = ctx->pipeline->take_batch();
    b->origin = ctx;
    return b.release();
}

void pipeline_batch_free(HostContext* ctx, weir_batch* b) {
    BatchPtr p(event::from_c(b));
    if (ctx && ctx->pipeline) ctx->pipeline->recycle(std::move(p));
}

int32_t pipeline_batch_full(HostContext* ctx, const weir_batch* b) {
    const Batch* batch = event::from_c(b);
    const PipelineCore& p = *ctx->pipeline;
    return (batch->size() >= p.batch_max_events || batch->bytes() >= p.batch_max_bytes) ? 1 : 0;
}

int32_t pipeline_emit(HostContext* ctx, weir_batch* b, uint64_t cookie, bool nonblock) {
    PipelineCore& p = *ctx->pipeline;
    Batch* batch = event::from_c(b);
    batch->ack_cookie = cookie;
    batch->origin = ctx;
    batch->created_ns = event::monotonic_ns();
    // Streams of two inputs never mix: the input instance comes first.
    batch->stream.insert(0, ctx->instance_name + '\x1f');
    const size_t in_n = batch->size();
    const size_t in_bytes = batch->bytes();
    std::unique_lock<std::mutex> ordered_lock;
    if (p.ordered) {
        // Processed here, in emission order; once processed the batch cannot
        // be handed back to the input, so the push below blocks.
        ordered_lock = std::unique_lock(p.ordered_mu);
        p.run_ordered(*batch);
        nonblock = false;
    }
    const size_t n = batch->size();
    const size_t bytes = batch->bytes();
    BatchPtr item(batch);
    const bool ok = nonblock ? p.work.try_push(item, n, bytes) : p.work.push(item, n, bytes);
    if (!ok && p.ordered) {
        p.finish(p.in_flight(std::move(item)), false);  // the pipeline is giving up
        return WEIR_ERROR;
    }
    if (!ok) {
        (void)item.release();  // the caller keeps it
        return nonblock && !p.abandon.load() ? WEIR_RETRY : WEIR_ERROR;
    }
    auto& m = *ctx->metrics;
    m.events_out.fetch_add(in_n, std::memory_order_relaxed);
    m.bytes_out.fetch_add(in_bytes, std::memory_order_relaxed);
    if (!p.parsers.empty())
        p.parsers[0]->ctx->metrics->queue_depth.store(static_cast<int64_t>(p.work.events()));
    return WEIR_OK;
}

bool pipeline_should_stop(HostContext* ctx) { return ctx->input ? ctx->input->stop.load() : false; }

void pipeline_output_ack(HostContext* ctx, uint64_t token, int32_t status) {
    if (ctx && ctx->output) ctx->pipeline->ack(*ctx->output, token, status);
}

void pipeline_output_refuse(HostContext* ctx, uint64_t token, const char* reason) {
    if (ctx && ctx->output) ctx->pipeline->refuse(*ctx->output, token, reason);
}

// ---- building ----------------------------------------------------------------------

void make_instance(Instance& inst, PipelineCore& core, const config::StageConfig& stage,
                   const loader::PluginHandle& handle, std::shared_ptr<metrics::InstanceMetrics> m) {
    inst.library = handle.library;
    inst.descriptor = handle.descriptor;
    inst.ctx = std::make_unique<HostContext>();
    HostContext& ctx = *inst.ctx;
    ctx.pipeline = &core;
    ctx.pipeline_name = core.name;
    ctx.instance_name = stage.name;
    ctx.component = std::string(kind_name(stage.kind)) + ":" + stage.type + ":" + stage.name;
    ctx.state_dir = core.env.data_dir + "/state/" + core.name + "/" + stage.name;
    ctx.metrics = std::move(m);
    ctx.secrets = stage.options.secret_texts();
    char err[1024] = {0};
    void* self = nullptr;
    const int32_t rc = handle.descriptor->create(host_api(), &ctx, &stage.options, &self, err, sizeof err);
    // Whether or not it started: the read happened.
    for (const auto& name : stage.options.undeclared_reads())
        Log::error(ctx.component,
                   "plugin bug: it reads option '" + name +
                       "', which its option table does not declare (the value is always empty)");
    if (rc != WEIR_OK || !self) {
        throw std::runtime_error(stage.pos.file + ":" + std::to_string(stage.pos.line) + ":" +
                                 std::to_string(stage.pos.column) + ": " + kind_name(stage.kind) + " '" +
                                 stage.type + "' (" + handle.path + ") refused to start: " +
                                 mask_secrets(err[0] ? err : "create failed without a reason", ctx.secrets));
    }
    inst.self = self;
}

namespace {

const loader::PluginHandle& find_plugin(const loader::Registry& plugins, const config::StageConfig& s) {
    const loader::PluginHandle* h = plugins.find(s.kind, s.type);
    if (!h) {
        throw std::runtime_error(s.pos.file + ":" + std::to_string(s.pos.line) + ":" +
                                 std::to_string(s.pos.column) + ": " + kind_name(s.kind) + " type '" +
                                 s.type + "' is not loaded");
    }
    return *h;
}

}  // namespace

std::unique_ptr<Pipeline> Pipeline::build(const config::PipelineConfig& cfg, const loader::Registry& plugins,
                                          const BuildEnv& env) {
    auto impl = std::make_unique<Impl>(cfg.queue_max_events, cfg.queue_max_bytes);
    PipelineCore& core = impl->core;
    core.name = cfg.name;
    core.file = cfg.file;
    core.env = env;
    core.workers = std::max(1, cfg.workers);
    core.batch_max_events = cfg.batch_max_events;
    core.batch_max_bytes = cfg.batch_max_bytes;
    core.queue_max_events = cfg.queue_max_events;
    core.queue_max_bytes = cfg.queue_max_bytes;
    core.key = cfg.fingerprint;
    auto& reg = *env.metrics;

    auto stage_key = [&](const config::StageConfig& s) {
        core.key += "|" + find_plugin(plugins, s).identity();
    };

    for (const auto& s : cfg.inputs) {
        stage_key(s);
        auto slot = std::make_unique<InputSlot>();
        make_instance(slot->inst, core, s, find_plugin(plugins, s),
                      reg.instance(core.name, "input", s.type, s.name));
        slot->inst.ctx->input = slot.get();
        core.inputs.push_back(std::move(slot));
    }
    auto per_worker = [&](const config::StageConfig& s, std::vector<std::unique_ptr<Instance>>& out) {
        const auto& h = find_plugin(plugins, s);
        auto m = reg.instance(core.name, kind_name(s.kind), s.type, s.name);
        const int n = (h.descriptor->flags & WEIR_PLUGIN_THREAD_SAFE) ? 1 : core.workers;
        for (int i = 0; i < n; ++i) {
            auto inst = std::make_unique<Instance>();
            make_instance(*inst, core, s, h, m);
            out.push_back(std::move(inst));
        }
    };
    if (cfg.parser) {
        stage_key(*cfg.parser);
        per_worker(*cfg.parser, core.parsers);
        if (core.parsers.front()->descriptor->flags & WEIR_PLUGIN_ORDERED) {
            core.parsers.resize(1);  // one instance sees every batch in order
            core.ordered = core.parsers.front().get();
        }
    }
    for (const auto& s : cfg.filters) {
        stage_key(s);
        core.filters.emplace_back();
        per_worker(s, core.filters.back());
        if (core.filters.back().front()->descriptor->flags & WEIR_PLUGIN_TIMED) core.timed_filters = true;
    }
    for (const auto& s : cfg.outputs) {
        stage_key(s);
        auto slot = std::make_unique<OutputSlot>(cfg.output_queue_max_events, cfg.output_queue_max_bytes);
        make_instance(slot->inst, core, s, find_plugin(plugins, s),
                      reg.instance(core.name, "output", s.type, s.name));
        slot->inst.ctx->output = slot.get();
        core.outputs.push_back(std::move(slot));
    }
    core.pool_max = static_cast<size_t>(core.workers) * 2 + core.inputs.size() + core.outputs.size() + 2;
    return std::unique_ptr<Pipeline>(new Pipeline(std::move(impl)));
}

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Pipeline::~Pipeline() {
    if (impl_->core.started) stop(std::chrono::seconds(10));
    // A thread left behind still uses the pipeline and its instances: they
    // are never freed (a bounded leak, once per wedged stop).
    if (impl_->core.wedged) (void)impl_.release();
}

namespace {

/// Names the calling thread for `top -H`, perf and gdb: "in:app",
/// "work:nginx", "out:store" (the kernel keeps 15 bytes).
void name_thread(std::string_view prefix, std::string_view component) {
    const size_t colon = component.rfind(':');
    std::string name(prefix);
    name += colon == std::string_view::npos ? component : component.substr(colon + 1);
    if (name.size() > 15) name.resize(15);
    pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace

void Pipeline::start() {
    PipelineCore& c = impl_->core;
    if (c.started) return;
    c.started = true;
    c.started_at_ns = event::now_ns();
    for (auto& o : c.outputs) {
        OutputSlot* slot = o.get();
        o->thread = TrackedThread([&c, slot] {
            name_thread("out:", slot->inst.ctx->component);
            c.output_loop(*slot);
        });
    }
    for (int w = 0; w < c.workers; ++w)
        c.worker_threads.emplace_back([&c, w] {
            name_thread("work:", c.name);
            c.worker_loop(static_cast<size_t>(w));
        });
    if (c.ordered) {
        c.ordered_timer = TrackedThread([&c] {
            std::unique_lock lock(c.ordered_mu);
            while (
                !c.ordered_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return c.ordered_stop; }))
                c.flush_ordered(WEIR_FLUSH_DUE);
        });
    }
    if (c.timed_filters) {
        c.filter_timer = TrackedThread([&c] {
            std::unique_lock lock(c.filter_timer_mu);
            while (!c.filter_timer_cv.wait_for(lock, std::chrono::milliseconds(100),
                                               [&] { return c.filter_timer_stop; })) {
                lock.unlock();
                c.flush_filters(WEIR_FLUSH_DUE);
                lock.lock();
            }
        });
    }
    for (auto& in : c.inputs) {
        InputSlot* slot = in.get();
        in->thread = TrackedThread([slot] {
            name_thread("in:", slot->inst.ctx->component);
            const int32_t rc = slot->inst.descriptor->input_run(slot->inst.self);
            if (rc != WEIR_OK) Log::error(slot->inst.ctx->component, "input stopped with an error");
        });
    }
    Log::info("pipeline:" + c.name, "started (" + std::to_string(c.inputs.size()) + " inputs, " +
                                        std::to_string(c.outputs.size()) + " outputs, " +
                                        std::to_string(c.workers) + " workers)");
}

void Pipeline::stop(std::chrono::milliseconds deadline) {
    PipelineCore& c = impl_->core;
    if (!c.started || c.stopped) return;
    c.stopped = true;
    // After the deadline the watchdog abandons what is undelivered; a thread
    // that still has not come back by the end of the grace (an output blocked
    // in a write nobody will ever read) is left behind rather than waited for.
    const auto give_up_at = std::chrono::steady_clock::now() + deadline + kAbandonGrace;
    auto join = [&](TrackedThread& t, const std::string& what) {
        if (t.join_until(give_up_at)) return true;
        c.wedged = true;
        Log::error("pipeline:" + c.name,
                   what + " is still blocked after the drain deadline; leaving it behind");
        return false;
    };

    // A watchdog gives up on undeliverable batches once the deadline passes.
    std::mutex wd_mu;
    std::condition_variable wd_cv;
    bool done = false;
    std::thread watchdog([&] {
        std::unique_lock lock(wd_mu);
        if (wd_cv.wait_for(lock, deadline, [&] { return done; })) return;
        Log::warn("pipeline:" + c.name, "drain deadline passed; abandoning undelivered batches");
        c.abandon.store(true);
        for (auto& o : c.outputs) {
            {
                std::lock_guard olock(o->mu);
                o->abandon.store(true);
            }
            o->cv.notify_all();
            o->queue.abort();
        }
        c.work.abort();
    });

    for (auto& in : c.inputs) {
        in->stop.store(true);
        if (in->inst.descriptor->input_stop) in->inst.descriptor->input_stop(in->inst.self);
    }
    for (auto& in : c.inputs) join(in->thread, in->inst.ctx->component);
    if (c.ordered) {
        {
            std::lock_guard lock(c.ordered_mu);
            c.ordered_stop = true;
        }
        c.ordered_cv.notify_all();
        if (join(c.ordered_timer, "the ordered parser's timer")) {
            std::lock_guard lock(c.ordered_mu);
            c.flush_ordered(WEIR_FLUSH_ALL);  // the last events of every stream
        }
    }
    if (c.timed_filters) {
        {
            std::lock_guard lock(c.filter_timer_mu);
            c.filter_timer_stop = true;
        }
        c.filter_timer_cv.notify_all();
        if (join(c.filter_timer, "the filters' timer"))
            c.flush_filters(WEIR_FLUSH_ALL);  // after the last events
    }
    c.work.close();
    for (auto& t : c.worker_threads) join(t, "a worker");
    if (!c.wedged)
        for (auto& b : c.work.take_all()) c.finish(c.in_flight(std::move(b)), false);
    for (auto& o : c.outputs) o->queue.close();
    std::vector<bool> output_back(c.outputs.size());
    for (size_t i = 0; i < c.outputs.size(); ++i)
        output_back[i] = join(c.outputs[i]->thread, c.outputs[i]->inst.ctx->component);
    for (size_t i = 0; i < c.outputs.size(); ++i) {
        auto& o = c.outputs[i];
        if (output_back[i] && o->inst.descriptor->flush) o->inst.descriptor->flush(o->inst.self);
    }
    {
        std::lock_guard lock(wd_mu);
        done = true;
    }
    wd_cv.notify_all();
    watchdog.join();
    Log::info("pipeline:" + c.name, c.wedged           ? "stopped with a blocked stage left behind"
                                    : c.abandon.load() ? "stopped (some batches abandoned)"
                                                       : "stopped, drained");
}

bool Pipeline::wedged() const { return impl_->core.wedged; }

size_t Pipeline::trim() {
    PipelineCore& c = impl_->core;
    std::vector<BatchPtr> pooled;
    {
        std::lock_guard lock(c.pool_mu);
        pooled.swap(c.pool);
    }
    size_t bytes = 0;
    for (const auto& b : pooled) bytes += b->memory();
    return bytes;  // freed as `pooled` goes
}

uint64_t Pipeline::events_seen() const {
    const PipelineCore& c = impl_->core;
    uint64_t n = 0;
    for (const auto& in : c.inputs) n += in->inst.ctx->metrics->events_out.load(std::memory_order_relaxed);
    return n;
}

const std::string& Pipeline::name() const { return impl_->core.name; }
const std::string& Pipeline::key() const { return impl_->core.key; }

std::vector<std::string> Pipeline::reload_instances() {
    PipelineCore& c = impl_->core;
    std::vector<std::string> errors;
    auto one = [&](Instance& inst) {
        if (auto e = reload_instance(inst); !e.empty()) errors.push_back(std::move(e));
    };
    for (auto& in : c.inputs) one(in->inst);
    for (auto& p : c.parsers) one(*p);
    for (auto& per_worker : c.filters)
        for (auto& f : per_worker) one(*f);
    for (auto& o : c.outputs) one(o->inst);
    return errors;
}
const std::string& Pipeline::file() const { return impl_->core.file; }

std::string Pipeline::status_json() const {
    const PipelineCore& c = impl_->core;
    std::string out = "{\"name\":";
    event::append_json_string(out, c.name);
    out += ",\"file\":";
    event::append_json_string(out, c.file);
    out += ",\"started_at\":\"" + event::format_rfc3339_ns(c.started_at_ns) + "\"";
    out += ",\"workers\":" + std::to_string(c.workers) + ",\"stages\":[";
    bool first = true;
    auto stage = [&](const Instance& inst) {
        const auto& m = *inst.ctx->metrics;
        if (!first) out += ",";
        first = false;
        out += "{\"kind\":\"" + m.kind + "\",\"plugin\":";
        event::append_json_string(out, m.plugin);
        out += ",\"name\":";
        event::append_json_string(out, m.instance);
        out += ",\"version\":";
        event::append_json_string(out, inst.descriptor->version ? inst.descriptor->version : "");
        out += ",\"events_in\":" + std::to_string(m.events_in.load()) +
               ",\"events_out\":" + std::to_string(m.events_out.load()) + "}";
    };
    for (auto& in : c.inputs) stage(in->inst);
    if (!c.parsers.empty()) stage(*c.parsers[0]);
    for (auto& f : c.filters) stage(*f[0]);
    for (auto& o : c.outputs) stage(o->inst);
    out += "]}";
    return out;
}

}  // namespace weir::runtime
