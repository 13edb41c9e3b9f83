// The URLs of the servers the CTest fixture `servers_up` starts (tests/CMakeLists.txt), put in
// the environment before any test runs, unless the environment already names other servers.
// (CMake 3.25's gtest_discover_tests cannot pass several ENVIRONMENT entries per test.)
#include <cstdlib>

namespace {

const bool kServersInEnvironment = [] {
  ::setenv("ORDO_TEST_POSTGRES_URL", ORDO_TEST_POSTGRES_URL, 0);
  ::setenv("ORDO_TEST_NATS_URL", ORDO_TEST_NATS_URL, 0);
  ::setenv("ORDO_TEST_AMQP_URL", ORDO_TEST_AMQP_URL, 0);
  return true;
}();

}  // namespace
