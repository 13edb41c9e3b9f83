// Prometheus metrics in the text exposition format (GET /metrics): metric families with labels,
// one HELP and TYPE line each. The service and the route template are labels, never parts of a
// name, so one query covers every service and `POST /orders` can be told from `GET /products`.
//
// Three kinds of series:
// - owned here: counters and histograms a component updates (observe_request, counter(), ...);
// - read at scrape time: a function returning the value, for numbers another object keeps
//   (open connections, a driver's counters, a core::Histogram a relay keeps);
// - refreshed at scrape time: coroutines the /metrics route runs before rendering, for numbers
//   only a query can tell (an outbox's depth).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/core/histogram.hpp"
#include "platform/http/router.hpp"

namespace ordo::metrics {

// Label names and values, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Registry {
 public:
  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Records one answered request. route: the router's template ("/orders/{id}"), or "unmatched".
  // A method that is not a standard one counts as "other": the client picks it, and each new
  // label value would be a new series kept for ever.
  void observe_request(std::string_view service, std::string_view route, std::string_view method,
                       int status, double seconds);

  // Series owned by the registry: the reference stays valid as long as the registry. Asking
  // again with the same name and labels returns the same series.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels);
  core::Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels,
                             const std::vector<double>& bounds = core::latency_buckets());

  // Series read at scrape time; what `read` refers to must outlive the registry's scrapes.
  void gauge(const std::string& name, const std::string& help, const Labels& labels,
             std::function<double()> read);
  void counter_reading(const std::string& name, const std::string& help, const Labels& labels,
                       std::function<double()> read);
  void histogram_reading(const std::string& name, const std::string& help, const Labels& labels,
                         const core::Histogram& histogram);

  // Run by the /metrics route before rendering, one after another; one that throws is skipped
  // (its gauges keep their last values).
  void refresher(std::function<boost::asio::awaitable<void>()> refresh);
  boost::asio::awaitable<void> refresh() const;

  std::string render() const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Series {
    Labels labels;
    std::function<double()> read;            // counters and gauges
    std::unique_ptr<Counter> owned_counter;  // or an owned counter
    std::unique_ptr<core::Histogram> owned_histogram;
    const core::Histogram* histogram = nullptr;  // owned or not
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<std::unique_ptr<Series>> series;
  };
  Family& family(const std::string& name, Type type, const std::string& help);
  Series* find(Family& family, const Labels& labels);

  // The request series: one per service, route, method and status; looked up by views, so that
  // recording a request builds no string.
  struct RequestKey {
    std::string service;
    std::string route;
    std::string method;
    int status;
  };
  struct RequestKeyView {
    std::string_view service;
    std::string_view route;
    std::string_view method;
    int status;
  };
  struct RequestOrder {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::tie(a.service, a.route, a.method, a.status) <
             std::tie(b.service, b.route, b.method, b.status);
    }
  };
  struct RequestSeries {
    std::uint64_t count = 0;
    core::Histogram duration;
  };

  mutable std::mutex mutex_;
  std::map<RequestKey, std::unique_ptr<RequestSeries>, RequestOrder> requests_;
  std::map<std::string, Family> families_;
  std::vector<std::function<boost::asio::awaitable<void>()>> refreshers_;
};

// The label a request method is counted under: itself when standard (RFC 9110, PATCH), else
// "other".
std::string_view method_label(std::string_view method);

// "a\"b" for a label value: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);

// Times every request through the chain and records it under the route the router matched.
http::Middleware measure(Registry& registry, std::string service);
// GET /metrics on a router.
void add_metrics_route(http::Router& router, const Registry& registry);

// process_* series from /proc (CPU seconds, resident memory, open and maximum file descriptors,
// start time) and ordo_build_info.
void add_process_metrics(Registry& registry);

}  // namespace ordo::metrics
