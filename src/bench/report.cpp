// The bench's output: a table for people, one JSON object per scenario for machines.
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <vector>

#include <boost/json.hpp>

#include "bench/bench.hpp"

namespace ordo::bench {
namespace {

namespace json = boost::json;

double rounded(double value, double unit = 1000.0) {
  return std::round(value * unit) / unit;
}

json::value optional_number(const std::optional<double>& value) {
  return value ? json::value(rounded(*value)) : json::value(nullptr);
}

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), pattern, value);
  return buffer;
}

std::string errors_text(const ScenarioResult& result) {
  std::string text;
  for (const auto& [kind, count] : result.errors) {
    if (!text.empty())
      text += " ";
    text += kind + "=" + std::to_string(count);
  }
  return text;
}

// Why each setting the bench changes is changed, printed with it.
std::string why(const std::string& key) {
  if (key.rfind("rate_limit.", 0) == 0 || key == "auth.register_max_per_address")
    return "raised: every bench user comes from one address; the limiter still runs";
  if (key == "log.access")
    return "access logging is a cost the bench turns off";
  if (key == "sqlite.synchronous")
    return "durability of a 2xx: NORMAL survives kill -9, FULL survives power loss";
  return "";
}

// Plain decimals ("21704.4"), not Boost.JSON's exponent form ("2.17044E4"): the lines are read by
// people and by shell tools as well.
void write_json(const json::value& value, std::string& out) {
  switch (value.kind()) {
    case json::kind::double_: {
      double number = value.get_double();
      if (!std::isfinite(number)) {
        out += "null";
        return;
      }
      char buffer[64];
      std::snprintf(buffer, sizeof(buffer), "%.3f", number);
      std::string text = buffer;
      text.erase(text.find_last_not_of('0') + 1);
      if (text.back() == '.')
        text.pop_back();
      out += text == "-0" ? "0" : text;
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.get_object()) {
        if (!first)
          out += ',';
        first = false;
        out += json::serialize(json::string(key));
        out += ':';
        write_json(member, out);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value.get_array()) {
        if (!first)
          out += ',';
        first = false;
        write_json(element, out);
      }
      out += ']';
      return;
    }
    default:
      out += json::serialize(value);
  }
}

}  // namespace

std::string to_json_line(const ScenarioResult& result) {
  json::object errors;
  for (const auto& [kind, count] : result.errors)
    errors[kind] = count;
  json::array processes;
  for (const auto& process : result.processes) {
    json::object entry{{"name", process.name},
                       {"cpu_seconds", rounded(process.cpu_seconds)},
                       {"peak_rss_mib", rounded(process.peak_rss_mib, 10)}};
    if (process.idle_rss_mib)
      entry["idle_rss_mib"] = rounded(*process.idle_rss_mib, 10);
    if (process.start_to_ready_ms)
      entry["start_to_ready_ms"] = rounded(*process.start_to_ready_ms, 10);
    processes.push_back(std::move(entry));
  }
  json::object settings;
  for (const auto& [key, value] : result.settings)
    settings[key] = value;
  json::object line{{"scenario", result.scenario},
                    {"mode", result.mode},
                    {"connections", result.connections},
                    {"seconds", rounded(result.seconds)},
                    {"throughput_per_s", rounded(result.throughput_per_s, 10)},
                    {"completed_per_s", rounded(result.completed_per_s, 10)},
                    {"p50_ms", rounded(result.p50_ms)},
                    {"p90_ms", rounded(result.p90_ms)},
                    {"p99_ms", rounded(result.p99_ms)},
                    {"p999_ms", rounded(result.p999_ms)},
                    {"final_p50_ms", rounded(result.final_p50_ms)},
                    {"final_p99_ms", rounded(result.final_p99_ms)},
                    {"transactions_per_order", optional_number(result.transactions_per_order)},
                    {"statements_per_order", optional_number(result.statements_per_order)},
                    {"round_trips_per_order", optional_number(result.round_trips_per_order)},
                    {"db_cpu_ms_per_order", optional_number(result.db_cpu_ms_per_order)},
                    {"errors", std::move(errors)},
                    {"error_count", result.error_count()},
                    {"ceiling_name", result.ceiling_name},
                    {"ceiling_per_s", optional_number(result.ceiling_per_s)},
                    {"ratio", optional_number(result.ratio)},
                    {"processes", std::move(processes)},
                    {"settings", std::move(settings)},
                    {"database", result.database},
                    {"topology", result.topology}};
  std::string out;
  write_json(line, out);
  return out;
}

std::string to_table(const std::vector<ScenarioResult>& results) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof(line),
                "%-13s %-11s %5s %5s %9s %9s %7s %7s %7s %7s %8s %8s %7s %-18s %6s\n", "scenario",
                "mode", "conns", "secs", "thru/s", "done/s", "p50", "p90", "p99", "p99.9",
                "fin p50", "fin p99", "errors", "ceiling", "ratio");
  out << line;
  for (const auto& r : results) {
    auto done = r.completed_per_s > 0 ? format("%9.1f", r.completed_per_s) : std::string(9, ' ');
    auto fin50 = r.final_p50_ms > 0 ? format("%8.1f", r.final_p50_ms) : std::string(8, ' ');
    auto fin99 = r.final_p99_ms > 0 ? format("%8.1f", r.final_p99_ms) : std::string(8, ' ');
    std::string ceiling = r.ceiling_per_s
                              ? r.ceiling_name + " " + format("%.1f/s", *r.ceiling_per_s)
                              : std::string("-");
    std::string ratio = r.ratio ? format("%5.1f%%", *r.ratio * 100) : std::string("-");
    std::snprintf(line, sizeof(line),
                  "%-13s %-11s %5d %5.1f %9.1f %s %7.2f %7.2f %7.2f %7.2f %s %s %7llu %-18s %6s\n",
                  r.scenario.c_str(), r.mode.c_str(), r.connections, r.seconds, r.throughput_per_s,
                  done.c_str(), r.p50_ms, r.p90_ms, r.p99_ms, r.p999_ms, fin50.c_str(),
                  fin99.c_str(), static_cast<unsigned long long>(r.error_count()), ceiling.c_str(),
                  ratio.c_str());
    out << line;
    if (!r.processes.empty()) {
      out << "    cpu s / peak RSS:";
      for (const auto& p : r.processes)
        out << "  " << p.name << " " << format("%.2f s", p.cpu_seconds) << " / "
            << format("%.1f MiB", p.peak_rss_mib);
      out << "\n";
    }
    if (r.transactions_per_order || r.db_cpu_ms_per_order) {
      std::vector<std::string> parts;
      if (r.transactions_per_order) {
        parts.push_back(format("%.2f transactions", *r.transactions_per_order));
        parts.push_back(format("%.2f statements", r.statements_per_order.value_or(0)));
        parts.push_back(format("%.2f round trips", r.round_trips_per_order.value_or(0)));
      }
      if (r.db_cpu_ms_per_order)
        parts.push_back(format("%.3f ms PostgreSQL CPU", *r.db_cpu_ms_per_order));
      out << "    per order:";
      for (std::size_t i = 0; i < parts.size(); ++i)
        out << (i == 0 ? " " : ", ") << parts[i];
      out << "\n";
    }
    if (r.error_count() > 0)
      out << "    errors: " << errors_text(r) << "\n";
  }
  out << "latencies in ms; thru/s: accepted (2xx) per second; done/s: orders final per second\n";
  std::set<std::string> described;
  for (const auto& r : results) {
    if (!r.topology.empty() && described.insert("system " + r.topology).second)
      out << "system under test: " << r.topology << "\n";
  }
  for (const auto& r : results) {
    if (!r.database.empty() && described.insert(r.scenario + " " + r.database).second)
      out << "database of " << r.scenario << ": " << r.database << "\n";
  }
  std::set<std::string> started;
  for (const auto& r : results) {
    for (const auto& p : r.processes) {
      if (!p.start_to_ready_ms || !started.insert(p.name).second)
        continue;
      out << "start to ready: " << p.name << " " << format("%.0f ms", *p.start_to_ready_ms);
      if (p.idle_rss_mib)
        out << ", idle RSS " << format("%.1f MiB", *p.idle_rss_mib);
      out << "\n";
    }
  }
  std::set<std::string> shown;
  for (const auto& r : results) {
    for (const auto& [key, value] : r.settings) {
      // Upstreams only say where the gateway-only ceiling points: the JSON keeps them.
      if (key.ends_with(".upstreams") || !shown.insert(key + "=" + value).second)
        continue;
      if (shown.size() == 1)
        out << "settings of the system under test:\n";
      auto reason = why(key);
      out << "  " << key << "=" << value << (reason.empty() ? "" : "  (" + reason + ")") << "\n";
    }
  }
  return out.str();
}

}  // namespace ordo::bench
