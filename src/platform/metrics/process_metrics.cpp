// process_* series as Prometheus' own clients name them, read from /proc at scrape time, and
// ordo_build_info.
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "platform/metrics/metrics.hpp"

#ifndef ORDO_VERSION
#define ORDO_VERSION "unknown"
#endif

namespace ordo::metrics {
namespace {

// The fields of /proc/self/stat after the command name (which may contain spaces), so that
// fields()[0] is field 3 (state) of proc(5).
std::vector<std::string> stat_fields() {
  std::ifstream file("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos)
    return fields;
  std::istringstream rest(text.substr(close + 1));
  for (std::string field; rest >> field;)
    fields.push_back(field);
  return fields;
}

double stat_field(std::size_t proc5_number) {
  auto fields = stat_fields();
  auto index = proc5_number - 3;
  return index < fields.size() ? std::stod(fields[index]) : 0;
}

double boot_time_seconds() {
  std::ifstream file("/proc/stat");
  for (std::string line; std::getline(file, line);) {
    if (line.rfind("btime ", 0) == 0)
      return std::stod(line.substr(6));
  }
  return 0;
}

double open_fds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++count;
  return count;
}

}  // namespace

void add_process_metrics(Registry& registry) {
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  // Fixed for the life of the process: computed once.
  static const double start_time = boot_time_seconds() + stat_field(22) / ticks;
  registry.counter_reading("process_cpu_seconds_total", "User and system CPU time spent.", {},
                           [] { return (stat_field(14) + stat_field(15)) / ticks; });
  registry.gauge("process_resident_memory_bytes", "Resident memory size.", {},
                 [] { return stat_field(24) * page; });
  registry.gauge("process_virtual_memory_bytes", "Virtual memory size.", {},
                 [] { return stat_field(23); });
  registry.gauge("process_open_fds", "Open file descriptors.", {}, [] { return open_fds(); });
  registry.gauge("process_max_fds", "The limit on open file descriptors.", {}, [] {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return static_cast<double>(limit.rlim_cur);
  });
  registry.gauge("process_start_time_seconds", "Start time since the unix epoch.", {},
                 [] { return start_time; });
  registry.gauge("ordo_build_info", "Always 1; the labels say what was built.",
                 {{"version", ORDO_VERSION}, {"compiler", __VERSION__}}, [] { return 1.0; });
}

}  // namespace ordo::metrics
