// Child processes of the bench (the systems under test) and what /proc says about them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ordo::bench {

std::uint16_t free_port();
std::string make_temp_dir(const std::string& prefix);

// A started child: its output goes to log_file. Killed (SIGKILL) if still running when destroyed.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> args, std::string log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True while the child runs; reaps it (and keeps its exit status) once it has exited.
  bool running();
  // SIGTERM, then SIGKILL when it has not exited after grace. Returns the exit status (or
  // -signal).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  std::string log_tail(std::size_t bytes = 4000) const;

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  std::string log_file_;
};

// Runs a command to completion (e.g. `ordo users create-admin`); returns its exit code.
int run_command(const std::vector<std::string>& args, std::string* output = nullptr);

// /proc/PID: CPU seconds used (user + system), peak and current resident memory.
struct ProcessSample {
  double cpu_seconds = 0;
  double peak_rss_mib = 0;  // VmHWM
  double rss_mib = 0;       // VmRSS
};
std::optional<ProcessSample> sample_process(pid_t pid);

}  // namespace ordo::bench
