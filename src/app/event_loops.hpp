// Event loops of one thread each, beside the process's main io_context: the gateway's.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace ordo::app {

// `count` io_contexts, each run by exactly one thread of its own once started, so that what runs
// on one of them needs no strand. They run until stop(), work or not.
class EventLoopThreads {
 public:
  EventLoopThreads(std::string name, std::size_t count);
  // Stops and joins, then destroys the loops last to first (the first one often hosts what the
  // others' work refers to).
  ~EventLoopThreads();
  EventLoopThreads(const EventLoopThreads&) = delete;
  EventLoopThreads& operator=(const EventLoopThreads&) = delete;

  std::vector<boost::asio::any_io_executor> executors() const;
  void start();
  // Stops every loop and joins its thread; handlers still queued stay queued (destroyed with
  // the loops). Idempotent.
  void stop();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::string name_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace ordo::app
