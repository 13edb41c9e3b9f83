#include "platform/bus/amqp_acks.hpp"

namespace ordo::bus::amqp {

std::vector<AckFrame> AckTracker::settle(
    std::span<const std::pair<std::uint64_t, Settle>> settled) {
  std::vector<AckFrame> frames;
  for (const auto& [tag, how] : settled) {
    auto it = outstanding_.find(tag);
    if (it == outstanding_.end())
      continue;
    if (how == Settle::ack) {
      it->second = true;
    } else {
      frames.push_back({tag, false, how});
      outstanding_.erase(it);
    }
  }
  std::size_t run = 0;
  std::uint64_t last = 0;
  while (!outstanding_.empty() && outstanding_.begin()->second) {
    last = outstanding_.begin()->first;
    outstanding_.erase(outstanding_.begin());
    ++run;
  }
  if (run > 0)
    frames.push_back({last, run > 1, Settle::ack});
  for (auto it = outstanding_.begin(); it != outstanding_.end();) {
    if (it->second) {
      frames.push_back({it->first, false, Settle::ack});
      it = outstanding_.erase(it);
    } else {
      ++it;
    }
  }
  return frames;
}

}  // namespace ordo::bus::amqp
