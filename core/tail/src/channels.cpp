#include <map>
#include <mutex>
#include <stdexcept>
#include <weir/tail/channels.hpp>

namespace weir::tail {
namespace {

struct Listener {
    ChannelSettings settings;
    std::shared_ptr<void> running;  // null until the factory started it
    size_t refs = 0;
};

struct Channel {
    std::shared_ptr<Hub> hub;
    size_t refs = 0;
    std::map<std::string, Listener> listeners;  // by listener_key
};

struct Registry {
    std::mutex mu;
    std::map<std::string, Channel, std::less<>> channels;
    ListenerFactory factory;
};

/// Never destroyed: subscribers and listeners may still run at exit.
Registry& registry() {
    static Registry* r = new Registry;
    return *r;
}

std::string listener_key(const ChannelSettings& s) {
    return s.listen + '\n' + s.tls_cert_file + '\n' + s.tls_key_file;
}

}  // namespace

ChannelHandle::ChannelHandle(std::string name, std::string listener_key, std::shared_ptr<Hub> hub)
    : name_(std::move(name)), listener_key_(std::move(listener_key)), hub_(std::move(hub)) {}

ChannelHandle::~ChannelHandle() {
    std::shared_ptr<void> stop;  // released outside the lock: stopping joins threads
    {
        Registry& r = registry();
        std::lock_guard lock(r.mu);
        auto it = r.channels.find(name_);
        if (it == r.channels.end()) return;
        Channel& c = it->second;
        if (c.refs > 0) --c.refs;
        if (!listener_key_.empty()) {
            auto l = c.listeners.find(listener_key_);
            if (l != c.listeners.end() && --l->second.refs == 0) {
                stop = std::move(l->second.running);
                c.listeners.erase(l);
            }
        }
    }
}

/// "host:0": any free port, so never the same socket as another.
static bool any_port(const std::string& listen) {
    return listen.size() >= 2 && listen.compare(listen.size() - 2, 2, ":0") == 0;
}

std::unique_ptr<ChannelHandle> open_channel(const ChannelSettings& s) {
    if (s.name.empty()) throw std::runtime_error("a live channel needs a name");
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    if (!s.listen.empty() && !any_port(s.listen)) {
        // Listeners bind with SO_REUSEPORT (a reload with new TLS files binds
        // beside the old copy): another channel on the same address would
        // share its connections at random.
        for (const auto& [name, c] : r.channels) {
            if (name == s.name) continue;
            for (const auto& [key, l] : c.listeners)
                if (l.refs > 0 && l.settings.listen == s.listen)
                    throw std::runtime_error("listen " + s.listen + " already serves live channel '" + name +
                                             "' (a channel renamed on the same address needs a restart)");
        }
    }
    auto found = r.channels.find(s.name);
    const bool fresh = found == r.channels.end();
    std::shared_ptr<Hub> hub = fresh ? std::make_shared<Hub>(nullptr, s.hub) : found->second.hub;
    std::string key;
    std::shared_ptr<void> running;
    bool new_listener = false;
    if (!s.listen.empty()) {
        key = listener_key(s);
        const bool have = !fresh && found->second.listeners.count(key) > 0;
        if (!have) {
            new_listener = true;
            if (r.factory) running = r.factory(s, hub);  // throws: nothing changed
        }
    }
    // Nothing can fail from here on.
    Channel& c = fresh ? r.channels[s.name] : found->second;
    if (fresh) {
        c.hub = hub;
    } else {
        c.hub->reconfigure(s.hub);
    }
    if (!key.empty()) {
        if (new_listener) {
            Listener l;
            l.settings = s;
            l.running = std::move(running);
            c.listeners.emplace(key, std::move(l));
        }
        ++c.listeners[key].refs;
    }
    ++c.refs;
    return std::make_unique<ChannelHandle>(s.name, std::move(key), c.hub);
}

std::shared_ptr<Hub> find_channel(std::string_view name, bool* known) {
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    auto it = r.channels.find(name);
    if (known) *known = it != r.channels.end();
    if (it == r.channels.end() || it->second.refs == 0) return nullptr;
    return it->second.hub;
}

std::vector<std::pair<std::string, std::shared_ptr<Hub>>> channels() {
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    std::vector<std::pair<std::string, std::shared_ptr<Hub>>> out;
    for (const auto& [name, c] : r.channels) out.emplace_back(name, c.hub);
    return out;
}

void set_listener_factory(ListenerFactory f) {
    std::vector<std::shared_ptr<void>> stop;  // released outside the lock: stopping joins threads
    Registry& r = registry();
    std::string error;
    {
        std::lock_guard lock(r.mu);
        r.factory = std::move(f);
        for (auto& [name, c] : r.channels) {
            for (auto& [key, l] : c.listeners) {
                if (!r.factory || !error.empty()) {
                    if (l.running) stop.push_back(std::move(l.running));
                    continue;
                }
                if (l.running) continue;
                try {
                    l.running = r.factory(l.settings, c.hub);
                } catch (const std::exception& e) {
                    error = e.what();
                }
            }
        }
        if (!error.empty()) {
            // Stop what this call started too: no half-installed state.
            for (auto& [name, c] : r.channels)
                for (auto& [key, l] : c.listeners)
                    if (l.running) stop.push_back(std::move(l.running));
            r.factory = nullptr;
        }
    }
    stop.clear();
    if (!error.empty()) throw std::runtime_error(error);
}

}  // namespace weir::tail
