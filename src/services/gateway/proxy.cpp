#include "services/gateway/proxy.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "platform/http/admission.hpp"
#include "platform/http/problem.hpp"
#include "services/gateway/settings.hpp"
#include "services/gateway/upstreams.hpp"

namespace ordo::services::gateway {

namespace asio = boost::asio;
using asio::awaitable;

namespace {
constexpr std::string_view kService = "gateway";
}  // namespace

// Shared by the Proxy, its health-check coroutines and the requests in flight on every loop,
// which may still be queued when it goes.
struct Proxy::State {
  State(const std::vector<asio::any_io_executor>& loops, const config::Config& config,
        core::NameLookup lookup_in)
      : executor(loops.at(0)),
        timer(executor),
        dns_timer(executor),
        upstream_timeout(config.upstream_timeout),
        health_interval(config.section<Settings>().health_interval),
        health_timeout(config.section<Settings>().health_timeout),
        dns_refresh(config.upstreams_dns_refresh),
        retries(config.section<Settings>().upstream_retries),
        lookup(std::move(lookup_in)) {
    http::ClientOptions options{std::chrono::milliseconds(2'000), config.upstream_timeout, 256,
                                16 * 1024 * 1024};
    options.lookup = lookup;
    // Event streams pass through as they come (the upstream timeout bounds their head only).
    options.relay_event_streams = true;
    options.stream_idle_timeout = config.section<Settings>().stream_idle_timeout;
    for (const auto& loop : loops) {
      clients.push_back(LoopClient{&asio::query(loop, asio::execution::context),
                                   std::make_unique<http::Client>(loop, options)});
    }
  }

  // The client of the loop the caller runs on: connections never cross loops (threads).
  http::Client& client_for(const asio::any_io_executor& current) {
    auto* context = &asio::query(current, asio::execution::context);
    for (auto& entry : clients) {
      if (entry.context == context)
        return *entry.client;
    }
    return *clients.front().client;
  }

  struct LoopClient {
    asio::execution_context* context;
    std::unique_ptr<http::Client> client;
  };

  asio::any_io_executor executor;  // the first loop: health checks
  std::vector<LoopClient> clients;
  asio::steady_timer timer;      // only touched on the first loop (or when no loop runs)
  asio::steady_timer dns_timer;  // likewise
  std::chrono::milliseconds upstream_timeout;
  std::chrono::milliseconds health_interval;
  std::chrono::milliseconds health_timeout;
  std::chrono::milliseconds dns_refresh;
  int retries;
  core::NameLookup lookup;
  // Discovery, on the first loop only: the origins as configured (never changes after start),
  // and per configured name origin its last addresses and whether its lookups fail.
  std::map<std::string, std::vector<std::string>> configured;
  std::map<std::string, std::vector<std::string>> resolved;
  std::map<std::string, bool> lookup_failing;
  // The instance states: read and changed by every loop. Held for a few comparisons at a time,
  // never across a co_await.
  mutable std::mutex mutex;
  // The map itself never changes after start; a set's members do (discovery).
  std::map<std::string, UpstreamSet> sets;
  std::map<std::string, std::vector<bool>> probing;  // per slot: a health check is in flight
  std::atomic<bool> stopped{false};
};

namespace {

void log_transition(Transition transition, const std::string& service, const std::string& origin,
                    const std::string& cause) {
  if (transition == Transition::ejected) {
    log::warn(kService, "upstream instance ejected",
              {{"upstream", service}, {"origin", origin}, {"cause", cause}});
  } else if (transition == Transition::recovered) {
    log::info(kService, "upstream instance recovered",
              {{"upstream", service}, {"origin", origin}, {"cause", cause}});
  } else if (transition == Transition::joined) {
    log::info(kService, "upstream instance joined",
              {{"upstream", service}, {"origin", origin}, {"cause", cause}});
  }
}

template <typename State>
awaitable<void> health_check(std::shared_ptr<State> state, std::string service, std::size_t index) {
  auto& set = state->sets.at(service);
  std::string origin;
  {
    std::lock_guard lock(state->mutex);
    origin = set.origin(index);
  }
  bool passed = false;
  try {
    http::OutgoingRequest probe{"GET", "/ready", {}, {}};
    probe.headers.set("User-Agent", "ordo-gateway-health");
    auto& client = state->client_for(state->executor);
    auto answer = co_await client.send(origin, std::move(probe), state->health_timeout);
    passed = answer.status == 200;
  } catch (const http::ClientError&) {
  }
  Transition transition = Transition::none;
  bool stopped = false;
  {
    std::lock_guard lock(state->mutex);
    state->probing[service][index] = false;
    stopped = state->stopped;
    if (!stopped) {
      auto now = Clock::now();
      transition = passed ? set.health_passed(index, now) : set.health_failed(index, now);
    }
  }
  if (stopped)
    co_return;
  log_transition(transition, service, origin,
                 passed ? "health check passed" : "health check failed");
}

template <typename State>
awaitable<void> health_loop(std::shared_ptr<State> state) {
  while (!state->stopped) {
    std::vector<std::pair<std::string, std::size_t>> due;
    {
      std::lock_guard lock(state->mutex);
      for (auto& [service, set] : state->sets) {
        auto& probing = state->probing[service];
        for (std::size_t i = 0; i < set.size(); ++i) {
          // A running check: its timeout is longer than the interval. A retired slot: gone.
          if (probing[i] || set.retired(i))
            continue;
          probing[i] = true;
          due.emplace_back(service, i);
        }
      }
    }
    for (auto& [service, index] : due)
      asio::co_spawn(state->executor, health_check(state, service, index), asio::detached);
    state->timer.expires_after(state->health_interval);
    boost::system::error_code ec;
    co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// The instances a service's configured origins stand for now: a numeric one itself; a name one
// per address it last resolved to (looked up again here), or itself until it first resolves.
template <typename State>
awaitable<std::vector<Member>> discover(std::shared_ptr<State> state,
                                        const std::vector<std::string>& configured) {
  std::vector<Member> members;
  auto add = [&members](std::string origin, const std::string& source) {
    for (const auto& member : members) {
      if (member.origin == origin)
        return;
    }
    members.push_back(Member{std::move(origin), source});
  };
  // A lookup may take its whole timeout: bounded so a refresh never lags far behind.
  auto timeout = std::clamp(state->dns_refresh, std::chrono::milliseconds(500),
                            std::chrono::milliseconds(5'000));
  for (const auto& origin : configured) {
    auto parts = split_origin(origin);
    if (!parts || core::is_numeric_address(parts->host)) {
      add(origin, origin);
      continue;
    }
    std::vector<std::string> addresses;
    std::string failure;
    try {
      addresses = co_await core::resolve_name(parts->host, timeout, state->lookup);
    } catch (const core::LookupError& e) {
      failure = e.what();
    }
    bool& failing = state->lookup_failing[origin];
    if (failure.empty()) {
      state->resolved[origin] = addresses;
      if (failing)
        log::info(kService, "upstream name resolves again", {{"upstream", origin}});
    } else if (!failing) {
      log::warn(kService, "cannot resolve upstream name; keeping its last addresses",
                {{"upstream", origin}, {"error", failure}});
    }
    failing = !failure.empty();
    const auto& known = state->resolved[origin];
    if (known.empty())
      add(origin, origin);  // never resolved yet: the client resolves it per connection
    for (const auto& address : known)
      add(origin_at(*parts, address), origin);
  }
  co_return members;
}

template <typename State>
awaitable<void> refresh_members(std::shared_ptr<State> state) {
  for (const auto& entry : state->configured) {
    std::vector<Member> members = co_await discover(state, entry.second);
    const std::string& service = entry.first;
    MembershipChange change;
    std::vector<std::size_t> joining;  // checked at once: they take no traffic until they pass
    {
      std::lock_guard lock(state->mutex);
      if (state->stopped)
        co_return;
      auto& set = state->sets.at(service);
      auto& probing = state->probing[service];
      change = set.update(members);
      bool checking = std::find(probing.begin(), probing.end(), true) != probing.end();
      if (set.size() > set.active_count() && set.idle() && !checking) {
        set.drop_retired();  // nobody holds an index now
        probing.assign(set.size(), false);
      } else {
        probing.resize(set.size(), false);
      }
      auto now = Clock::now();
      for (std::size_t i = 0; i < set.size(); ++i) {
        if (!set.retired(i) && !probing[i] && set.state(i, now) == InstanceState::joining) {
          probing[i] = true;
          joining.push_back(i);
        }
      }
    }
    for (auto index : joining)
      asio::co_spawn(state->executor, health_check(state, service, index), asio::detached);
    for (const auto& origin : change.added)
      log::info(kService, "upstream instance added", {{"upstream", service}, {"origin", origin}});
    for (const auto& origin : change.removed)
      log::info(kService, "upstream instance removed", {{"upstream", service}, {"origin", origin}});
  }
}

template <typename State>
awaitable<void> discovery_loop(std::shared_ptr<State> state) {
  while (!state->stopped) {
    co_await refresh_members(state);
    state->dns_timer.expires_after(state->dns_refresh);
    boost::system::error_code ec;
    co_await state->dns_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// How one attempt ended.
struct Attempt {
  std::optional<http::Response> response;
  AttemptOutcome outcome = AttemptOutcome::answered;
  bool timed_out = false;
  std::string error;
};

errors::Problem all_down(const std::string& service, std::chrono::seconds retry_after) {
  auto problem =
      errors::service_unavailable("every instance of the " + service + " service is unavailable");
  problem.extensions["retryAfter"] = retry_after.count();
  return problem;
}

}  // namespace

Proxy::Proxy(const std::vector<asio::any_io_executor>& loops, const config::Config& config,
             const std::set<std::string>& services, core::NameLookup lookup)
    : state_(std::make_shared<State>(loops, config, std::move(lookup))) {
  BreakerPolicy policy{config.section<Settings>().eject_after_failures,
                       config.section<Settings>().eject_duration};
  for (const auto& service : services) {
    auto origins = config.upstream_origins(service);
    state_->configured[service] = origins;
    state_->probing[service].assign(origins.size(), false);
    state_->sets.emplace(service, UpstreamSet(std::move(origins), policy));
  }
}

Proxy::~Proxy() {
  state_->stopped = true;
  state_->timer.cancel();
  state_->dns_timer.cancel();
  // Idle connections of every loop go now, while every loop still exists: the state itself may
  // be released last by a frame destroyed with one loop after another loop is gone.
  for (auto& entry : state_->clients)
    entry.client->close_idle();
}

void Proxy::start_health_checks() {
  asio::co_spawn(state_->executor, health_loop(state_), asio::detached);
}

void Proxy::start_discovery() {
  if (state_->dns_refresh.count() > 0)
    asio::co_spawn(state_->executor, discovery_loop(state_), asio::detached);
}

http::Client& Proxy::client(const asio::any_io_executor& current) {
  return state_->client_for(current);
}

bool Proxy::has_instances(const std::string& service) const {
  auto found = state_->configured.find(service);
  return found != state_->configured.end() && !found->second.empty();
}

std::vector<std::string> Proxy::instance_origins(const std::string& service) const {
  std::vector<std::string> origins;
  std::lock_guard lock(state_->mutex);
  auto found = state_->sets.find(service);
  if (found == state_->sets.end())
    return origins;
  for (std::size_t i = 0; i < found->second.size(); ++i) {
    if (!found->second.retired(i))
      origins.push_back(found->second.origin(i));
  }
  return origins;
}

boost::json::object Proxy::instance_states() const {
  boost::json::object out;
  auto now = Clock::now();
  std::lock_guard lock(state_->mutex);
  for (const auto& [service, set] : state_->sets) {
    boost::json::array instances;
    for (std::size_t i = 0; i < set.size(); ++i) {
      if (set.retired(i))
        continue;
      boost::json::object instance{{"origin", set.origin(i)},
                                   {"state", to_string(set.state(i, now))},
                                   {"inFlight", set.in_flight(i)}};
      if (set.source(i) != set.origin(i))
        instance["name"] = set.source(i);
      instances.push_back(std::move(instance));
    }
    out[service] = std::move(instances);
  }
  return out;
}

std::function<double()> Proxy::up_gauge(const std::string& service) const {
  return [state = state_, service] {
    std::lock_guard lock(state->mutex);
    return static_cast<double>(state->sets.at(service).up_count(Clock::now()));
  };
}

awaitable<http::Response> Proxy::send(const std::string& service, http::OutgoingRequest request,
                                      log::Context context) {
  auto state = state_;  // the frame keeps the sets alive
  auto& set = state->sets.at(service);
  auto& client = state->client_for(co_await asio::this_coro::executor);
  const bool has_key = request.headers.has("Idempotency-Key");
  const std::string method = request.method;  // the request itself moves into the last attempt
  const auto deadline = Clock::now() + state->upstream_timeout;
  std::vector<std::size_t> tried;
  Attempt last;
  bool attempted = false;
  for (int attempt = 0; attempt <= state->retries; ++attempt) {
    auto now = Clock::now();
    if (now >= deadline) {
      last.timed_out = true;
      break;
    }
    std::optional<std::size_t> picked;
    std::string origin;
    std::size_t active = 0;
    {
      // The index stays valid while the attempt is in flight (see UpstreamSet); the origin is
      // copied, as discovery may add instances meanwhile.
      std::lock_guard lock(state->mutex);
      picked = set.pick(now, tried);
      if (picked) {
        set.started(*picked);
        origin = set.origin(*picked);
      }
      active = set.active_count();
    }
    if (!picked)
      break;
    auto index = *picked;
    tried.push_back(index);
    auto remaining = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    // The last possible attempt may take the request; earlier ones send a copy.
    bool last_chance = attempt == state->retries || tried.size() >= active;
    http::OutgoingRequest outgoing = last_chance ? std::move(request) : request;
    // The service bounds its queue wait by it and refuses work nobody waits for any more.
    outgoing.headers.set(std::string(http::kTimeoutHeader), std::to_string(remaining.count()));
    Attempt result;
    attempted = true;
    try {
      result.response = co_await client.send(origin, std::move(outgoing), remaining);
      result.outcome =
          classify_answer(result.response->status, result.response->headers.has(http::kShedHeader));
    } catch (const http::ClientError& e) {
      result.outcome =
          e.may_have_reached() ? AttemptOutcome::failed_after_sending : AttemptOutcome::not_sent;
      result.timed_out = e.kind() == http::ClientError::Kind::timeout;
      result.error = e.what();
    }
    now = Clock::now();
    bool failure = counts_as_failure(result.outcome);
    Transition transition = Transition::none;
    {
      std::lock_guard lock(state->mutex);
      transition = failure ? set.failed(index, now) : set.succeeded(index, now);
    }
    if (transition != Transition::none) {
      log_transition(transition, service, origin,
                     result.error.empty() ? "answered " + std::to_string(result.response->status)
                                          : result.error);
    }
    bool shed = result.outcome == AttemptOutcome::shed;
    if (!failure && !shed)
      co_return std::move(*result.response);
    bool retry = may_retry(result.outcome, method, has_key) && !last_chance;
    // Past saturation every refusal would be a line: sheds are counted by the service instead.
    if (!shed)
      log::warn(
          kService, retry ? "upstream attempt failed, retrying" : "upstream failed",
          {{"upstream", service},
           {"origin", origin},
           {"error", result.error.empty() ? "answered " + std::to_string(result.response->status)
                                          : result.error}},
          context);
    last = std::move(result);
    if (!retry)
      break;
  }
  if (!attempted) {
    std::chrono::seconds retry_after{1};
    {
      std::lock_guard lock(state->mutex);
      retry_after = set.retry_after(Clock::now());
    }
    errors::raise(all_down(service, retry_after));
  }
  if (last.response)
    co_return std::move(*last.response);  // the upstream's own 502/503/504 passes through
  if (last.timed_out) {
    errors::raise(errors::gateway_timeout("the " + service + " service did not answer in time"));
  }
  errors::raise(errors::bad_gateway("the " + service + " service could not be reached"));
}

}  // namespace ordo::services::gateway
