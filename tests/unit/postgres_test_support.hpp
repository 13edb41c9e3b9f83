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
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "platform/sql/database.hpp"
#include "platform/sql/postgres_database.hpp"
#include "platform/sql/sqlite_database.hpp"
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

// Drops a test's schema. Blocking libpq is fine here: the test thread is not an event loop.
inline void drop_schema(const std::string& url, const std::string& schema) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) == CONNECTION_OK) {
    std::string sql =
        "SET client_min_messages = warning; DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE";
    PQclear(PQexec(conn, sql.c_str()));
  }
  PQfinish(conn);
}

// A PostgreSQL database that drops its schema when the test is done with it.
class SchemaDroppingDatabase final : public sql::Database {
 public:
  SchemaDroppingDatabase(std::unique_ptr<sql::Database> inner, std::string url, std::string schema)
      : inner_(std::move(inner)), url_(std::move(url)), schema_(std::move(schema)) {
    share_counters_of(*inner_);
  }
  ~SchemaDroppingDatabase() override {
    inner_.reset();
    drop_schema(url_, schema_);
  }
  sql::Dialect dialect() const override { return inner_->dialect(); }
  const std::string& name() const override { return inner_->name(); }
  boost::asio::awaitable<sql::Result> query(std::string_view sql,
                                            std::vector<sql::Value> params) override {
    return inner_->query(sql, std::move(params));
  }
  boost::asio::awaitable<void> transact(
      std::function<boost::asio::awaitable<void>(sql::Transaction&)> body) override {
    return inner_->transact(std::move(body));
  }
  boost::asio::awaitable<bool> ping() override { return inner_->ping(); }

 private:
  std::unique_ptr<sql::Database> inner_;
  std::string url_;
  std::string schema_;
};

// The database of a store test in the dialect under test: a SQLite file in dir, or a fresh
// schema on the PostgreSQL test server.
inline std::unique_ptr<sql::Database> open_test_database(sql::Dialect dialect,
                                                         boost::asio::io_context& ctx,
                                                         const TempDir& dir,
                                                         const std::string& service) {
  if (dialect == sql::Dialect::sqlite) {
    return sql::open_sqlite(service, {.path = dir.file(service + ".db")});
  }
  sql::PostgresOptions options;
  options.url = postgres_test_url();
  options.schema = unique_schema(service);
  return std::make_unique<SchemaDroppingDatabase>(
      sql::open_postgres(ctx.get_executor(), service, options), options.url, options.schema);
}

// For INSTANTIATE_TEST_SUITE_P(Dialects, Fixture, kBothDialects, dialect_test_name).
inline const auto kBothDialects = ::testing::Values(sql::Dialect::sqlite, sql::Dialect::postgres);
inline std::string dialect_test_name(const ::testing::TestParamInfo<sql::Dialect>& info) {
  return info.param == sql::Dialect::sqlite ? "sqlite" : "postgres";
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
  // A port is only free when picked: when another process bound it before the server did, the
  // first start is tried again on a fresh port (a restart keeps its port: clients reconnect to
  // the same URL).
  void start() {
    for (int attempt = 1;; ++attempt) {
      try {
        run("pg_ctl -D " + data() + " -l " + dir_.string() + "/server.log -w -t 30 -o \"-p " +
            std::to_string(port_) + " -k " + dir_.string() +
            " -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null");
        running_ = true;
        started_once_ = true;
        return;
      } catch (const std::runtime_error&) {
        if (started_once_ || attempt == 3 || !port_was_taken())
          throw;
        port_ = free_port();
      }
    }
  }
  void stop() {
    if (running_) {
      running_ = false;
      run("pg_ctl -D " + data() + " -m fast -w -t 30 stop >/dev/null");
    }
  }

 private:
  std::string data() const { return dir_.string() + "/data"; }

  bool port_was_taken() const {
    std::ifstream log(dir_ / "server.log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    return text.find("could not bind") != std::string::npos ||
           text.find("Address already in use") != std::string::npos;
  }

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
  bool started_once_ = false;
};

}  // namespace ordo::testing
