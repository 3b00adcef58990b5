// `weir run`: signals, the control thread, and the API server.
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <weir/api/context.hpp>
#include <weir/config/model.hpp>
#include <weir/http/access.hpp>
#include <weir/http/server.hpp>
#include <weir/keys/keys.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/runtime/log.hpp>
#include <weir/tail/channels.hpp>

#include "commands.hpp"

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

/// The API server's options from service.api; refuses what must not start.
http::ServerOptions server_options(const config::ServiceConfig& svc, api::Tokens& tokens) {
    const config::ApiConfig& a = svc.api;
    http::ServerOptions o;
    o.listen = svc.admin_listen;
    o.workers = static_cast<size_t>(a.workers);
    o.max_body_bytes = static_cast<size_t>(a.max_body_bytes);
    o.max_connections = static_cast<size_t>(a.max_connections);
    o.max_connections_per_client = static_cast<size_t>(a.max_connections_per_client);
    o.cors_origins = a.cors_origins;
    o.static_dir = a.static_dir;
    o.tls_cert_file = a.tls_cert_file;
    o.tls_key_file = a.tls_key_file;
    o.tls_ca_file = a.tls_ca_file;
    if (!a.tokens_file.empty()) {
        tokens.store = std::make_shared<keys::KeyStore>(
            a.tokens_file, keys::LoadOptions{false, {"read", "admin"}});  // throws naming the file
        o.tokens = tokens.store;
    }
    const http::Exposure exposure =
        http::api_exposure(o.listen, tokens.store != nullptr, a.allow_unauthenticated);
    if (!exposure.refusal.empty()) throw std::runtime_error(exposure.refusal);
    if (!exposure.warning.empty()) runtime::Log::warn("api", exposure.warning);
    return o;
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
    api::Tokens tokens;
    std::unique_ptr<http::Server> server;
    api::Context ctx{engine, nullptr, nullptr, &tokens};
    ctx.reload = [&](std::function<void(const runtime::ReloadResult&)> done) {
        control.post([&, done = std::move(done)] {
            const auto result = engine.reload();
            tokens.reload();
            done(result);
        });
    };
    ctx.server_metrics = [&server] { return server ? server->metrics_text() : std::string(); };
    try {
        // Tokens first: the topics may start listeners of their own that check them.
        http::ServerOptions options = server_options(engine.service(), tokens);
        auto router = std::make_shared<http::Router>();
        api::register_routes(*router, ctx);
        server = std::make_unique<http::Server>(std::move(options), router);
        server->start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "weir: %s\n", e.what());
        tail::set_listener_factory(nullptr);  // it refers to ctx
        engine.shutdown(std::chrono::seconds(5));
        return 1;
    }
    runtime::Log::info(
        "admin", std::string("listening on ") + (server->tls() ? "https://" : "http://") + server->address() +
                     (tokens.store ? " (" + std::to_string(tokens.store->size()) + " API tokens)" : ""));

    bool terminating = false;
    std::function<void(const boost::system::error_code&, int)> on_signal;
    on_signal = [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
            control.post([&] {
                engine.reload();
                tokens.reload();
            });
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
                    runtime::Log::warn("engine",
                                       "stopped with a blocked output left behind; undelivered "
                                       "batches will be read again after restart");
                    std::_Exit(0);
                }
                // The live channels' own listeners go with the API: the
                // factory that starts them refers to ctx, which a reload
                // queued meanwhile must not reach.
                tail::set_listener_factory(nullptr);
                server->stop();
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
