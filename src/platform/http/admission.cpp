// Slot accounting and deadline parsing for admission control (no I/O: tested directly).
#include "platform/http/admission.hpp"

#include <algorithm>

namespace ordo::http {

std::optional<std::chrono::milliseconds> parse_timeout_ms(std::string_view value) {
  constexpr long long kMax = 3'600'000;
  if (value.empty() || value.size() > 7)
    return std::nullopt;
  long long ms = 0;
  for (char c : value) {
    if (c < '0' || c > '9')
      return std::nullopt;
    ms = ms * 10 + (c - '0');
  }
  if (ms > kMax)
    return std::nullopt;
  return std::chrono::milliseconds(ms);
}

SlotQueue::SlotQueue(AdmissionLimit limit) : limit_(limit) {
  limit_.max_in_flight = std::max<std::size_t>(limit_.max_in_flight, 1);
}

SlotQueue::Arrival SlotQueue::arrive(AdmissionClock::time_point now,
                                     std::optional<AdmissionClock::time_point> deadline) {
  Arrival arrival;
  if (deadline && *deadline <= now) {
    arrival.kind = Arrival::Kind::refused;
    arrival.refusal = Refusal::deadline_passed;
    return arrival;
  }
  if (in_flight_ < limit_.max_in_flight && waiters_.empty()) {
    ++in_flight_;
    return arrival;
  }
  if (limit_.max_queue_wait.count() <= 0) {
    arrival.kind = Arrival::Kind::refused;
    return arrival;
  }
  arrival.kind = Arrival::Kind::must_wait;
  arrival.ticket = next_ticket_++;
  arrival.wait_until = now + limit_.max_queue_wait;
  if (deadline && *deadline < arrival.wait_until) {
    arrival.wait_until = *deadline;
    arrival.refusal = Refusal::deadline_passed;
  }
  waiters_.push_back(arrival.ticket);
  return arrival;
}

std::optional<SlotQueue::Ticket> SlotQueue::release() {
  if (!waiters_.empty()) {
    Ticket next = waiters_.front();
    waiters_.pop_front();
    return next;  // the slot changes hands: in_flight_ stays
  }
  if (in_flight_ > 0)
    --in_flight_;
  return std::nullopt;
}

bool SlotQueue::abandon(Ticket ticket) {
  auto found = std::find(waiters_.begin(), waiters_.end(), ticket);
  if (found == waiters_.end())
    return false;
  waiters_.erase(found);
  return true;
}

}  // namespace ordo::http
