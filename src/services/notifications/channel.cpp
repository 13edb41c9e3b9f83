#include "services/notifications/channel.hpp"

#include <algorithm>
#include <stdexcept>

#include "services/notifications/log_channel.hpp"

namespace ordo::services::notifications {

std::vector<std::unique_ptr<Channel>> make_channels(const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<Channel>> channels;
  for (const auto& name : names) {
    bool repeated = std::any_of(channels.begin(), channels.end(),
                                [&](const auto& channel) { return channel->name() == name; });
    if (repeated)
      throw std::invalid_argument("notification channel listed twice: " + name);
    if (name == LogChannel::kName) {
      channels.push_back(std::make_unique<LogChannel>());
    } else {
      throw std::invalid_argument("unknown notification channel: " + name);
    }
  }
  return channels;
}

}  // namespace ordo::services::notifications
