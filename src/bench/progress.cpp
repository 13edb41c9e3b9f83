// The progress bar: redrawn in place with '\r', so it never mixes with stdout (JSON or table).
#include "bench/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace ordo::bench {

ProgressBar::ProgressBar(bool wanted, std::string label, double total_seconds)
    : enabled_(wanted && ::isatty(STDERR_FILENO) == 1),
      label_(std::move(label)),
      total_seconds_(total_seconds) {}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::update(double elapsed_seconds, std::uint64_t requests) {
  if (!enabled_)
    return;
  constexpr int kWidth = 30;
  double fraction = total_seconds_ > 0 ? std::clamp(elapsed_seconds / total_seconds_, 0.0, 1.0) : 1;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "\r%-14s [%s] %5.1f/%.1f s  %llu requests\033[K", label_.c_str(),
               bar.c_str(), std::min(elapsed_seconds, total_seconds_), total_seconds_,
               static_cast<unsigned long long>(requests));
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (enabled_ && drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

void note(const std::string& text) {
  std::cerr << "bench: " << text << "\n";
}

}  // namespace ordo::bench
