// Live channels: the hubs of `websocket` outputs, by name. An output opens
// (or joins) its channel when it is created and publishes its batches to
// it; the API serves each channel at /api/v1/live/<name> and, when an
// output asks for one, on a listener of its own. A channel outlives the
// outputs that feed it, so a reload keeps its subscribers connected. See
// docs/tail.md.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <weir/tail/hub.hpp>

namespace weir::tail {

struct ChannelSettings {
    std::string name;
    HubOptions hub;
    /// "host:port" of a listener of the channel's own; "": the API server only.
    std::string listen;
    std::string tls_cert_file, tls_key_file;
};

/// Starts a channel's own listener; the result keeps it running (dropping
/// it stops it). Throws std::runtime_error ("cannot listen on ...").
using ListenerFactory = std::function<std::shared_ptr<void>(const ChannelSettings&, std::shared_ptr<Hub>)>;

/// One output's hold on its channel (and on its listener, if any).
class ChannelHandle {
public:
    ChannelHandle(std::string name, std::string listener_key, std::shared_ptr<Hub> hub);
    ~ChannelHandle();
    ChannelHandle(const ChannelHandle&) = delete;
    ChannelHandle& operator=(const ChannelHandle&) = delete;
    Hub& hub() const { return *hub_; }
    const std::string& name() const { return name_; }

private:
    std::string name_, listener_key_;
    std::shared_ptr<Hub> hub_;
};

/// Opens or joins channel `s.name` (its limits apply to new subscribers).
/// With `s.listen`, starts that listener, or shares it with another output
/// of the channel that asked for the same. Throws std::runtime_error.
std::unique_ptr<ChannelHandle> open_channel(const ChannelSettings& s);

/// The channel's hub while an output feeds it; otherwise null and
/// `known` tells whether one ever did.
std::shared_ptr<Hub> find_channel(std::string_view name, bool* known = nullptr);

/// Every channel ever opened, with its hub, by name.
std::vector<std::pair<std::string, std::shared_ptr<Hub>>> channels();

/// The daemon's API installs this. Listeners asked for before then (the
/// pipelines start first) are started now; the first failure is thrown.
/// Null uninstalls it and stops every listener.
void set_listener_factory(ListenerFactory f);

}  // namespace weir::tail
