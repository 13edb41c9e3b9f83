#include "event_stream_reader.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

#include "exchange_recorder.hpp"

namespace ordo::e2e {
namespace {

using Clock = std::chrono::steady_clock;

bool same_name(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

EventStreamReader::EventStreamReader(const std::string& origin, const std::string& target,
                                     std::vector<std::pair<std::string, std::string>> headers)
    : origin_(origin), target_(target), request_head_(headers) {
  request_head_.emplace_back("Accept", "text/event-stream");
  auto colon = origin.rfind(':');
  int port = std::stoi(origin.substr(colon + 1));
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("cannot connect to " + origin);
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  request += "Accept: text/event-stream\r\n";
  for (const auto& [name, value] : headers)
    request += name + ": " + value + "\r\n";
  request += "\r\n";
  if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    throw std::runtime_error("cannot send the request");
  auto deadline = Clock::now() + std::chrono::seconds(20);
  std::size_t end = std::string::npos;
  while ((end = raw_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline))
      return;  // status() stays 0
  }
  std::string head = raw_.substr(0, end);
  raw_.erase(0, end + 4);
  std::size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  status_ = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string field =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    auto separator = field.find(':');
    if (separator == std::string::npos)
      continue;
    std::string value = field.substr(separator + 1);
    value.erase(0, value.find_first_not_of(' '));
    head_.emplace_back(field.substr(0, separator), value);
  }
  chunked_ = header("Transfer-Encoding").find("chunked") != std::string::npos;
  // A stream's body never ends while the test reads it: its head is what gets recorded.
  if (header("Content-Type").starts_with("text/event-stream"))
    record(std::nullopt);
  else
    record_pending_ = true;
}

EventStreamReader::~EventStreamReader() {
  if (record_pending_)
    record(std::nullopt);
  close();
}

void EventStreamReader::record(std::optional<std::string> body) {
  record_pending_ = false;
  record_exchange({origin_, "GET", target_, request_head_, status_, head_, std::move(body)});
}

void EventStreamReader::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

std::string EventStreamReader::header(const std::string& name) const {
  for (const auto& [field, value] : head_) {
    if (same_name(field, name))
      return value;
  }
  return {};
}

bool EventStreamReader::fill(Clock::time_point deadline) {
  if (fd_ < 0 || closed_)
    return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0)
    return false;
  pollfd waiting{fd_, POLLIN, 0};
  if (::poll(&waiting, 1, static_cast<int>(left.count())) <= 0)
    return false;
  char buffer[4096];
  auto n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  raw_.append(buffer, static_cast<std::size_t>(n));
  return true;
}

void EventStreamReader::decode() {
  if (!chunked_) {
    text_ += raw_;
    raw_.clear();
    return;
  }
  while (!ended_) {
    auto size_end = raw_.find("\r\n");
    if (size_end == std::string::npos)
      return;
    std::size_t size = std::stoul(raw_.substr(0, size_end), nullptr, 16);
    if (size == 0) {
      ended_ = true;
      raw_.clear();
      return;
    }
    if (raw_.size() < size_end + 2 + size + 2)
      return;
    text_ += raw_.substr(size_end + 2, size);
    raw_.erase(0, size_end + 2 + size + 2);
  }
}

std::optional<std::string> EventStreamReader::line() {
  decode();
  auto end = text_.find('\n');
  if (end == std::string::npos)
    return std::nullopt;
  std::string out = text_.substr(0, end);
  text_.erase(0, end + 1);
  if (!out.empty() && out.back() == '\r')
    out.pop_back();
  return out;
}

std::optional<SseEvent> EventStreamReader::next(std::chrono::milliseconds wait) {
  auto deadline = Clock::now() + wait;
  for (;;) {
    while (auto text = line()) {
      if (text->empty()) {
        if (pending_has_data_) {
          SseEvent out = std::move(pending_);
          pending_ = {};
          pending_has_data_ = false;
          return out;
        }
        pending_ = {};
        continue;
      }
      if (text->front() == ':') {
        ++comments_;
        continue;
      }
      auto colon = text->find(':');
      std::string name = text->substr(0, colon);
      std::string value = colon == std::string::npos ? std::string() : text->substr(colon + 1);
      if (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
      if (name == "id") {
        pending_.id = value;
      } else if (name == "event") {
        pending_.event = value;
      } else if (name == "data") {
        if (pending_has_data_)
          pending_.data += "\n";
        pending_.data += value;
        pending_has_data_ = true;
      }
    }
    if (ended_ || !fill(deadline))
      return std::nullopt;
  }
}

bool EventStreamReader::wait_for_close(std::chrono::milliseconds wait) {
  auto deadline = Clock::now() + wait;
  while (!closed_) {
    if (!fill(deadline) && !closed_)
      return false;
  }
  decode();
  return true;
}

std::string EventStreamReader::body() {
  auto length_text = header("Content-Length");
  auto deadline = Clock::now() + std::chrono::seconds(20);
  if (!length_text.empty()) {
    std::size_t length = std::stoul(length_text);
    while (raw_.size() < length && fill(deadline)) {
    }
    auto whole = raw_.substr(0, length);
    if (record_pending_)
      record(whole);
    return whole;
  }
  while (fill(deadline)) {
  }
  decode();
  if (record_pending_)
    record(text_);
  return text_;
}

}  // namespace ordo::e2e
