// A database per bench run on the server the user started (scripts/cluster.sh servers up).
#include "bench/postgres_admin.hpp"

#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "platform/sql/postgres_database.hpp"

namespace ordo::bench {
namespace {

namespace asio = boost::asio;

asio::awaitable<std::string> first_value(sql::Database& db, std::string statement) {
  std::vector<sql::Value> no_params;
  auto result = co_await db.query(statement, no_params);
  if (result.empty() || result.rows.front().is_null(0))
    co_return std::string();
  co_return result.rows.front().text(0);
}

}  // namespace

std::string fresh_name(const std::string& prefix) {
  std::random_device random;
  std::uint64_t bits = (static_cast<std::uint64_t>(random()) << 32) ^ random();
  std::ostringstream out;
  out << prefix << std::hex << (bits & 0xffffffffffffULL);
  return out.str();
}

std::string with_database(const std::string& url, const std::string& database) {
  auto scheme = url.find("://");
  auto authority = scheme == std::string::npos ? 0 : scheme + 3;
  auto query = url.find('?', authority);
  auto slash = url.find('/', authority);
  if (slash == std::string::npos || (query != std::string::npos && slash > query))
    slash = query == std::string::npos ? url.size() : query;
  std::string rest = query == std::string::npos ? std::string() : url.substr(query);
  return url.substr(0, slash) + "/" + database + rest;
}

std::string postgres_statement(const std::string& url, const std::string& statement) {
  asio::io_context io{1};
  sql::PostgresOptions options;
  options.url = url;
  options.schema = "public";  // exists in every database: nothing is created
  options.pool_size = 1;
  options.statement_timeout = std::chrono::seconds(60);  // CREATE DATABASE on a busy machine
  auto db = sql::open_postgres(io.get_executor(), "bench", options);
  std::string value;
  std::exception_ptr failure;
  asio::co_spawn(io, first_value(*db, statement),
                 [&value, &failure](std::exception_ptr error, std::string result) {
                   failure = error;
                   value = std::move(result);
                 });
  io.run();
  db.reset();
  if (failure)
    std::rethrow_exception(failure);
  return value;
}

TemporaryDatabase::TemporaryDatabase(const std::string& server_url, const std::string& prefix)
    : server_url_(server_url), name_(fresh_name(prefix)), url_(with_database(server_url, name_)) {
  postgres_statement(server_url_, "CREATE DATABASE " + name_);
}

TemporaryDatabase::~TemporaryDatabase() {
  if (std::getenv("ORDO_BENCH_KEEP") != nullptr)
    return;
  try {
    postgres_statement(server_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::cerr << "ordo bench: could not drop the database " << name_ << ": " << e.what() << "\n";
  }
}

std::string describe_postgres(const std::string& url) {
  auto text = postgres_statement(
      url,
      "SELECT 'PostgreSQL ' || split_part(current_setting('server_version'), ' ', 1) || "
      "' synchronous_commit=' || current_setting('synchronous_commit') || ' fsync=' || "
      "current_setting('fsync')");
  return text;
}

}  // namespace ordo::bench
