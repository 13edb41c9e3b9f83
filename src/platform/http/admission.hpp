// Admission control without I/O: the slots of one group of routes (a limit of requests in flight,
// a bounded wait for a free one), and the deadline a caller passes along (Ordo-Timeout-Ms).
// The middleware around them is in admission_control.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

namespace ordo::http {

using AdmissionClock = std::chrono::steady_clock;

// The caller's remaining time in milliseconds, set by the gateway on every upstream attempt
// (relative, so the two machines' clocks need not agree). Believed only from trusted proxies.
inline constexpr std::string_view kTimeoutHeader = "Ordo-Timeout-Ms";
// On an answer refused before any work started, why ("queue-timeout", "deadline"): the gateway
// then knows the instance is alive (not a failure for its breaker) and the request is safe to
// send to another instance, whatever its method.
inline constexpr std::string_view kShedHeader = "Ordo-Shed";

// A header value of digits only, at most an hour; nullopt for anything else (then ignored).
std::optional<std::chrono::milliseconds> parse_timeout_ms(std::string_view value);

struct AdmissionLimit {
  std::size_t max_in_flight = 1;                // at least 1
  std::chrono::milliseconds max_queue_wait{0};  // 0: refused at once when every slot is taken
};

// Why a request was refused before it started.
enum class Refusal {
  queue_timeout,   // no slot freed within the queue wait: 503 with Retry-After
  deadline_passed  // the caller's deadline passed before a slot was free: 504
};

// The slots of one group. Waiters are served first come, first served, and a freed slot passes
// straight to the oldest one, so that a newcomer never overtakes the queue. Not thread-safe: the
// middleware guards each group with a mutex.
class SlotQueue {
 public:
  using Ticket = std::uint64_t;

  explicit SlotQueue(AdmissionLimit limit);

  struct Arrival {
    enum class Kind { admitted, must_wait, refused };
    Kind kind = Kind::admitted;
    Ticket ticket = 0;                         // must_wait: the waiter's place
    AdmissionClock::time_point wait_until;     // must_wait: when it gives up
    Refusal refusal = Refusal::queue_timeout;  // refused now, or when a wait ends unserved
  };
  // deadline: the caller's (nullopt: none). A request arriving past it is refused; one that
  // must wait waits until the queue wait or the deadline, whichever comes first.
  Arrival arrive(AdmissionClock::time_point now,
                 std::optional<AdmissionClock::time_point> deadline);
  // A request holding a slot is done: the slot passes to the oldest waiter (returned: it holds
  // the slot now) or becomes free.
  std::optional<Ticket> release();
  // A waiter's wait ended without a slot being handed to it: true when it left the queue
  // (refused), false when it had been handed one meanwhile (it holds it and must release it).
  bool abandon(Ticket ticket);

  std::size_t in_flight() const { return in_flight_; }
  std::size_t waiting() const { return waiters_.size(); }
  const AdmissionLimit& limit() const { return limit_; }

 private:
  AdmissionLimit limit_;
  std::size_t in_flight_ = 0;
  std::deque<Ticket> waiters_;  // oldest first
  Ticket next_ticket_ = 1;
};

}  // namespace ordo::http
