// Hand-written: prometheus-cpp is not packaged for Debian 12, and the text format is small.
#include "platform/metrics/metrics.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <sstream>

#include "platform/log/log.hpp"

namespace ordo::metrics {
namespace {

std::string_view type_name(int type) {
  switch (type) {
    case 0:
      return "counter";
    case 1:
      return "gauge";
    default:
      return "histogram";
  }
}

// Integers as integers (counters past a million must not turn into 1.23457e+06); other values in
// the shortest form that reads back the same.
std::string format_number(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(value));
    return std::string(buffer, end);
  }
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

void write_labels(std::ostringstream& out, const Labels& labels, std::string_view le = {}) {
  if (labels.empty() && le.empty())
    return;
  out << '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    out << (first ? "" : ",") << name << "=\"" << escape_label_value(value) << '"';
    first = false;
  }
  if (!le.empty())
    out << (first ? "" : ",") << "le=\"" << le << '"';
  out << '}';
}

void write_histogram(std::ostringstream& out, const std::string& name, const Labels& labels,
                     const core::Histogram& histogram) {
  auto snapshot = histogram.snapshot();
  const auto& bounds = histogram.bounds();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    out << name << "_bucket";
    write_labels(out, labels, format_number(bounds[i]));
    out << ' ' << snapshot.cumulative[i] << '\n';
  }
  out << name << "_bucket";
  write_labels(out, labels, "+Inf");
  out << ' ' << snapshot.count << '\n';
  out << name << "_sum";
  write_labels(out, labels);
  out << ' ' << format_number(snapshot.sum) << '\n';
  out << name << "_count";
  write_labels(out, labels);
  out << ' ' << snapshot.count << '\n';
}

}  // namespace

std::string_view method_label(std::string_view method) {
  static constexpr std::string_view kStandard[] = {"GET",    "HEAD",    "POST",  "PUT",    "PATCH",
                                                   "DELETE", "OPTIONS", "TRACE", "CONNECT"};
  for (auto standard : kStandard) {
    if (method == standard)
      return standard;
  }
  return "other";
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

Registry::Registry() = default;

void Registry::observe_request(std::string_view service, std::string_view route,
                               std::string_view raw_method, int status, double seconds) {
  auto method = method_label(raw_method);
  core::Histogram* duration = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto found = requests_.find(RequestKeyView{service, route, method, status});
    if (found == requests_.end()) {
      found = requests_
                  .emplace(RequestKey{std::string(service), std::string(route), std::string(method),
                                      status},
                           std::make_unique<RequestSeries>())
                  .first;
    }
    duration = &found->second->duration;
  }
  duration->observe(seconds);  // series are never removed: the pointer stays valid
}

Registry::Family& Registry::family(const std::string& name, Type type, const std::string& help) {
  auto [it, inserted] = families_.try_emplace(name, Family{type, help, {}});
  if (!inserted && it->second.type != type)
    throw std::logic_error("metric " + name + " registered with two types");
  return it->second;
}

Registry::Series* Registry::find(Family& family, const Labels& labels) {
  for (auto& series : family.series) {
    if (series->labels == labels)
      return series.get();
  }
  return nullptr;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& f = family(name, Type::counter, help);
  if (auto* existing = find(f, labels); existing && existing->owned_counter)
    return *existing->owned_counter;
  auto series = std::make_unique<Series>();
  series->labels = labels;
  series->owned_counter = std::make_unique<Counter>();
  auto* counter = series->owned_counter.get();
  series->read = [counter] { return static_cast<double>(counter->value()); };
  f.series.push_back(std::move(series));
  return *counter;
}

core::Histogram& Registry::histogram(const std::string& name, const std::string& help,
                                     const Labels& labels, const std::vector<double>& bounds) {
  std::lock_guard lock(mutex_);
  auto& f = family(name, Type::histogram, help);
  if (auto* existing = find(f, labels); existing && existing->owned_histogram)
    return *existing->owned_histogram;
  auto series = std::make_unique<Series>();
  series->labels = labels;
  series->owned_histogram = std::make_unique<core::Histogram>(bounds);
  series->histogram = series->owned_histogram.get();
  auto& histogram = *series->owned_histogram;
  f.series.push_back(std::move(series));
  return histogram;
}

void Registry::gauge(const std::string& name, const std::string& help, const Labels& labels,
                     std::function<double()> read) {
  std::lock_guard lock(mutex_);
  auto series = std::make_unique<Series>();
  series->labels = labels;
  series->read = std::move(read);
  family(name, Type::gauge, help).series.push_back(std::move(series));
}

void Registry::counter_reading(const std::string& name, const std::string& help,
                               const Labels& labels, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  auto series = std::make_unique<Series>();
  series->labels = labels;
  series->read = std::move(read);
  family(name, Type::counter, help).series.push_back(std::move(series));
}

void Registry::histogram_reading(const std::string& name, const std::string& help,
                                 const Labels& labels, const core::Histogram& histogram) {
  std::lock_guard lock(mutex_);
  auto series = std::make_unique<Series>();
  series->labels = labels;
  series->histogram = &histogram;
  family(name, Type::histogram, help).series.push_back(std::move(series));
}

void Registry::refresher(std::function<boost::asio::awaitable<void>()> refresh) {
  std::lock_guard lock(mutex_);
  refreshers_.push_back(std::move(refresh));
}

boost::asio::awaitable<void> Registry::refresh() const {
  std::vector<std::function<boost::asio::awaitable<void>()>> refreshers;
  {
    std::lock_guard lock(mutex_);
    refreshers = refreshers_;
  }
  for (const auto& refresh : refreshers) {
    bool failed = false;
    std::string why;
    try {
      co_await refresh();
    } catch (const std::exception& e) {
      failed = true;
      why = e.what();
    }
    if (failed)
      log::warn("metrics", "a metrics refresh failed; its gauges keep their last values",
                {{"error", why}});
  }
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP ordo_http_requests_total Requests answered, by service, route template, method "
         "and status.\n"
         "# TYPE ordo_http_requests_total counter\n";
  auto labels_of = [](const RequestKey& key) {
    return Labels{{"service", key.service},
                  {"route", key.route},
                  {"method", key.method},
                  {"status", std::to_string(key.status)}};
  };
  for (const auto& [key, series] : requests_) {
    out << "ordo_http_requests_total";
    write_labels(out, labels_of(key));
    out << ' ' << series->duration.snapshot().count << '\n';
  }
  out << "# HELP ordo_http_request_duration_seconds Time to answer a request, by service, route "
         "template, method and status.\n"
         "# TYPE ordo_http_request_duration_seconds histogram\n";
  for (const auto& [key, series] : requests_)
    write_histogram(out, "ordo_http_request_duration_seconds", labels_of(key), series->duration);

  for (const auto& [name, f] : families_) {
    out << "# HELP " << name << ' ' << f.help << "\n# TYPE " << name << ' '
        << type_name(static_cast<int>(f.type)) << '\n';
    for (const auto& series : f.series) {
      if (f.type == Type::histogram) {
        write_histogram(out, name, series->labels, *series->histogram);
        continue;
      }
      out << name;
      write_labels(out, series->labels);
      out << ' ' << format_number(series->read()) << '\n';
    }
  }
  return out.str();
}

http::Middleware measure(Registry& registry, std::string service) {
  return [&registry, service](http::Request& request,
                              const http::Handler& next) -> boost::asio::awaitable<http::Response> {
    auto started = std::chrono::steady_clock::now();
    http::Response response = co_await next(request);
    registry.observe_request(
        service, request.route.empty() ? std::string_view("unmatched") : request.route,
        request.method, response.status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    co_return response;
  };
}

void add_metrics_route(http::Router& router, const Registry& registry) {
  router.get("/metrics", [&registry](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_await registry.refresh();
    co_return http::Response::text(200, registry.render(), "text/plain; version=0.0.4");
  });
}

}  // namespace ordo::metrics
