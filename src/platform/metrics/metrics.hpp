// Prometheus metrics: request counts and latency histograms per service, route and status, and
// gauges that services register; rendered in the text exposition format at GET /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "platform/http/router.hpp"

namespace ordo::metrics {

class Registry {
 public:
  // Records one answered request. A method that is not a standard one counts as "other": the
  // client picks it, and each new label value would be a new series kept for ever.
  void observe_request(const std::string& service, const std::string& method, int status,
                       double seconds);
  // A value read at scrape time (open connections, outbox backlog ...).
  void add_gauge(std::string name, std::string help, std::function<double()> read);
  std::string render() const;

 private:
  struct RequestSeries {
    std::uint64_t count = 0;
    double sum_seconds = 0;
    std::vector<std::uint64_t> buckets;  // cumulative counts per upper bound
  };
  struct Gauge {
    std::string name;
    std::string help;
    std::function<double()> read;
  };
  // One series per service, method and status; looked up by views, so that recording a request
  // builds no string (it used to build "service|method|status" for every request).
  struct SeriesKey {
    std::string service;
    std::string method;
    int status;
  };
  struct SeriesKeyView {
    std::string_view service;
    std::string_view method;
    int status;
  };
  struct SeriesOrder {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::tie(a.service, a.method, a.status) < std::tie(b.service, b.method, b.status);
    }
  };
  mutable std::mutex mutex_;
  std::map<SeriesKey, RequestSeries, SeriesOrder> requests_;
  std::vector<Gauge> gauges_;
};

// The label a request method is counted under: itself when standard (RFC 9110, PATCH), else
// "other".
std::string_view method_label(std::string_view method);

// Upper bounds of the latency histogram, in seconds.
const std::vector<double>& latency_buckets();

// Times every request through the chain and records it.
http::Middleware measure(Registry& registry, std::string service);
// GET /metrics on a router.
void add_metrics_route(http::Router& router, const Registry& registry);

}  // namespace ordo::metrics
