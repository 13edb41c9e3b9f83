#include "app/event_loops.hpp"

#include <exception>

#include "platform/log/log.hpp"

namespace ordo::app {

EventLoopThreads::EventLoopThreads(std::string name, std::size_t count) : name_(std::move(name)) {
  for (std::size_t i = 0; i < count; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(boost::asio::make_work_guard(*contexts_.back()));
  }
}

EventLoopThreads::~EventLoopThreads() {
  stop();
  guards_.clear();  // a guard refers to its loop: it goes first
  while (!contexts_.empty())
    contexts_.pop_back();
}

std::vector<boost::asio::any_io_executor> EventLoopThreads::executors() const {
  std::vector<boost::asio::any_io_executor> out;
  for (const auto& context : contexts_)
    out.emplace_back(context->get_executor());
  return out;
}

void EventLoopThreads::start() {
  for (auto& context : contexts_) {
    threads_.emplace_back([this, io = context.get()] {
      // A handler that throws must not take the loop (and every connection on it) down.
      while (!io->stopped()) {
        try {
          io->run();
        } catch (const std::exception& e) {
          log::error(name_, "event loop handler failed", {{"error", e.what()}});
        }
      }
    });
  }
}

void EventLoopThreads::stop() {
  for (auto& context : contexts_)
    context->stop();
  for (auto& thread : threads_) {
    if (thread.joinable())
      thread.join();
  }
  threads_.clear();
}

}  // namespace ordo::app
