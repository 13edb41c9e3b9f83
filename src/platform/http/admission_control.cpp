// The admission middleware: SlotQueue's decisions, timers for the waiters, problem answers.
#include "platform/http/admission_control.hpp"

#include <atomic>
#include <map>
#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/http/problem.hpp"

namespace ordo::http {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

// A refused request is worth retrying soon: slots free within a request's service time, and a
// client that honours the header spreads its retries instead of hammering at once.
constexpr int kRetryAfterSeconds = 1;

struct Waiter {
  explicit Waiter(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  bool granted = false;  // under the group's mutex: a slot was handed to it
};

struct Group {
  explicit Group(AdmissionGroup definition)
      : name(std::move(definition.name)), slots(definition.limit) {}
  std::string name;
  std::mutex mutex;
  SlotQueue slots;
  std::map<SlotQueue::Ticket, std::shared_ptr<Waiter>> waiters;
  std::atomic<std::uint64_t> refused{0};

  // Gives the slot back; when a waiter takes it over, wakes it on its own executor (a timer is
  // only touched by the thread its executor runs on).
  void release() {
    std::shared_ptr<Waiter> next;
    {
      std::lock_guard lock(mutex);
      auto ticket = slots.release();
      if (!ticket)
        return;
      auto found = waiters.find(*ticket);
      next = found->second;
      next->granted = true;
      waiters.erase(found);
    }
    asio::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
  }
};

// What a request holds, released however its coroutine ends (answer, exception, or a frame
// destroyed while it waits).
class Place {
 public:
  Place(Group& group, std::optional<SlotQueue::Ticket> waiting)
      : group_(group), waiting_(waiting) {}
  Place(const Place&) = delete;
  Place& operator=(const Place&) = delete;
  ~Place() {
    if (waiting_) {
      bool holds = false;
      {
        std::lock_guard lock(group_.mutex);
        auto found = group_.waiters.find(*waiting_);
        holds = found == group_.waiters.end() || found->second->granted;
        if (found != group_.waiters.end())
          group_.waiters.erase(found);
        if (!holds)
          holds = !group_.slots.abandon(*waiting_);
      }
      if (holds)
        group_.release();
    } else if (holding_) {
      group_.release();
    }
  }
  // After the wait: whether the slot is ours (else it left the queue, refused).
  bool settle_wait() {
    std::lock_guard lock(group_.mutex);
    auto found = group_.waiters.find(*waiting_);
    bool granted = found == group_.waiters.end();  // release() took it out when granting
    if (!granted) {
      granted = found->second->granted || !group_.slots.abandon(*waiting_);
      group_.waiters.erase(found);
    }
    waiting_.reset();
    holding_ = granted;
    return granted;
  }
  void hold() { holding_ = true; }

 private:
  Group& group_;
  std::optional<SlotQueue::Ticket> waiting_;
  bool holding_ = false;
};

}  // namespace

struct AdmissionControl::State {
  explicit State(const std::vector<std::string>& trusted_proxies) : trusted(trusted_proxies) {}
  std::vector<std::unique_ptr<Group>> groups;
  std::function<std::optional<std::size_t>(const Request&)> classify;
  TrustedProxies trusted;
};

namespace {

Response refusal_response(Group& group, Refusal refusal) {
  ++group.refused;
  Response response;
  if (refusal == Refusal::deadline_passed) {
    response = errors::to_response(errors::gateway_timeout(
        "the caller's deadline passed before a " + group.name + " request could start"));
    response.headers.set(std::string(kShedHeader), "deadline");
  } else {
    auto problem =
        errors::service_unavailable("the service is at its limit of concurrent " + group.name +
                                    " requests and none finished in time; retry later");
    problem.extensions["retryAfter"] = kRetryAfterSeconds;
    response = errors::to_response(problem);
    response.headers.set(std::string(kShedHeader), "queue-timeout");
  }
  return response;
}

std::optional<AdmissionClock::time_point> caller_deadline(const AdmissionControl::State& state,
                                                          const Request& request,
                                                          AdmissionClock::time_point now) {
  auto header = request.headers.get(kTimeoutHeader);
  if (!header || !state.trusted.trusts(request.remote_address))
    return std::nullopt;
  auto timeout = parse_timeout_ms(*header);
  if (!timeout)
    return std::nullopt;
  return now + *timeout;
}

// A free coroutine with its state by value: the frame never points into a temporary closure.
awaitable<Response> admit(std::shared_ptr<AdmissionControl::State> state, Request& request,
                          const Handler& next) {
  auto index = request.refusal ? std::nullopt : state->classify(request);
  if (!index)
    co_return co_await next(request);
  Group& group = *state->groups.at(*index);
  auto now = AdmissionClock::now();
  auto deadline = caller_deadline(*state, request, now);
  auto executor = co_await asio::this_coro::executor;  // not under the lock: no co_await there
  SlotQueue::Arrival arrival;
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(group.mutex);
    arrival = group.slots.arrive(now, deadline);
    if (arrival.kind == SlotQueue::Arrival::Kind::must_wait) {
      waiter = std::make_shared<Waiter>(executor);
      waiter->timer.expires_at(arrival.wait_until);
      group.waiters.emplace(arrival.ticket, waiter);
    }
  }
  if (arrival.kind == SlotQueue::Arrival::Kind::refused)
    co_return refusal_response(group, arrival.refusal);
  std::optional<SlotQueue::Ticket> ticket;
  if (waiter)
    ticket = arrival.ticket;
  Place place(group, ticket);
  if (waiter) {
    boost::system::error_code ignored;  // cancelled: woken with a slot; expired: not
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!place.settle_wait())
      co_return refusal_response(group, arrival.refusal);
  } else {
    place.hold();
  }
  co_return co_await next(request);
}

}  // namespace

AdmissionControl::AdmissionControl(AdmissionPolicy policy)
    : state_(std::make_shared<State>(policy.trusted_proxies)) {
  for (auto& group : policy.groups)
    state_->groups.push_back(std::make_unique<Group>(std::move(group)));
  state_->classify = std::move(policy.classify);
}

Middleware AdmissionControl::middleware() const {
  return [state = state_](Request& request, const Handler& next) {
    return admit(state, request, next);
  };
}

std::size_t AdmissionControl::group_count() const {
  return state_->groups.size();
}

const std::string& AdmissionControl::group_name(std::size_t group) const {
  return state_->groups.at(group)->name;
}

std::function<double()> AdmissionControl::in_flight_gauge(std::size_t group) const {
  return [state = state_, group] {
    auto& g = *state->groups.at(group);
    std::lock_guard lock(g.mutex);
    return static_cast<double>(g.slots.in_flight());
  };
}

std::function<double()> AdmissionControl::refused_gauge(std::size_t group) const {
  return [state = state_, group] {
    return static_cast<double>(state->groups.at(group)->refused.load());
  };
}

}  // namespace ordo::http
