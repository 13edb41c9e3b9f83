// A blocking Server-Sent Events reader for the e2e tests: one GET on a socket of its own, the
// answer's head, then events one at a time as they arrive (the harness's client reads whole
// bodies, which a stream never finishes). Chunked or close-delimited bodies; comments counted.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ordo::e2e {

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;  // data lines joined with "\n"
};

class EventStreamReader {
 public:
  // origin: "http://127.0.0.1:port". Connects, sends the request and reads the head (or fails
  // the test through status() == 0 when nothing came).
  EventStreamReader(const std::string& origin, const std::string& target,
                    std::vector<std::pair<std::string, std::string>> headers = {});
  ~EventStreamReader();
  EventStreamReader(const EventStreamReader&) = delete;
  EventStreamReader& operator=(const EventStreamReader&) = delete;

  int status() const { return status_; }
  // A field of the answer's head ("" when absent); names compare case-insensitively.
  std::string header(const std::string& name) const;
  // The whole body of an answer that is not a stream (read to its Content-Length or the close).
  std::string body();

  // The next event; nullopt when the stream ended (ended() then says whether cleanly: the last
  // chunk came) or nothing came within `wait`.
  std::optional<SseEvent> next(std::chrono::milliseconds wait = std::chrono::seconds(20));
  // Comment lines (": heartbeat") seen so far.
  int comments() const { return comments_; }
  bool ended() const { return ended_; }
  bool closed() const { return closed_; }
  // Reads until the server closes (true) or `wait` passes (false), dropping events.
  bool wait_for_close(std::chrono::milliseconds wait = std::chrono::seconds(20));
  void close();

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  // more raw bytes; false: none
  void decode();                                              // raw -> body (chunked or not)
  std::optional<std::string> line();                          // the next body line, if whole

  int fd_ = -1;
  int status_ = 0;
  std::vector<std::pair<std::string, std::string>> head_;
  bool chunked_ = false;
  std::string raw_;   // received, not yet decoded
  std::string text_;  // decoded body, not yet parsed
  SseEvent pending_;
  bool pending_has_data_ = false;
  int comments_ = 0;
  bool ended_ = false;   // the last chunk arrived
  bool closed_ = false;  // the server closed the connection
  // For the recording of exchanges (exchange_recorder.hpp): what was asked, and whether the
  // answer still has to be recorded (a plain answer is, once its body is read or at the end).
  std::string origin_;
  std::string target_;
  std::vector<std::pair<std::string, std::string>> request_head_;
  bool record_pending_ = false;
  void record(std::optional<std::string> body);
};

}  // namespace ordo::e2e
