// The acknowledgements a consuming AMQP channel sends: one basic.ack with multiple=true for every
// delivery up to a tag once all of them succeeded, and each failure settled on its own.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

namespace ordo::bus::amqp {

enum class Settle { ack, requeue, reject };

// One frame to send: basic.ack (multiple or not), basic.nack with requeue, or basic.reject.
struct AckFrame {
  std::uint64_t tag = 0;
  bool multiple = false;
  Settle how = Settle::ack;
  bool operator==(const AckFrame&) const = default;
};

// Tracks the channel's unsettled deliveries. A multiple ack covers every unsettled delivery up to
// its tag, so it is sent only up to the first delivery not settled yet; acks behind that one go
// out one by one, so that none waits for it.
class AckTracker {
 public:
  void delivered(std::uint64_t tag) { outstanding_.emplace(tag, false); }

  // Settles these deliveries (tags not delivered on this channel are ignored) and returns the
  // frames to send, in order.
  std::vector<AckFrame> settle(std::span<const std::pair<std::uint64_t, Settle>> settled);

  // The channel is gone: the broker requeued whatever it had not heard about.
  void reset() { outstanding_.clear(); }
  std::size_t unsettled() const { return outstanding_.size(); }

 private:
  std::map<std::uint64_t, bool> outstanding_;  // delivery tag -> its ack is due
};

}  // namespace ordo::bus::amqp
