// A stand-in for a Twilio-compatible SMS provider (or a Web Push service) on loopback, for the
// SMS and push channels' tests: a blocking HTTP/1.1 server on its own thread that records every
// request (head and body) and answers each with the next scripted status (201 once the script is
// used up), closing the connection after each answer.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ordo::testing {

class SmsReceiver {
 public:
  struct Received {
    std::string head;  // request line and header fields
    std::string body;
  };

  explicit SmsReceiver(std::deque<int> statuses = {}) : statuses_(std::move(statuses)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("the SMS receiver cannot listen");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~SmsReceiver() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  SmsReceiver(const SmsReceiver&) = delete;
  SmsReceiver& operator=(const SmsReceiver&) = delete;

  // The base URL to configure as notifications.sms_url.
  std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/2010-04-01";
  }

  // Any path on this receiver, e.g. as a Web Push endpoint.
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // A header field's value in a received head ("" when absent); names compare case-insensitively.
  static std::string header(const std::string& head, std::string_view name) {
    std::size_t at = 0;
    while ((at = head.find("\r\n", at)) != std::string::npos) {
      at += 2;
      auto end = head.find("\r\n", at);
      auto line = std::string_view(head).substr(at, end - at);
      auto colon = line.find(':');
      if (colon == name.size() &&
          std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
          value.remove_prefix(1);
        return std::string(value);
      }
    }
    return {};
  }

  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

  // Waits until at least `count` requests arrived; false on timeout.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (received().size() >= count)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return received().size() >= count;
  }

 private:
  static std::string reason(int status) {
    switch (status) {
      case 201:
        return "Created";
      case 400:
        return "Bad Request";
      case 410:
        return "Gone";
      case 429:
        return "Too Many Requests";
      case 500:
        return "Internal Server Error";
      default:
        return "Status";
    }
  }

  void serve() {
    while (true) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0)
        return;
      Received request;
      if (read_request(client, request)) {
        int status = 201;
        {
          std::lock_guard lock(mutex_);
          received_.push_back(request);
          if (!statuses_.empty()) {
            status = statuses_.front();
            statuses_.pop_front();
          }
        }
        std::string body =
            status == 201 ? R"({"sid":"SM1","status":"queued"})"
                          : R"({"code":21211,"message":"The 'To' number is not valid.","status":)" +
                                std::to_string(status) + "}";
        std::string answer =
            "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n" + body;
        auto written = ::write(client, answer.data(), answer.size());
        (void)written;
      }
      ::close(client);
    }
  }

  static bool read_request(int client, Received& request) {
    std::string pending;
    char buffer[4096];
    while (true) {
      auto end = pending.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        auto head = pending.substr(0, end + 4);
        for (const char* name : {"Content-Length: ", "content-length: "}) {
          if (auto at = head.find(name); at != std::string::npos)
            length = std::stoul(head.substr(at + 16));
        }
        if (pending.size() >= end + 4 + length) {
          request.head = head;
          request.body = pending.substr(end + 4, length);
          return true;
        }
      }
      auto n = ::read(client, buffer, sizeof buffer);
      if (n <= 0)
        return false;
      pending.append(buffer, static_cast<std::size_t>(n));
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::deque<int> statuses_;
  std::vector<Received> received_;
};

}  // namespace ordo::testing
