// Prometheus metrics: request counts and latency histograms per service, route and status, and
// gauges that services register; rendered in the text exposition format at GET /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "platform/http/router.hpp"

namespace ordo::metrics {

class Registry {
 public:
  // Records one answered request. route is the matched pattern when known, else the path class.
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
  mutable std::mutex mutex_;
  std::map<std::string, RequestSeries> requests_;  // key: service|method|status
  std::vector<Gauge> gauges_;
};

// Upper bounds of the latency histogram, in seconds.
const std::vector<double>& latency_buckets();

// Times every request through the chain and records it.
http::Middleware measure(Registry& registry, std::string service);
// GET /metrics on a router.
void add_metrics_route(http::Router& router, const Registry& registry);

}  // namespace ordo::metrics
