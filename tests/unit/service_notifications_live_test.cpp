// The notification stream's cursor: the keyset floor of a millisecond, the look-back, resuming
// after an id, and never sending one twice.
#include <gtest/gtest.h>

#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "services/notifications/live.hpp"

namespace ordo::services::notifications {
namespace {

TEST(NotificationCursor, FloorOrdersBelowEveryIdOfItsMillisecond) {
  auto floor = uuid_v7_floor(core::unix_millis());
  EXPECT_EQ(floor.size(), 36u);
  auto id = core::uuid_v7();
  EXPECT_LT(floor, id);
  EXPECT_LT(uuid_v7_floor(core::unix_millis() - 1000), floor);
  EXPECT_GT(uuid_v7_floor(core::unix_millis() + 1000), id);
  EXPECT_EQ(uuid_v7_floor(0x0123456789ab), "01234567-89ab-0000-0000-000000000000");
}

TEST(NotificationCursor, WithoutLastEventIdOnlyWhatIsStoredFromNowOn) {
  auto now = core::unix_millis();
  auto before = uuid_v7_floor(now - 2000) + "x";  // an id made two seconds earlier
  NotificationCursor cursor(std::nullopt, now);
  EXPECT_FALSE(cursor.take(before));
  // It reads from the look-back floor or its start, whichever is later.
  EXPECT_EQ(cursor.read_after(now), uuid_v7_floor(now));
  auto later = uuid_v7_floor(now + 5) + "x";
  EXPECT_TRUE(cursor.take(later));
  EXPECT_FALSE(cursor.take(later));  // never twice
}

TEST(NotificationCursor, ResumesAfterTheLastEventIdAndLooksBack) {
  auto now = core::unix_millis();
  auto seen = uuid_v7_floor(now - 60'000) + "a";
  NotificationCursor cursor(seen, now);
  EXPECT_EQ(cursor.read_after(now), seen);  // a minute of missed notifications
  EXPECT_FALSE(cursor.take(seen));
  auto missed = uuid_v7_floor(now - 30'000) + "b";
  EXPECT_TRUE(cursor.take(missed));
  // Then from the newest one sent, or kLookbackMs back when that is older.
  EXPECT_EQ(cursor.read_after(now), missed);
  auto recent = uuid_v7_floor(now - 1'000) + "d";
  EXPECT_TRUE(cursor.take(recent));
  EXPECT_EQ(cursor.read_after(now), uuid_v7_floor(now - NotificationCursor::kLookbackMs));
  auto much_later = now + 120'000;
  EXPECT_EQ(cursor.read_after(much_later), recent);
  // An id that commits late but within the window is still sent once; a pruned one is old.
  auto late = uuid_v7_floor(much_later - 2'000) + "c";
  EXPECT_TRUE(cursor.take(late));
  cursor.prune(much_later);
  EXPECT_FALSE(cursor.take(late));
}

}  // namespace
}  // namespace ordo::services::notifications
