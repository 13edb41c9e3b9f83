// Batches in libpq's pipeline mode: every statement of a batch (with the Parse of those prepared
// for the first time) goes out at once, and their results come back in one round trip.
#include <libpq-fe.h>

#include "platform/sql/postgres_connection.hpp"
#include "platform/sql/postgres_protocol.hpp"

#ifndef LIBPQ_HAS_PIPELINING
#error "the PostgreSQL driver needs libpq 14 or newer (pipeline mode)"
#endif

namespace ordo::sql {
namespace {
namespace asio = boost::asio;

bool is_failure(ExecStatusType status) {
  return status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
         status == PGRES_NONFATAL_ERROR;
}

// How the server says that a statement prepared earlier cannot be used as it is: 0A000 "cached
// plan must not change result type" (DDL changed the columns of a table it reads), 26000
// "prepared statement does not exist" (DEALLOCATE ALL or DISCARD ALL ran on the session).
bool stale_statement(const PGresult* result) {
  std::string_view state = PQresultErrorField(result, PG_DIAG_SQLSTATE)
                               ? PQresultErrorField(result, PG_DIAG_SQLSTATE)
                               : "";
  return state == "0A000" || state == "26000";
}
}  // namespace

// One step of a round, in the order libpq returns results for them.
struct PostgresConnection::Command {
  enum class Kind { sync, housekeeping, prepare, execute };
  Kind kind = Kind::sync;
  std::size_t statement = 0;   // prepare, execute: the statement's index in the batch
  std::string key;             // prepare, execute of a cached statement: its cache key
  bool was_confirmed = false;  // execute: prepared by an earlier round (so it can go stale)
};

struct PostgresConnection::Outcome {
  std::vector<Result> results;
  std::optional<Error> failure;  // the first failing statement's
  bool stale = false;            // that failure is a cached statement gone stale
};

asio::awaitable<std::vector<Result>> PostgresConnection::exec_pipelined(
    const std::vector<StatementRef>& statements) {
  begin_use();
  // From an idle connection a failed batch leaves nothing behind (its implicit transaction, or
  // the explicit one it began, is rolled back), so it may be sent again.
  bool restartable = PQtransactionStatus(conn_) == PQTRANS_IDLE;
  Outcome outcome = co_await round_trip(statements, false);
  if (outcome.stale && restartable) {
    bool rollback = PQtransactionStatus(conn_) == PQTRANS_INERROR;
    outcome = co_await round_trip(statements, rollback);
  }
  in_flight_ = false;
  if (outcome.stale && !restartable) {
    // The transaction did work before: only its owner can run it again.
    throw Error(Error::Kind::busy, std::string(outcome.failure->what()) +
                                       " (a schema change made a prepared statement stale; "
                                       "the transaction may be run again)");
  }
  if (outcome.failure) {
    throw *outcome.failure;
  }
  co_return std::move(outcome.results);
}

asio::awaitable<PostgresConnection::Outcome> PostgresConnection::round_trip(
    const std::vector<StatementRef>& statements, bool rollback_first) {
  std::vector<Command> commands = send_round(statements, rollback_first);
  ++round_trips_;
  arm_deadline(answer_timeout_);
  co_await flush();
  Outcome outcome;
  outcome.results.resize(statements.size());
  co_await read_round(statements, commands, outcome);
  disarm_deadline();
  if (outcome.failure &&
      (outcome.failure->kind() == Error::Kind::connection || PQstatus(conn_) != CONNECTION_OK)) {
    broken_ = true;
  }
  co_return outcome;
}

std::vector<PostgresConnection::Command> PostgresConnection::send_round(
    const std::vector<StatementRef>& statements, bool rollback_first) {
  if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_) != 1) {
    fail_connection("cannot enter pipeline mode");
  }
  std::vector<Command> commands;
  send_housekeeping(rollback_first, commands);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    send_statement(statements[i], i, commands);
  }
  if (PQpipelineSync(conn_) != 1) {
    fail_connection("cannot send");
  }
  commands.emplace_back();
  return commands;
}

// A ROLLBACK of the failed transaction a batch is resent after, and the DEALLOCATE of stale
// statements (only outside a transaction: it fails in an aborted one). They end with a Sync of
// their own, so whatever becomes of them the batch starts afresh.
void PostgresConnection::send_housekeeping(bool rollback_first, std::vector<Command>& commands) {
  std::vector<std::string> stale;
  if (rollback_first || PQtransactionStatus(conn_) == PQTRANS_IDLE) {
    stale = statements_.take_deallocations();
  }
  if (!rollback_first && stale.empty()) {
    return;
  }
  auto send = [&](const std::string& sql) {
    if (!PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)) {
      fail_connection("cannot send");
    }
    Command command;
    command.kind = Command::Kind::housekeeping;
    commands.push_back(std::move(command));
  };
  if (rollback_first) {
    send("ROLLBACK");
  }
  for (const std::string& name : stale) {
    send("DEALLOCATE " + name);
  }
  if (PQpipelineSync(conn_) != 1) {
    fail_connection("cannot send");
  }
  commands.emplace_back();
}

void PostgresConnection::send_statement(const StatementRef& statement, std::size_t index,
                                        std::vector<Command>& commands) {
  const std::vector<Value>& params = *statement.params;
  pg::Parameters p(params);
  std::string text(statement.sql);
  Command execute;
  execute.kind = Command::Kind::execute;
  execute.statement = index;
  const char* name = nullptr;
  if (pg::worth_preparing(statement.sql)) {
    std::string key = text + '\0' + pg::type_signature(params);
    pg::StatementCache::Lookup cached = statements_.find_or_add(key);
    if (cached.entry) {
      name = cached.entry->name.c_str();  // stays put: the map's nodes do not move
      execute.was_confirmed = cached.entry->confirmed;
      if (cached.is_new) {
        if (!PQsendPrepare(conn_, name, text.c_str(), p.count(), p.types.data())) {
          fail_connection("cannot send");
        }
        Command prepare;
        prepare.kind = Command::Kind::prepare;
        prepare.statement = index;
        prepare.key = key;
        commands.push_back(std::move(prepare));
      }
      execute.key = std::move(key);
    }
  }
  int sent = name
                 ? PQsendQueryPrepared(conn_, name, p.count(), p.values.data(), nullptr, nullptr, 0)
                 : PQsendQueryParams(conn_, text.c_str(), p.count(), p.types.data(),
                                     p.values.data(), nullptr, nullptr, 0);
  if (!sent) {
    fail_connection("cannot send");
  }
  commands.push_back(std::move(execute));
}

asio::awaitable<PostgresConnection::ResultPtr> PostgresConnection::next_result() {
  while (PQisBusy(conn_)) {
    co_await wait(false);
    if (!PQconsumeInput(conn_)) {
      input_failed_ = true;
      co_return nullptr;
    }
  }
  co_return ResultPtr(PQgetResult(conn_));
}

// Reads every command's results up to the final Sync, even after a failure, so the connection
// is ready for the next round (the server skips what follows a failure until the Sync, and libpq
// reports those commands as PGRES_PIPELINE_ABORTED).
asio::awaitable<void> PostgresConnection::read_round(const std::vector<StatementRef>& statements,
                                                     const std::vector<Command>& commands,
                                                     Outcome& outcome) {
  for (const Command& command : commands) {
    if (command.kind == Command::Kind::sync) {
      ResultPtr result = co_await next_result();
      if (!result || PQresultStatus(result.get()) != PGRES_PIPELINE_SYNC) {
        lost_mid_round(outcome);
      }
      continue;
    }
    for (;;) {
      ResultPtr result = co_await next_result();
      if (!result) {
        break;
      }
      take_result(statements, command, result.get(), outcome);
    }
    if (input_failed_ || PQstatus(conn_) != CONNECTION_OK) {
      lost_mid_round(outcome);
    }
  }
}

void PostgresConnection::take_result(const std::vector<StatementRef>& statements,
                                     const Command& command, const pg_result* result,
                                     Outcome& outcome) {
  ExecStatusType status = PQresultStatus(result);
  if (command.kind == Command::Kind::housekeeping) {
    return;  // a failure here cannot touch the batch, which follows a Sync of its own
  }
  std::string_view sql = statements[command.statement].sql;
  if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
    fail_connection("COPY is not supported: " + std::string(sql.substr(0, 60)));
  }
  if (command.kind == Command::Kind::prepare) {
    if (status == PGRES_COMMAND_OK) {
      statements_.confirm(command.key);
      return;
    }
    statements_.forget(command.key);  // failed or skipped: the name was never created
  } else if (status == PGRES_PIPELINE_ABORTED) {
    return;  // skipped after an earlier failure, which is the one reported
  } else if (!is_failure(status)) {
    outcome.results[command.statement] = pg::to_result(result);
    last_command_ = PQcmdStatus(const_cast<pg_result*>(result));
    return;
  } else if (command.was_confirmed && stale_statement(result)) {
    statements_.drop_stale(command.key);
    outcome.stale = !outcome.failure;
  }
  if (is_failure(status) && !outcome.failure) {
    outcome.failure = pg::error_from(result, conn_, sql);
  }
}

void PostgresConnection::lost_mid_round(Outcome& outcome) {
  broken_ = true;
  if (outcome.failure && outcome.failure->kind() == Error::Kind::connection) {
    disarm_deadline();
    throw *outcome.failure;  // the server's own reason (e.g. 57P01 admin shutdown)
  }
  fail_connection("connection lost");
}

}  // namespace ordo::sql
