// `weir run`: signals, the control thread, and the admin endpoints.
#include "commands.hpp"

#include <weir/admin/server.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/runtime/log.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <sys/resource.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace weir::cli {
namespace {

/// Past the drain deadline and the pipelines' grace, nothing may hold the
/// process: a last-resort timer ends it.
constexpr auto kLastResort = std::chrono::seconds(15);
/// How often the control thread looks for an idle daemon to give memory back.
constexpr auto kIdleCheck = std::chrono::seconds(5);

/// Serialises reloads and the shutdown on one thread, so the signal thread
/// stays free to notice a second SIGTERM while a drain is under way.
class Control {
public:
    explicit Control(runtime::Engine& engine) : engine_(engine), thread_([this] { loop(); }) {}
    ~Control() {
        {
            std::lock_guard lock(mu_);
            quit_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    std::future<runtime::ReloadResult> reload() {
        auto p = std::make_shared<std::promise<runtime::ReloadResult>>();
        auto f = p->get_future();
        post([this, p] { p->set_value(engine_.reload()); });
        return f;
    }
    void post(std::function<void()> fn) {
        {
            std::lock_guard lock(mu_);
            jobs_.push_back(std::move(fn));
        }
        cv_.notify_all();
    }

private:
    void loop() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mu_);
                if (!cv_.wait_for(lock, kIdleCheck, [&] { return quit_ || !jobs_.empty(); })) {
                    lock.unlock();
                    engine_.trim_if_idle();
                    continue;
                }
                if (jobs_.empty()) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job();
        }
    }
    runtime::Engine& engine_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool quit_ = false;
    std::thread thread_;
};

/// Thousands of tailed files and connections need descriptors: raise the
/// soft limit to the hard one, as most daemons do.
void raise_fd_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
    const rlim_t before = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &lim) == 0)
        runtime::Log::debug("daemon", "open file limit raised from " + std::to_string(before) + " to " +
                                          std::to_string(lim.rlim_cur));
}

admin::Response json(int status, std::string body) {
    admin::Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
}

}  // namespace

int cmd_run(const GlobalOptions& g) {
    // Signals first, before any thread exists (see LIBRARY-NOTES: nobody else
    // may install handlers). SIGPIPE is taken so a closed stdout is an EPIPE.
    boost::asio::io_context io;
    boost::asio::signal_set signals(io, SIGHUP, SIGTERM, SIGINT);
    signals.add(SIGPIPE);

    raise_fd_limit();
    runtime::Engine engine(g.config, g.builtin_plugin_dirs);
    try {
        engine.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%sweir: not started: the configuration has errors\n", e.what());
        return 1;
    }

    Control control(engine);
    admin::Server server(engine.admin_listen(), [&](const admin::Request& req) -> admin::Response {
        if (req.path == "/health") return json(200, "{\"status\":\"ok\"}");
        if (req.path == "/metrics") {
            admin::Response r;
            r.content_type = "text/plain; version=0.0.4; charset=utf-8";
            r.body = engine.metrics_text();
            return r;
        }
        if (req.path == "/api/v1/status") return json(200, engine.status_json());
        if (req.path == "/api/v1/reload") {
            if (req.method != "POST") {
                auto r = json(405, "{\"error\":\"use POST\"}");
                r.headers.emplace_back("Allow", "POST");
                return r;
            }
            auto f = control.reload();
            if (f.wait_for(std::chrono::seconds(60)) != std::future_status::ready)
                return json(504, "{\"error\":\"reload still running\"}");
            const auto result = f.get();
            return json(result.ok ? 200 : 422, result.to_json());
        }
        return json(404, "{\"error\":\"not found\"}");
    });
    try {
        server.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "weir: %s\n", e.what());
        engine.shutdown(std::chrono::seconds(5));
        return 1;
    }
    runtime::Log::info("admin", "listening on http://" + server.address());

    bool terminating = false;
    std::function<void(const boost::system::error_code&, int)> on_signal;
    on_signal = [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
            control.post([&] { engine.reload(); });
        } else if (sig == SIGTERM || sig == SIGINT) {
            if (terminating) {
                runtime::Log::warn("engine", "second termination signal: exiting at once");
                std::_Exit(1);
            }
            terminating = true;
            const auto deadline = engine.shutdown_timeout();
            runtime::Log::info("engine", "termination signal: draining pipelines (at most " +
                                             std::to_string(deadline.count()) + " ms)");
            std::thread([deadline] {
                std::this_thread::sleep_for(deadline + kLastResort);
                runtime::Log::error("engine", "shutdown still not finished; exiting at once");
                std::_Exit(1);
            }).detach();
            control.post([&, deadline] {
                if (!engine.shutdown(deadline)) {
                    // A stage blocked for good (an output writing into a pipe
                    // nobody reads) still runs: exit without waiting for it or
                    // running destructors under it. What it held was never
                    // acknowledged, so it is re-read or re-sent after restart.
                    runtime::Log::warn("engine", "stopped with a blocked output left behind; undelivered "
                                                 "batches will be read again after restart");
                    std::_Exit(0);
                }
                server.stop();
                io.stop();
            });
        }
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    io.run();
    runtime::Log::info("engine", "stopped");
    return 0;
}

}  // namespace weir::cli
