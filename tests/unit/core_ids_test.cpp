#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"

namespace ordo::core {
namespace {

std::int64_t timestamp_of(const std::string& id) {
  return std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
}

TEST(UuidV7, HasCanonicalLowerCaseForm) {
  const std::string id = uuid_v7();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_TRUE(is_uuid(id));
  for (char c : id) {
    EXPECT_TRUE(c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
  }
}

TEST(UuidV7, CarriesVersionSevenAndRfcVariant) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = uuid_v7();
    EXPECT_EQ(id[14], '7') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
  }
}

TEST(UuidV7, EmbedsCurrentUnixMilliseconds) {
  const std::int64_t before = unix_millis();
  const std::string id = uuid_v7();
  const std::int64_t after = unix_millis();
  EXPECT_GE(timestamp_of(id), before);
  // The counter may borrow a millisecond or two when it overflows.
  EXPECT_LE(timestamp_of(id), after + 2);
}

TEST(UuidV7, SortsInCreationOrderAndNeverRepeats) {
  std::vector<std::string> ids;
  for (int i = 0; i < 50000; ++i) {
    ids.push_back(uuid_v7());
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

TEST(UuidV7, UniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::vector<std::string>> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        per_thread[t].push_back(uuid_v7());
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  std::set<std::string> all;
  for (const auto& ids : per_thread) {
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(IsUuid, AcceptsCanonicalFormsOfAnyVersionAndCase) {
  EXPECT_TRUE(is_uuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_TRUE(is_uuid("550e8400-e29b-41d4-a716-446655440000"));
  EXPECT_TRUE(is_uuid("550E8400-E29B-41D4-A716-446655440000"));
}

TEST(IsUuid, RejectsNonCanonicalText) {
  EXPECT_FALSE(is_uuid(""));
  EXPECT_FALSE(is_uuid("550e8400e29b41d4a716446655440000"));
  EXPECT_FALSE(is_uuid("{550e8400-e29b-41d4-a716-446655440000}"));
  EXPECT_FALSE(is_uuid("550e8400-e29b-41d4-a716-44665544000"));
  EXPECT_FALSE(is_uuid("550e8400-e29b-41d4-a716-4466554400000"));
  EXPECT_FALSE(is_uuid("550e8400-e29b-41d4-a716-44665544000g"));
  EXPECT_FALSE(is_uuid("550e8400_e29b-41d4-a716-446655440000"));
  EXPECT_FALSE(is_uuid("550e840-0e29b-41d4-a716-446655440000"));
  EXPECT_FALSE(is_uuid(std::string_view("550e8400-e29b-41d4-a716-44665544000\0", 36)));
}

TEST(RandomHex, HasRequestedLengthAndVaries) {
  EXPECT_EQ(random_hex(0), "");
  const std::string a = random_hex(16);
  const std::string b = random_hex(16);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace ordo::core
