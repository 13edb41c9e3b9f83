// Hand-written: prometheus-cpp is not packaged for Debian 12, and the text format is small.
#include "platform/metrics/metrics.hpp"

#include <chrono>
#include <sstream>

namespace ordo::metrics {

const std::vector<double>& latency_buckets() {
  static const std::vector<double> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,    0.25,  0.5,    1,     2.5,  10};
  return bounds;
}

std::string_view method_label(std::string_view method) {
  static constexpr std::string_view kStandard[] = {"GET",    "HEAD",    "POST",  "PUT",    "PATCH",
                                                   "DELETE", "OPTIONS", "TRACE", "CONNECT"};
  for (auto standard : kStandard) {
    if (method == standard)
      return standard;
  }
  return "other";
}

void Registry::observe_request(const std::string& service, const std::string& raw_method,
                               int status, double seconds) {
  auto method = method_label(raw_method);
  std::lock_guard lock(mutex_);
  auto found = requests_.find(SeriesKeyView{service, method, status});
  if (found == requests_.end())
    found =
        requests_.emplace(SeriesKey{service, std::string(method), status}, RequestSeries{}).first;
  auto& series = found->second;
  if (series.buckets.empty())
    series.buckets.assign(latency_buckets().size(), 0);
  ++series.count;
  series.sum_seconds += seconds;
  const auto& bounds = latency_buckets();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (seconds <= bounds[i])
      ++series.buckets[i];
  }
}

void Registry::add_gauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read)});
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out.precision(15);  // counters past a million must not turn into 1.23457e+06
  out << "# HELP ordo_http_requests_total Requests answered, by service, method and status.\n"
         "# TYPE ordo_http_requests_total counter\n";
  auto labels = [](const SeriesKey& key) {
    return "service=\"" + key.service + "\",method=\"" + key.method + "\",status=\"" +
           std::to_string(key.status) + "\"";
  };
  for (const auto& [key, series] : requests_) {
    out << "ordo_http_requests_total{" << labels(key) << "} " << series.count << "\n";
  }
  out << "# HELP ordo_http_request_duration_seconds Time to answer a request.\n"
         "# TYPE ordo_http_request_duration_seconds histogram\n";
  const auto& bounds = latency_buckets();
  for (const auto& [key, series] : requests_) {
    auto l = labels(key);
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      out << "ordo_http_request_duration_seconds_bucket{" << l << ",le=\"" << bounds[i] << "\"} "
          << series.buckets[i] << "\n";
    }
    out << "ordo_http_request_duration_seconds_bucket{" << l << ",le=\"+Inf\"} " << series.count
        << "\n";
    out << "ordo_http_request_duration_seconds_sum{" << l << "} " << series.sum_seconds << "\n";
    out << "ordo_http_request_duration_seconds_count{" << l << "} " << series.count << "\n";
  }
  for (const auto& gauge : gauges_) {
    out << "# HELP " << gauge.name << " " << gauge.help << "\n# TYPE " << gauge.name << " gauge\n"
        << gauge.name << " " << gauge.read() << "\n";
  }
  return out.str();
}

http::Middleware measure(Registry& registry, std::string service) {
  return [&registry, service](http::Request& request,
                              const http::Handler& next) -> boost::asio::awaitable<http::Response> {
    auto started = std::chrono::steady_clock::now();
    http::Response response = co_await next(request);
    registry.observe_request(
        service, request.method, response.status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    co_return response;
  };
}

void add_metrics_route(http::Router& router, const Registry& registry) {
  router.get("/metrics", [&registry](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::Response::text(200, registry.render(), "text/plain; version=0.0.4");
  });
}

}  // namespace ordo::metrics
