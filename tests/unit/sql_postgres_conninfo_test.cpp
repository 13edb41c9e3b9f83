// Database URLs taken apart, host names resolved off the I/O thread, and the keywords that hand
// the addresses to libpq; then connections by host name and by Unix socket to the test server.
#include <atomic>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "platform/log/log.hpp"
#include "platform/sql/postgres_conninfo.hpp"
#include "platform/sql/postgres_database.hpp"
#include "postgres_test_support.hpp"
#include "sql_test_support.hpp"

namespace ordo::sql {
namespace {
namespace asio = boost::asio;
using ordo::testing::run_async;
using pg::ConnectHost;
using pg::ConnectTarget;

std::string keyword(const pg::Keywords& keywords, const std::string& name) {
  for (const auto& [key, value] : keywords) {
    if (key == name) {
      return value;
    }
  }
  return "<unset>";
}

TEST(PostgresConninfo, AHostNameIsLookedUpAndEachAddressBecomesAHostEntry) {
  const std::string url = "postgresql://ordo@db.example:5433/ordo";
  ConnectTarget target = pg::parse_connect_target(url);
  ASSERT_EQ(target.hosts.size(), 1u);
  EXPECT_EQ(target.hosts[0].host, "db.example");
  EXPECT_TRUE(pg::needs_lookup(target.hosts[0].host));
  EXPECT_FALSE(target.ports_per_host);

  target.hosts[0].addresses = {"10.0.0.1", "fd00::1"};
  pg::Keywords keywords = pg::connect_keywords(url, "ordo-orders", target);
  EXPECT_EQ(keywords.front().first, "dbname");  // first: what follows overrides the URL
  EXPECT_EQ(keyword(keywords, "dbname"), url);
  EXPECT_EQ(keyword(keywords, "application_name"), "ordo-orders");
  EXPECT_EQ(keyword(keywords, "host"), "db.example,db.example");  // kept for TLS and messages
  EXPECT_EQ(keyword(keywords, "hostaddr"), "10.0.0.1,fd00::1");
  EXPECT_EQ(keyword(keywords, "port"), "<unset>");  // the URL's one port applies to each
}

TEST(PostgresConninfo, UnixSocketsAndNumericAddressesNeedNoLookup) {
  for (const std::string url :
       {"postgresql://ordo@/ordo?host=/run/ordo/pg&port=5433", "postgresql://ordo@127.0.0.1/ordo",
        "postgresql://ordo@[::1]:5432/ordo", "host=/tmp port=5432 dbname=ordo",
        "postgresql://ordo@/ordo?host=@abstract", "postgresql:///ordo"}) {
    ConnectTarget target = pg::parse_connect_target(url);
    for (const ConnectHost& host : target.hosts) {
      EXPECT_FALSE(pg::needs_lookup(host.host)) << url << ": " << host.host;
    }
    EXPECT_EQ(pg::connect_keywords(url, "ordo-x", target).size(), 3u) << url;
  }
}

TEST(PostgresConninfo, HostaddrInTheUrlIsLeftAlone) {
  ConnectTarget target =
      pg::parse_connect_target("postgresql://ordo@db.example/ordo?hostaddr=10.1.1.1");
  EXPECT_TRUE(target.hosts.empty());
}

TEST(PostgresConninfo, SeveralHostsKeepTheirOwnPortsAndSocketsStayAsTheyAre) {
  const std::string url = "host=a.example,/run/pg port=5001,5002 dbname=ordo";
  ConnectTarget target = pg::parse_connect_target(url);
  ASSERT_EQ(target.hosts.size(), 2u);
  EXPECT_TRUE(target.ports_per_host);
  EXPECT_EQ(target.hosts[0].port, "5001");
  EXPECT_EQ(target.hosts[1].port, "5002");
  target.hosts[0].addresses = {"::1", "127.0.0.1"};
  pg::Keywords keywords = pg::connect_keywords(url, "ordo-x", target);
  EXPECT_EQ(keyword(keywords, "host"), "a.example,a.example,/run/pg");
  EXPECT_EQ(keyword(keywords, "hostaddr"), "::1,127.0.0.1,");  // empty: libpq takes the path
  EXPECT_EQ(keyword(keywords, "port"), "5001,5001,5002");
}

TEST(PostgresConninfo, AnUnparsableUrlIsAConnectionError) {
  try {
    pg::parse_connect_target("postgresql://ordo@host/db?nosuchoption=1");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::connection);
    EXPECT_NE(std::string(e.what()).find("nosuchoption"), std::string::npos) << e.what();
  }
}

TEST(PostgresConninfo, LocalhostResolvesToLoopback) {
  asio::io_context ctx;
  ConnectTarget target = pg::parse_connect_target("postgresql://ordo@localhost/ordo");
  ConnectTarget resolved =
      run_async<ConnectTarget>(ctx, pg::resolve_hosts(target, std::chrono::seconds(5)));
  ASSERT_EQ(resolved.hosts.size(), 1u);
  const auto& addresses = resolved.hosts[0].addresses;
  ASSERT_FALSE(addresses.empty());
  for (const std::string& address : addresses) {
    EXPECT_TRUE(address == "127.0.0.1" || address == "::1") << address;
  }
}

// ---- connecting to the test server (ORDO_TEST_POSTGRES_URL) ----

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at == std::string::npos) {
    throw std::runtime_error("no " + from + " in " + text);
  }
  return text.replace(at, from.size(), to);
}

Result query_at(asio::io_context& ctx, const std::string& url, const std::string& sql) {
  PostgresOptions options;
  options.url = url;
  options.schema = "public";  // exists already: nothing is created
  options.pool_size = 1;
  auto db = open_postgres(ctx.get_executor(), "conninfo", options);
  return run_async<Result>(ctx, db->query(sql));
}

// A name only the injected lookup knows, answered only once the event loop has run other work:
// the connection completes only if the lookup left the loop free, and then goes to hostaddr.
TEST(PostgresConninfoServer, ANameLookedUpOffTheLoopConnectsByItsAddress) {
  log::set_level(log::Level::off);
  asio::io_context ctx;
  std::promise<void> loop_ran;
  auto ran = loop_ran.get_future().share();
  std::atomic<int> lookups{0};
  PostgresOptions options;
  options.url = replaced(ordo::testing::postgres_test_url(), "127.0.0.1", "db.ordo.test");
  options.schema = "public";
  options.pool_size = 1;
  options.connect_timeout = std::chrono::seconds(15);
  options.lookup = [ran, &lookups](const std::string& name) {
    ++lookups;
    bool free = ran.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    return free && name == "db.ordo.test" ? std::vector<std::string>{"127.0.0.1"}
                                          : std::vector<std::string>{};
  };
  auto db = open_postgres(ctx.get_executor(), "conninfo", options);
  // Re-queued on the loop until the lookup started, then lets it answer.
  std::function<void()> release_once_started = [&] {
    if (lookups > 0) {
      loop_ran.set_value();
    } else {
      asio::post(ctx, release_once_started);
    }
  };
  asio::post(ctx, release_once_started);
  Result r = run_async<Result>(ctx, db->query("SELECT host(inet_server_addr())"));
  EXPECT_EQ(r.one().text(0), "127.0.0.1");
  EXPECT_EQ(lookups, 1);
}

// A lookup that never answers fails the connection after connect_timeout, as an unreachable
// server would, instead of holding the loop (issue 14).
TEST(PostgresConninfoServer, ALookupThatNeverAnswersFailsTheConnectionInTime) {
  log::set_level(log::Level::off);
  asio::io_context ctx;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> returned{false};
  PostgresOptions options;
  options.url = replaced(ordo::testing::postgres_test_url(), "127.0.0.1", "stuck.ordo.test");
  options.schema = "public";
  options.pool_size = 1;
  options.connect_timeout = std::chrono::milliseconds(300);
  options.lookup = [released, &returned](const std::string&) {
    released.wait_for(std::chrono::seconds(10));
    returned = true;
    return std::vector<std::string>{"127.0.0.1"};
  };
  auto db = open_postgres(ctx.get_executor(), "conninfo", options);
  try {
    run_async<Result>(ctx, db->query("SELECT 1"));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::connection);
    EXPECT_NE(std::string(e.what()).find("stuck.ordo.test"), std::string::npos) << e.what();
  }
  release.set_value();
  while (!returned) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(PostgresConninfoServer, AUrlWithLocalhostConnects) {
  log::set_level(log::Level::off);
  asio::io_context ctx;
  std::string url = replaced(ordo::testing::postgres_test_url(), "127.0.0.1", "localhost");
  Result r = query_at(ctx, url, "SELECT host(inet_server_addr())");
  EXPECT_EQ(r.one().text(0), "127.0.0.1");
}

// libpq's URI form for a socket directory: postgresql://user@/db?host=DIR&port=N.
TEST(PostgresConninfoServer, AUnixSocketUrlConnects) {
  log::set_level(log::Level::off);
  asio::io_context ctx;
  std::string tcp = ordo::testing::postgres_test_url();
  Result where = query_at(ctx, tcp,
                          "SELECT split_part(current_setting('unix_socket_directories'), ',', 1), "
                          "current_setting('port'), current_user, current_database()");
  std::string url = "postgresql://" + where.one().text(2) + "@/" + where.one().text(3) +
                    "?host=" + where.one().text(0) + "&port=" + where.one().text(1);
  Result r = query_at(ctx, url, "SELECT inet_server_addr() IS NULL");  // NULL: not over TCP
  EXPECT_TRUE(r.one().boolean(0)) << url;
}

}  // namespace
}  // namespace ordo::sql
