// The SQLite Database: one writer thread owning the only read-write connection, and a pool of
// reader threads sharing read-only connections. I/O threads await them, except for reads that
// have proved quick, which they run themselves (sqlite_inline_reads.hpp says why).
#include "platform/sql/sqlite_database.hpp"

#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/sql/sqlite_connection.hpp"
#include "platform/sql/sqlite_inline_reads.hpp"
#include "platform/sql/writer_lock.hpp"

namespace ordo::sql {
namespace {
namespace asio = boost::asio;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteConnection& connection, Counters& counters)
      : connection_(connection), counters_(counters) {}

  asio::awaitable<Result> exec(std::string_view sql, std::vector<Value> params) override {
    if (!active_) {
      throw std::logic_error("sql: statement on a transaction that has ended");
    }
    ++counters_.statements;  // in-process: no round trip of its own
    co_return connection_.exec(sql, params);
  }

  void end() { active_ = false; }

 private:
  SqliteConnection& connection_;
  Counters& counters_;
  bool active_ = true;
};

// Read-only connections handed out to whichever pool thread runs a query. There are as many
// connections as threads, so a free one always exists when a task starts.
class ReaderConnections {
 public:
  ReaderConnections(const SqliteOptions& options, int count) {
    for (int i = 0; i < count; ++i) {
      idle_.push_back(std::make_unique<SqliteConnection>(options, true));
    }
  }

  Result exec(std::string_view sql, const std::vector<Value>& params) {
    std::unique_ptr<SqliteConnection> connection = take();
    struct GiveBack {
      ReaderConnections& self;
      std::unique_ptr<SqliteConnection>& connection;
      ~GiveBack() {
        std::lock_guard lock(self.mutex_);
        self.idle_.push_back(std::move(connection));
      }
    } give_back{*this, connection};
    return connection->exec(sql, params);
  }

 private:
  std::unique_ptr<SqliteConnection> take() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) {
      throw std::logic_error("sql: more concurrent readers than reader connections");
    }
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string name, const SqliteOptions& options)
      : name_(std::move(name)),
        writer_connection_(options, false),
        readers_(options, std::max(1, options.readers)),
        inline_reads_(options, options.inline_read_budget),
        reader_pool_(static_cast<std::size_t>(std::max(1, options.readers))),
        writer_work_(asio::make_work_guard(writer_context_)),
        writer_thread_([this] { writer_context_.run(); }) {}

  ~SqliteDatabase() override {
    // Lets transactions already queued finish, then the writer thread returns from run().
    writer_work_.reset();
    writer_thread_.join();
    reader_pool_.join();
  }

  Dialect dialect() const override { return Dialect::sqlite; }
  const std::string& name() const override { return name_; }

  // Not coroutines: the work is done or handed to its thread before the caller's frame suspends,
  // and the SQL is copied first because the caller's string_view may not outlive the call
  // expression.
  asio::awaitable<Result> query(std::string_view sql, std::vector<Value> params) override {
    ++counters_->statements;
    auto called = std::chrono::steady_clock::now();
    try {
      CallTimer timer(counters_->call_seconds);
      if (auto result = inline_reads_.try_run(sql, params))
        return ready(std::move(*result));  // on the calling thread: no hand-over
    } catch (...) {
      return failed(std::current_exception());
    }
    ++counters_->round_trips;  // the hand-over to a reader thread
    return asio::co_spawn(reader_pool_, run_query(std::string(sql), std::move(params), called),
                          asio::use_awaitable);
  }

  asio::awaitable<void> transact(std::function<asio::awaitable<void>(Transaction&)> body) override {
    if (writer_context_.get_executor().running_in_this_thread()) {
      // Only transaction bodies run on the writer thread: this is a nested transact, which
      // would wait forever for the lock its own caller holds.
      throw std::logic_error("sql: transact called inside a transaction of " + name_);
    }
    ++counters_->transactions;
    ++counters_->round_trips;  // the hand-over to the writer thread
    return asio::co_spawn(writer_context_,
                          run_transaction(std::move(body), std::chrono::steady_clock::now()),
                          asio::use_awaitable);
  }

  asio::awaitable<bool> ping() override {
    try {
      Result result = co_await query("SELECT 1", {});
      co_return result.rows.size() == 1;
    } catch (const std::exception&) {
      co_return false;
    }
  }

 private:
  // Runs on a reader pool thread.
  asio::awaitable<Result> run_query(std::string sql, std::vector<Value> params,
                                    std::chrono::steady_clock::time_point called) {
    GaugeGuard in_use(counters_->in_use);
    auto started = std::chrono::steady_clock::now();
    Result result = readers_.exec(sql, params);
    auto finished = std::chrono::steady_clock::now();
    inline_reads_.record(sql, finished - started);
    counters_->call_seconds.observe(std::chrono::duration<double>(finished - called).count());
    co_return result;
  }

  static asio::awaitable<Result> ready(Result result) { co_return result; }
  static asio::awaitable<Result> failed(std::exception_ptr failure) {
    std::rethrow_exception(failure);
    co_return Result{};
  }

  // Concurrent transactions share one SQLite transaction (group commit): the first to arrive
  // opens it and, after its own body, lets every transaction already queued on the writer run its
  // body inside, each under its own savepoint, then commits once for all. A body that fails rolls
  // back to its savepoint alone; a failed COMMIT fails the whole group. Nobody hears "committed"
  // before the COMMIT. One commit per group instead of one per transaction is what lets many
  // small orders share the cost of WAL appends (and of fsync under synchronous=FULL).
  static constexpr int kMaxJoinRounds = 4;
  static constexpr std::size_t kMaxGroupMembers = 512;
  struct Group {
    explicit Group(asio::any_io_executor executor)
        : done(std::move(executor), std::chrono::steady_clock::time_point::max()) {}
    asio::steady_timer done;
    bool finished = false;
    bool broken = false;  // SQLite rolled it back: every member fails
    std::size_t members = 0;
    std::exception_ptr commit_error;
  };

  // Runs on the writer thread.
  asio::awaitable<void> run_transaction(std::function<asio::awaitable<void>(Transaction&)> body,
                                        std::chrono::steady_clock::time_point called) {
    std::shared_ptr<Group> group;
    bool leader = false;
    std::exception_ptr own_failure;
    struct Observe {
      Counters& counters;
      std::chrono::steady_clock::time_point called;
      ~Observe() {
        counters.call_seconds.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - called).count());
      }
    } observe{*counters_, called};
    {
      {
        GaugeGuard waiting(counters_->waiting);
        co_await writer_lock_.lock();
      }
      GaugeGuard in_use(counters_->in_use);
      struct Unlock {
        WriterLock& lock;
        ~Unlock() { lock.unlock(); }
      } unlock{writer_lock_};
      if (!group_) {
        writer_connection_.exec("BEGIN IMMEDIATE", {});
        group_ = std::make_shared<Group>(writer_context_.get_executor());
        leader = true;
      }
      group = group_;
      ++group->members;
      if (group->broken) {
        own_failure = std::make_exception_ptr(
            Error(Error::Kind::other, "sqlite: the group transaction was rolled back"));
      } else {
        own_failure = co_await run_body(body);
      }
    }
    if (!leader) {
      if (own_failure)
        std::rethrow_exception(own_failure);
      if (!group->finished) {
        boost::system::error_code ignored;
        co_await group->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
      if (group->commit_error)
        std::rethrow_exception(group->commit_error);
      co_return;
    }
    // Let the transactions queued behind this one join before committing, and keep the group
    // open while more keep arriving (a few rounds at most, so latency stays bounded): larger
    // groups mean fewer commits for the same work.
    for (int round = 0; round < kMaxJoinRounds && group->members < kMaxGroupMembers; ++round) {
      auto before = group->members;
      co_await asio::post(writer_context_.get_executor(), asio::use_awaitable);
      if (group->members == before)
        break;
    }
    co_await writer_lock_.lock();
    struct Unlock {
      WriterLock& lock;
      ~Unlock() { lock.unlock(); }
    } unlock{writer_lock_};
    if (group->broken) {
      group->commit_error = std::make_exception_ptr(
          Error(Error::Kind::other, "sqlite: the group transaction was rolled back"));
    } else {
      try {
        writer_connection_.exec("COMMIT", {});
      } catch (...) {
        group->commit_error = std::current_exception();
        rollback();
      }
    }
    group_.reset();
    group->finished = true;
    group->done.cancel();
    if (own_failure)
      std::rethrow_exception(own_failure);
    if (group->commit_error)
      std::rethrow_exception(group->commit_error);
  }

  // One body under its own savepoint; returns its failure (its writes then undone) or null.
  asio::awaitable<std::exception_ptr> run_body(
      const std::function<asio::awaitable<void>(Transaction&)>& body) {
    writer_connection_.exec("SAVEPOINT ordo_tx", {});
    SqliteTransaction tx(writer_connection_, *counters_);
    std::exception_ptr failure;
    try {
      co_await body(tx);
    } catch (...) {
      failure = std::current_exception();
    }
    tx.end();
    if (!writer_connection_.in_transaction()) {
      // SQLite rolled the whole group back on its own: no member of it may report success.
      group_->broken = true;
      co_return failure ? failure
                        : std::make_exception_ptr(
                              Error(Error::Kind::other, "sqlite: the transaction was rolled back"));
    }
    if (failure) {
      writer_connection_.exec("ROLLBACK TO ordo_tx", {});
    }
    writer_connection_.exec("RELEASE ordo_tx", {});
    co_return failure;
  }

  void rollback() noexcept {
    try {
      writer_connection_.exec("ROLLBACK", {});
    } catch (const std::exception&) {
      // SQLite already rolled back on its own (e.g. after a failed COMMIT): nothing to undo.
    }
  }

  std::string name_;
  SqliteConnection writer_connection_;  // only touched on writer_thread_
  ReaderConnections readers_;
  InlineReads inline_reads_;
  asio::thread_pool reader_pool_;
  WriterLock writer_lock_;
  std::shared_ptr<Group> group_;  // the open group transaction, if any (writer thread only)
  asio::io_context writer_context_{1};
  asio::executor_work_guard<asio::io_context::executor_type> writer_work_;
  std::thread writer_thread_;
};
}  // namespace

std::unique_ptr<Database> open_sqlite(const std::string& service_name,
                                      const SqliteOptions& options) {
  if (options.path.empty() || options.path == ":memory:" ||
      options.path.rfind("file::memory:", 0) == 0) {
    throw Error(Error::Kind::connection,
                "sqlite: a database file path is required (readers need a shared file)");
  }
  return std::make_unique<SqliteDatabase>(service_name, options);
}

}  // namespace ordo::sql
