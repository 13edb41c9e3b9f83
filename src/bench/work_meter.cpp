#include "bench/work_meter.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "bench/postgres_admin.hpp"
#include "bench/sync.hpp"
#include "bench/system.hpp"
#include "platform/http/client.hpp"

namespace ordo::bench {
namespace {

// /proc/PID/stat: the fields after the command name (which may hold spaces), 1-based as in
// proc(5) counting the pid as 1 and the command as 2.
std::optional<std::vector<std::string>> stat_fields(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size())
    return std::nullopt;  // gone, or not readable
  std::istringstream rest(text.substr(close + 2));
  std::vector<std::string> fields(2);  // pid and comm, skipped: field N is at index N - 1
  std::string field;
  while (rest >> field)
    fields.push_back(field);
  return fields;
}

double ticks_to_seconds(const std::string& ticks) {
  return std::stod(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

SqlWork sql_work_of_metrics(const std::string& metrics_text) {
  SqlWork work;
  std::istringstream lines(metrics_text);
  std::string line;
  // Every series of the family, whatever its labels (one per service).
  auto add_if = [&](std::string_view family, double& sum) {
    auto space = line.rfind(' ');
    auto name_end = line.find_first_of("{ ");
    if (space == std::string::npos || std::string_view(line).substr(0, name_end) != family)
      return;
    sum += std::stod(line.substr(space + 1));
  };
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    add_if("ordo_db_transactions_total", work.transactions);
    add_if("ordo_db_statements_total", work.statements);
    add_if("ordo_db_round_trips_total", work.round_trips);
  }
  return work;
}

std::optional<double> postgres_cpu_seconds(int postmaster_pid) {
  auto own = stat_fields(postmaster_pid);
  // utime, stime, cutime, cstime are fields 14-17 (index 13-16).
  if (!own || own->size() < 17)
    return std::nullopt;
  double seconds = 0;
  for (std::size_t i = 13; i <= 16; ++i)
    seconds += ticks_to_seconds((*own)[i]);
  DIR* proc = opendir("/proc");
  if (proc == nullptr)
    return std::nullopt;
  while (auto* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0')
      continue;
    auto fields = stat_fields(static_cast<int>(pid));
    // ppid is field 4 (index 3).
    if (!fields || fields->size() < 15 || (*fields)[3] != std::to_string(postmaster_pid))
      continue;
    seconds += ticks_to_seconds((*fields)[13]) + ticks_to_seconds((*fields)[14]);
  }
  closedir(proc);
  return seconds;
}

WorkMeter::WorkMeter(boost::asio::io_context& io, const OrdoSystem& system) : io_(io) {
  origins_ = system.metrics_origins();
  if (!system.distributed())
    return;
  try {
    // The backend that answers is a child of the postmaster: /proc names its parent.
    auto backend =
        std::stoi(postgres_statement(system.database_url(), "SELECT pg_backend_pid()::text"));
    std::ifstream status("/proc/" + std::to_string(backend) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("PPid:", 0) == 0)
        postmaster_pid_ = std::stoi(line.substr(5));
    }
  } catch (const std::exception&) {
    postmaster_pid_.reset();  // a server elsewhere: its CPU is not ours to read
  }
}

SqlWork WorkMeter::scrape() {
  SqlWork sum;
  http::Client client(io_.get_executor());
  for (const auto& origin : origins_) {
    auto text = run_sync(io_, [&]() -> boost::asio::awaitable<std::string> {
      http::OutgoingRequest get{"GET", "/metrics", {}, {}};
      auto response = co_await client.send(origin, std::move(get));
      co_return response.status == 200 ? response.body : std::string();
    }());
    auto work = sql_work_of_metrics(text);
    sum.transactions += work.transactions;
    sum.statements += work.statements;
    sum.round_trips += work.round_trips;
  }
  return sum;
}

void WorkMeter::start() {
  at_start_ = scrape();
  if (postmaster_pid_)
    server_cpu_at_start_ = postgres_cpu_seconds(*postmaster_pid_);
}

void WorkMeter::finish(std::uint64_t orders, ScenarioResult& result) {
  if (orders == 0)
    return;
  auto at_end = scrape();
  auto per_order = [orders](double delta) { return delta / static_cast<double>(orders); };
  if (server_cpu_at_start_) {
    if (auto cpu = postgres_cpu_seconds(*postmaster_pid_))
      result.db_cpu_ms_per_order = per_order((*cpu - *server_cpu_at_start_) * 1000.0);
  }
  // A system whose drivers do not count (an older binary) says nothing rather than zero.
  if (at_end.transactions == at_start_.transactions && at_end.statements == at_start_.statements)
    return;
  result.transactions_per_order = per_order(at_end.transactions - at_start_.transactions);
  result.statements_per_order = per_order(at_end.statements - at_start_.statements);
  result.round_trips_per_order = per_order(at_end.round_trips - at_start_.round_trips);
}

}  // namespace ordo::bench
