#include "platform/core/ids.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>

#include <sodium.h>

#include "platform/core/encoding.hpp"
#include "platform/core/sodium.hpp"
#include "platform/core/time.hpp"

namespace ordo::core {
namespace {

// RFC 9562 method 1: rand_a (12 bits) is a counter, so ids made in the same millisecond by this
// process still sort in creation order. A fresh millisecond seeds the counter randomly but below
// 0x800 so there is room to count up before it wraps.
struct Sequence {
  std::mutex mutex;
  std::int64_t last_ms = 0;
  std::uint16_t counter = 0;
};

struct Stamp {
  std::int64_t ms;
  std::uint16_t counter;
};

Stamp next_stamp(std::int64_t now_ms, std::uint16_t random_seed) {
  static Sequence sequence;
  std::lock_guard lock(sequence.mutex);
  if (now_ms > sequence.last_ms) {
    sequence.last_ms = now_ms;
    sequence.counter = random_seed & 0x7ff;
  } else if (sequence.counter < 0xfff) {
    // Same millisecond, or the clock stepped back: keep counting on the last timestamp.
    ++sequence.counter;
  } else {
    // Counter exhausted: borrow the next millisecond rather than lose ordering.
    ++sequence.last_ms;
    sequence.counter = 0;
  }
  return {sequence.last_ms, sequence.counter};
}

// Bytes of the OS CSPRNG taken a block at a time: randombytes_buf is a getrandom() syscall per
// call, and a proxied request used to make four of them for its ids. Only for ids, never for
// secrets (tokens keep randombytes_buf): a buffer in memory is one more place bytes could leak.
void id_random_bytes(unsigned char* out, std::size_t size) {
  thread_local std::array<unsigned char, 512> block{};
  thread_local std::size_t used = block.size();
  while (size > 0) {
    if (used == block.size()) {
      ensure_sodium();
      randombytes_buf(block.data(), block.size());
      used = 0;
    }
    std::size_t n = std::min(size, block.size() - used);
    std::copy_n(block.data() + used, n, out);
    // What was handed out is not kept: the same bytes never serve two ids.
    std::fill_n(block.data() + used, n, static_cast<unsigned char>(0));
    used += n;
    out += n;
    size -= n;
  }
}

void append_hex(std::string& out, const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0x0f]);
  }
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

std::string uuid_v7() {
  std::array<unsigned char, 16> b{};
  id_random_bytes(b.data(), b.size());
  const Stamp stamp = next_stamp(unix_millis(), static_cast<std::uint16_t>(b[6] << 8 | b[7]));
  const auto ms = static_cast<std::uint64_t>(stamp.ms);
  for (int i = 0; i < 6; ++i) {
    b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  }
  b[6] = static_cast<unsigned char>(0x70 | (stamp.counter >> 8));  // version 7
  b[7] = static_cast<unsigned char>(stamp.counter & 0xff);
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));  // variant 10
  std::string out;
  out.reserve(36);
  append_hex(out, b.data(), 4);
  out.push_back('-');
  append_hex(out, b.data() + 4, 2);
  out.push_back('-');
  append_hex(out, b.data() + 6, 2);
  out.push_back('-');
  append_hex(out, b.data() + 8, 2);
  out.push_back('-');
  append_hex(out, b.data() + 10, 6);
  return out;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !is_hex_digit(text[i])) {
      return false;
    }
  }
  return true;
}

std::string random_id_hex(std::size_t bytes) {
  std::array<unsigned char, 64> raw{};
  std::string out;
  out.reserve(bytes * 2);
  while (bytes > 0) {
    std::size_t n = std::min(bytes, raw.size());
    id_random_bytes(raw.data(), n);
    append_hex(out, raw.data(), n);
    bytes -= n;
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return hex_encode(raw);
}

}  // namespace ordo::core
