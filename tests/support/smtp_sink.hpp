// A real SMTP server on loopback for the e-mail channel's tests: tests/support/smtp_sink.py (on
// Debian's python3-aiosmtpd) as a child process, writing each message it accepts to a directory.
// Needs ORDO_SMTP_SINK (the script) and ORDO_SMTP_PYTHON (the interpreter) defined by CMake.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "platform/core/child_process.hpp"
#include "platform/core/ports.hpp"

namespace ordo::testing {

class SmtpSink {
 public:
  // dir: where the messages (dir/mail/NNNN.eml) and the server's output go. options: more
  // arguments of `smtp_sink.py serve` (--temp-fail ADDR:N, --perm-fail ADDR).
  explicit SmtpSink(const std::string& dir, const std::vector<std::string>& options = {})
      : port_(core::pick_free_port()),
        mail_dir_((std::filesystem::path(dir) / "mail").string()),
        log_((std::filesystem::path(dir) / "smtp-sink.log").string()) {
    std::filesystem::create_directories(dir);
    std::vector<std::string> args{ORDO_SMTP_PYTHON,      ORDO_SMTP_SINK, "serve",  "--port",
                                  std::to_string(port_), "--dir",        mail_dir_};
    args.insert(args.end(), options.begin(), options.end());
    pid_ = core::spawn_process(args, log_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (core::read_text_file(log_).find("ready") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        throw std::runtime_error("the SMTP sink did not start: " + core::read_text_file(log_));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~SmtpSink() { stop(); }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  // The received messages' files, oldest first.
  std::vector<std::string> messages() const {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(mail_dir_, ec)) {
      if (entry.path().extension() == ".eml")
        files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  // A received message as Python's email module reads it (smtp_sink.py parse): from, to,
  // subject (decoded), date, dateValid, messageId, mimeVersion, contentType, parts, defects.
  static boost::json::object parse(const std::string& file) {
    std::string command =
        std::string(ORDO_SMTP_PYTHON) + " '" + ORDO_SMTP_SINK + "' parse '" + file + "'";
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr)
      throw std::runtime_error("cannot run " + command);
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
      out.append(buffer, n);
    ::pclose(pipe);
    return boost::json::parse(out).as_object();
  }

 private:
  void stop() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::uint16_t port_;
  std::string mail_dir_;
  std::string log_;
  pid_t pid_ = -1;
};

}  // namespace ordo::testing
