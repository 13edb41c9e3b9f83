// posix_spawn for the systems under test (so they run as separate processes, like in production)
// and /proc sampling for their CPU time and memory.
#include "bench/process.hpp"

#include "platform/core/child_process.hpp"
#include "platform/core/ports.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ordo::bench {
namespace {

// The children alive now, so that an interrupted bench (Ctrl-C, SIGTERM) does not leave an
// `ordo serve` running forever: the handler passes the signal on to them, then dies of it.
constexpr std::size_t kMaxChildren = 16;
std::atomic<pid_t> live_children[kMaxChildren];

void forward_and_die(int sig) {
  for (auto& child : live_children) {
    pid_t pid = child.load();
    if (pid > 0)
      ::kill(pid, SIGTERM);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void remember(pid_t pid) {
  static std::once_flag installed;
  std::call_once(installed, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
      ::signal(sig, forward_and_die);
  });
  for (auto& child : live_children) {
    pid_t empty = 0;
    if (child.compare_exchange_strong(empty, pid))
      return;
  }
}

void forget(pid_t pid) {
  for (auto& child : live_children) {
    pid_t expected = pid;
    child.compare_exchange_strong(expected, 0);
  }
}

}  // namespace

std::uint16_t free_port() {
  return core::pick_free_port(26000, 32000);  // end-to-end tests take 20000-25999
}

std::string make_temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  return buffer.data();
}

ChildProcess::ChildProcess(std::vector<std::string> args, std::string log_file)
    : log_file_(std::move(log_file)) {
  pid_ = core::spawn_process(args, log_file_);
  remember(pid_);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    forget(pid_);
  }
}

bool ChildProcess::running() {
  if (pid_ <= 0)
    return false;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
    forget(pid_);
    pid_ = -1;
    return false;
  }
  return true;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0)
    return core::exit_code_of(status_);
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    forget(pid_);
    pid_ = -1;
  }
  return core::exit_code_of(status_);
}

std::string ChildProcess::log_tail(std::size_t bytes) const {
  auto text = core::read_text_file(log_file_);
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

int run_command(const std::vector<std::string>& args, std::string* output) {
  auto dir = make_temp_dir("ordo-bench-cmd");
  auto log = dir + "/out.txt";
  pid_t pid = core::spawn_process(args, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (output != nullptr)
    *output = core::read_text_file(log);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return core::exit_code_of(status);
}

std::optional<ProcessSample> sample_process(pid_t pid) {
  auto base = "/proc/" + std::to_string(pid);
  auto stat = core::read_text_file(base + "/stat");
  // The command name may hold spaces and parentheses: fields are counted after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // After the name: state is field 3; utime and stime are fields 14 and 15.
  for (int index = 3; index <= 15 && (fields >> field); ++index) {
    if (index == 14)
      utime = std::stoull(field);
    if (index == 15)
      stime = std::stoull(field);
  }
  ProcessSample sample;
  sample.cpu_seconds =
      static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::istringstream status(core::read_text_file(base + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    auto kib = [&line] { return std::stod(line.substr(line.find(':') + 1)) / 1024.0; };
    if (line.rfind("VmHWM:", 0) == 0)
      sample.peak_rss_mib = kib();
    else if (line.rfind("VmRSS:", 0) == 0)
      sample.rss_mib = kib();
  }
  return sample;
}

}  // namespace ordo::bench
