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

std::unique_ptr<ChannelHandle> open_channel(const ChannelSettings& s) {
    if (s.name.empty()) throw std::runtime_error("a live channel needs a name");
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    Channel& c = r.channels[s.name];
    if (!c.hub) {
        c.hub = std::make_shared<Hub>(nullptr, s.hub);
    } else {
        c.hub->reconfigure(s.hub);
    }
    std::string key;
    if (!s.listen.empty()) {
        key = listener_key(s);
        auto it = c.listeners.find(key);
        if (it == c.listeners.end()) {
            Listener l;
            l.settings = s;
            if (r.factory) l.running = r.factory(s, c.hub);  // throws: nothing changed
            it = c.listeners.emplace(key, std::move(l)).first;
        }
        ++it->second.refs;
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
    std::vector<std::shared_ptr<void>> stop;
    Registry& r = registry();
    {
        std::lock_guard lock(r.mu);
        r.factory = std::move(f);
        for (auto& [name, c] : r.channels) {
            for (auto& [key, l] : c.listeners) {
                if (!r.factory) {
                    stop.push_back(std::move(l.running));
                } else if (!l.running) {
                    l.running = r.factory(l.settings, c.hub);
                }
            }
        }
    }
}

}  // namespace weir::tail
