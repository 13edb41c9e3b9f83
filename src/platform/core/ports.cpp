#include "platform/core/ports.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

namespace ordo::core {

std::uint16_t pick_free_port(std::uint16_t low, std::uint16_t high) {
  static std::mutex mutex;
  static std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  // Ports handed out earlier in this process: nothing binds them between two picks, so without
  // this one system could get the same port for two listeners (and answer on the wrong one).
  static std::set<std::uint16_t> handed_out;
  std::uniform_int_distribution<int> pick(low, high);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::uint16_t port = 0;
    {
      std::lock_guard lock(mutex);
      if (handed_out.size() > static_cast<std::size_t>(high - low) / 2)
        handed_out.clear();
      port = static_cast<std::uint16_t>(pick(random));
      if (handed_out.contains(port))
        continue;
    }
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
      throw std::runtime_error("socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    bool bindable = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    if (bindable) {
      std::lock_guard lock(mutex);
      handed_out.insert(port);
      return port;
    }
  }
  throw std::runtime_error("no free port between " + std::to_string(low) + " and " +
                           std::to_string(high));
}

}  // namespace ordo::core
