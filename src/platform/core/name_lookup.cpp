// Each lookup on a detached thread, its answer handed back through state shared with the waiting
// coroutine: the coroutine may have given up (timeout) or its event loop may be gone by the time
// getaddrinfo returns, and then the answer is dropped without touching either.
#include "platform/core/name_lookup.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ordo::core {
namespace {
namespace asio = boost::asio;

// Lookups whose thread has not returned yet. A DNS server that drops every query leaves each
// thread in getaddrinfo for its full retry schedule: past this many, new lookups fail at once
// instead of piling up threads.
constexpr int kMaxStuckLookups = 64;
std::atomic<int> lookups_running{0};

struct Pending {
  Pending(asio::any_io_executor executor_in, asio::steady_timer* timer_in)
      : executor(std::move(executor_in)), timer(timer_in) {}
  std::mutex mutex;
  asio::any_io_executor executor;
  asio::steady_timer* timer;  // the waiter's, null once it stopped waiting
  bool done = false;
  std::vector<std::string> addresses;
  std::string error;
};

// Detaches the waiter from the shared state however its frame ends (a return, an exception, or
// destruction with its event loop), so the lookup thread never touches a dead timer or loop.
struct StopWaiting {
  std::shared_ptr<Pending> pending;
  ~StopWaiting() {
    std::lock_guard lock(pending->mutex);
    pending->timer = nullptr;
  }
};

void run_lookup(std::shared_ptr<Pending> pending, std::string name, NameLookup lookup) {
  std::vector<std::string> addresses;
  std::string error;
  try {
    addresses = lookup ? lookup(name) : system_lookup(name);
  } catch (const std::exception& e) {
    error = e.what();
  }
  {
    std::lock_guard lock(pending->mutex);
    pending->done = true;
    pending->addresses = std::move(addresses);
    pending->error = std::move(error);
    if (pending->timer) {
      // Wakes the waiter on its own loop; the check there sees whether it still waits.
      asio::post(pending->executor, [pending] {
        std::lock_guard inner(pending->mutex);
        if (pending->timer) {
          pending->timer->cancel();
        }
      });
    }
  }
  --lookups_running;
}
}  // namespace

std::vector<std::string> system_lookup(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // No AI_ADDRCONFIG: it hides 127.0.0.1 from a machine whose only IPv4 address is loopback,
  // such as a container's network namespace.
  addrinfo* found = nullptr;
  int status = ::getaddrinfo(name.c_str(), nullptr, &hints, &found);
  if (status == EAI_NONAME || status == EAI_NODATA) {
    return {};
  }
  if (status != 0) {
    throw std::runtime_error(::gai_strerror(status));
  }
  std::vector<std::string> addresses;
  for (addrinfo* entry = found; entry; entry = entry->ai_next) {
    std::string address;
    if (entry->ai_family == AF_INET) {
      auto* in = reinterpret_cast<const sockaddr_in*>(entry->ai_addr);
      asio::ip::address_v4::bytes_type bytes;
      std::copy_n(reinterpret_cast<const unsigned char*>(&in->sin_addr), 4, bytes.begin());
      address = asio::ip::address_v4(bytes).to_string();
    } else if (entry->ai_family == AF_INET6) {
      auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ai_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::copy_n(reinterpret_cast<const unsigned char*>(&in6->sin6_addr), 16, bytes.begin());
      address = asio::ip::address_v6(bytes, in6->sin6_scope_id).to_string();
    } else {
      continue;
    }
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
      addresses.push_back(std::move(address));
    }
  }
  ::freeaddrinfo(found);
  return addresses;
}

NameLookup hosts_file_lookup(std::string path) {
  return [path = std::move(path)](const std::string& name) {
    std::ifstream file(path);
    std::vector<std::string> addresses;
    for (std::string line; std::getline(file, line);) {
      line = line.substr(0, line.find('#'));
      std::istringstream fields(line);
      std::string address;
      if (!(fields >> address) || !is_numeric_address(address))
        continue;
      for (std::string alias; fields >> alias;) {
        if (alias == name &&
            std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
          addresses.push_back(address);
        }
      }
    }
    return addresses.empty() ? system_lookup(name) : addresses;
  };
}

bool is_numeric_address(std::string_view host) {
  boost::system::error_code not_numeric;
  asio::ip::make_address(std::string(host), not_numeric);
  return !not_numeric;
}

asio::awaitable<std::vector<std::string>> resolve_name(std::string name,
                                                       std::chrono::milliseconds timeout,
                                                       NameLookup lookup) {
  if (is_numeric_address(name)) {
    co_return std::vector<std::string>{name};
  }
  if (++lookups_running > kMaxStuckLookups) {
    --lookups_running;
    throw LookupError("cannot resolve \"" + name + "\": too many name lookups still running",
                      false);
  }
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  timer.expires_after(timeout);
  StopWaiting waiting{std::make_shared<Pending>(executor, &timer)};
  try {
    std::thread(run_lookup, waiting.pending, name, std::move(lookup)).detach();
  } catch (const std::system_error& e) {
    --lookups_running;
    throw LookupError("cannot resolve \"" + name + "\": " + e.what(), false);
  }
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  std::lock_guard lock(waiting.pending->mutex);
  waiting.pending->timer = nullptr;
  if (!waiting.pending->done) {
    throw LookupError("no answer in time resolving \"" + name + "\"", true);
  }
  if (!waiting.pending->error.empty()) {
    throw LookupError("cannot resolve \"" + name + "\": " + waiting.pending->error, false);
  }
  if (waiting.pending->addresses.empty()) {
    throw LookupError("cannot resolve \"" + name + "\": no address", false);
  }
  co_return std::move(waiting.pending->addresses);
}

}  // namespace ordo::core
