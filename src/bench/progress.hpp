// A one-line progress bar on stderr (only when stderr is a terminal and progress is wanted).
#pragma once

#include <cstdint>
#include <string>

namespace ordo::bench {

class ProgressBar {
 public:
  ProgressBar(bool wanted, std::string label, double total_seconds);
  ~ProgressBar();
  void update(double elapsed_seconds, std::uint64_t requests);
  void finish();  // clears the line

 private:
  bool enabled_;
  bool drawn_ = false;
  std::string label_;
  double total_seconds_;
};

// A status line for the human watching (stderr), e.g. "seeding 32 users".
void note(const std::string& text);

}  // namespace ordo::bench
