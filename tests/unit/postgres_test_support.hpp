// Test helpers for PostgreSQL: the shared test server's URL, a fresh schema per test, and a
// private server a test may stop and start.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "platform/sql/database.hpp"
#include "platform/sql/postgres_database.hpp"
#include "sql_test_support.hpp"

namespace ordo::testing {

// The server the test command started (scripts/cluster.sh exports the variable). Tests that need
// it fail, rather than skip, without it: a silently skipped database test proves nothing.
inline std::string postgres_test_url() {
  const char* url = std::getenv("ORDO_TEST_POSTGRES_URL");
  if (!url || !*url) {
    throw std::runtime_error(
        "ORDO_TEST_POSTGRES_URL is not set: these tests need a PostgreSQL server (start one with "
        "scripts/cluster.sh servers up, or export "
        "ORDO_TEST_POSTGRES_URL=postgresql://user@127.0.0.1:PORT/postgres)");
  }
  return url;
}

// A schema name no other test uses, so tests can share one server and run in parallel.
inline std::string unique_schema(const std::string& prefix) {
  static std::random_device random;
  static const char* kHex = "0123456789abcdef";
  std::string name = "t_" + prefix + "_";
  for (int i = 0; i < 16; ++i) {
    name += kHex[random() % 16];
  }
  return name;
}

// A database in a fresh schema on the shared test server; the schema is dropped by drop().
struct PostgresTestDatabase {
  PostgresTestDatabase(boost::asio::io_context& ctx, const std::string& service,
                       sql::PostgresOptions options = {})
      : ctx_(ctx) {
    options.url = postgres_test_url();
    options.schema = unique_schema(service);
    schema = options.schema;
    db = sql::open_postgres(ctx.get_executor(), service, options);
  }
  ~PostgresTestDatabase() {
    if (!db) {
      return;
    }
    try {
      run_async(ctx_, drop());
    } catch (const std::exception&) {
      // Leaving a schema behind on a test server is harmless.
    }
  }
  boost::asio::awaitable<void> drop() {
    co_await db->query("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
  }

  boost::asio::io_context& ctx_;
  std::string schema;
  std::unique_ptr<sql::Database> db;
};

// A PostgreSQL cluster of the test's own (initdb in a temp dir), for tests that stop and start
// the server. initdb and postgres refuse root: as root they run as the postgres user.
class PrivatePostgres {
 public:
  PrivatePostgres() : port_(free_port()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("ordo-pg-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    std::filesystem::create_directories(dir_);
    as_postgres_owner(dir_);
    run("initdb -D " + data() + " -U ordo --auth=trust -E UTF8 --no-sync >" + dir_.string() +
        "/initdb.log 2>&1");
  }
  ~PrivatePostgres() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  std::string url() const {
    return "postgresql://ordo@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }
  void start() {
    run("pg_ctl -D " + data() + " -l " + dir_.string() + "/server.log -w -t 30 -o \"-p " +
        std::to_string(port_) + " -k " + dir_.string() +
        " -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null");
    running_ = true;
  }
  void stop() {
    if (running_) {
      running_ = false;
      run("pg_ctl -D " + data() + " -m fast -w -t 30 stop >/dev/null");
    }
  }

 private:
  std::string data() const { return dir_.string() + "/data"; }

  static std::string bin(const std::string& command) {
    return "/usr/lib/postgresql/15/bin/" + command;
  }
  static void run(const std::string& command) {
    std::string line = (::geteuid() == 0 ? "runuser -u postgres -- " : "") + bin(command);
    if (std::system(line.c_str()) != 0) {
      throw std::runtime_error("failed: " + line);
    }
  }
  static void as_postgres_owner(const std::filesystem::path& dir) {
    if (::geteuid() != 0) {
      return;
    }
    const passwd* user = ::getpwnam("postgres");
    if (!user || ::chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw std::runtime_error("cannot give " + dir.string() + " to the postgres user");
    }
  }
  // A free port in 17100-17199 (the PostgreSQL tests' range), from a random start.
  static int free_port() {
    std::random_device random;
    int offset = static_cast<int>(random() % 100);
    for (int i = 0; i < 100; ++i) {
      int port = 17100 + (offset + i) % 100;
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<std::uint16_t>(port));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      ::close(fd);
      if (free) {
        return port;
      }
    }
    throw std::runtime_error("no free port in 17100-17199");
  }

  int port_;
  std::filesystem::path dir_;
  bool running_ = false;
};

}  // namespace ordo::testing
