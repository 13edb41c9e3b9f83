// Admission control's decisions without I/O: slots, the bounded first-come queue, the caller's
// deadline, and the Ordo-Timeout-Ms header.
#include <gtest/gtest.h>

#include "platform/http/admission.hpp"

namespace ordo::http {
namespace {

using namespace std::chrono_literals;
using Kind = SlotQueue::Arrival::Kind;

const AdmissionClock::time_point t0 = AdmissionClock::time_point{} + 1h;

TEST(HttpAdmission, AdmitsUpToTheLimitThenQueues) {
  SlotQueue slots({2, 100ms});
  EXPECT_EQ(slots.arrive(t0, std::nullopt).kind, Kind::admitted);
  EXPECT_EQ(slots.arrive(t0, std::nullopt).kind, Kind::admitted);
  auto third = slots.arrive(t0, std::nullopt);
  EXPECT_EQ(third.kind, Kind::must_wait);
  EXPECT_EQ(third.wait_until, t0 + 100ms);
  EXPECT_EQ(third.refusal, Refusal::queue_timeout);
  EXPECT_EQ(slots.in_flight(), 2u);
  EXPECT_EQ(slots.waiting(), 1u);
}

TEST(HttpAdmission, AFreedSlotPassesToTheOldestWaiter) {
  SlotQueue slots({1, 100ms});
  ASSERT_EQ(slots.arrive(t0, std::nullopt).kind, Kind::admitted);
  auto first = slots.arrive(t0, std::nullopt);
  auto second = slots.arrive(t0 + 1ms, std::nullopt);
  auto handed = slots.release();
  ASSERT_TRUE(handed);
  EXPECT_EQ(*handed, first.ticket);
  EXPECT_EQ(slots.in_flight(), 1u);  // it changed hands
  EXPECT_EQ(slots.waiting(), 1u);
  // A newcomer does not overtake the one still waiting.
  EXPECT_EQ(slots.arrive(t0 + 2ms, std::nullopt).kind, Kind::must_wait);
  EXPECT_EQ(slots.release(), second.ticket);
}

TEST(HttpAdmission, TheSlotIsFreeOnceNobodyWaits) {
  SlotQueue slots({1, 100ms});
  ASSERT_EQ(slots.arrive(t0, std::nullopt).kind, Kind::admitted);
  EXPECT_FALSE(slots.release());
  EXPECT_EQ(slots.in_flight(), 0u);
  EXPECT_EQ(slots.arrive(t0, std::nullopt).kind, Kind::admitted);
}

TEST(HttpAdmission, AWaiterThatGivesUpLeavesTheQueue) {
  SlotQueue slots({1, 100ms});
  ASSERT_EQ(slots.arrive(t0, std::nullopt).kind, Kind::admitted);
  auto waiter = slots.arrive(t0, std::nullopt);
  EXPECT_TRUE(slots.abandon(waiter.ticket));
  EXPECT_EQ(slots.waiting(), 0u);
  EXPECT_FALSE(slots.release());  // nobody left to hand it to
  EXPECT_EQ(slots.in_flight(), 0u);
}

TEST(HttpAdmission, AWaiterHandedASlotBeforeGivingUpHoldsIt) {
  SlotQueue slots({1, 100ms});
  ASSERT_EQ(slots.arrive(t0, std::nullopt).kind, Kind::admitted);
  auto waiter = slots.arrive(t0, std::nullopt);
  ASSERT_EQ(slots.release(), waiter.ticket);
  // Its timer fired at the same moment: the slot is its own, to be released in turn.
  EXPECT_FALSE(slots.abandon(waiter.ticket));
  EXPECT_EQ(slots.in_flight(), 1u);
  EXPECT_FALSE(slots.release());
  EXPECT_EQ(slots.in_flight(), 0u);
}

TEST(HttpAdmission, WithoutAQueueWaitAFullGroupRefusesAtOnce) {
  SlotQueue slots({1, 0ms});
  ASSERT_EQ(slots.arrive(t0, std::nullopt).kind, Kind::admitted);
  auto refused = slots.arrive(t0, std::nullopt);
  EXPECT_EQ(refused.kind, Kind::refused);
  EXPECT_EQ(refused.refusal, Refusal::queue_timeout);
  EXPECT_EQ(slots.waiting(), 0u);
}

TEST(HttpAdmission, APassedDeadlineIsRefusedEvenWithSlotsFree) {
  SlotQueue slots({4, 100ms});
  auto late = slots.arrive(t0, t0);
  EXPECT_EQ(late.kind, Kind::refused);
  EXPECT_EQ(late.refusal, Refusal::deadline_passed);
  EXPECT_EQ(slots.in_flight(), 0u);
  EXPECT_EQ(slots.arrive(t0, t0 + 1ms).kind, Kind::admitted);
}

TEST(HttpAdmission, TheDeadlineShortensTheWait) {
  SlotQueue slots({1, 100ms});
  ASSERT_EQ(slots.arrive(t0, std::nullopt).kind, Kind::admitted);
  auto soon = slots.arrive(t0, t0 + 30ms);
  EXPECT_EQ(soon.kind, Kind::must_wait);
  EXPECT_EQ(soon.wait_until, t0 + 30ms);
  EXPECT_EQ(soon.refusal, Refusal::deadline_passed);
  auto later = slots.arrive(t0, t0 + 5s);
  EXPECT_EQ(later.wait_until, t0 + 100ms);
  EXPECT_EQ(later.refusal, Refusal::queue_timeout);
}

TEST(HttpAdmission, ALimitOfZeroMeansOne) {
  SlotQueue slots({0, 0ms});
  EXPECT_EQ(slots.limit().max_in_flight, 1u);
  EXPECT_EQ(slots.arrive(t0, std::nullopt).kind, Kind::admitted);
}

TEST(HttpAdmission, TimeoutHeader) {
  EXPECT_EQ(parse_timeout_ms("250"), 250ms);
  EXPECT_EQ(parse_timeout_ms("0"), 0ms);
  EXPECT_EQ(parse_timeout_ms("3600000"), 3'600'000ms);
  for (std::string_view bad : {"", "-1", "1.5", " 10", "10ms", "3600001", "99999999", "0x10"})
    EXPECT_FALSE(parse_timeout_ms(bad)) << bad;
}

}  // namespace
}  // namespace ordo::http
