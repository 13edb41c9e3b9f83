// Each transaction remembers the channels its body notified; after the inner transact returned
// (so after COMMIT, for SQLite's group commit too) their listeners run. A body that threw, or a
// COMMIT that failed, notifies nobody.
#include "platform/sql/commit_listeners.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "platform/log/log.hpp"

namespace ordo::sql {
namespace {
namespace asio = boost::asio;
using Body = std::function<asio::awaitable<void>(Transaction&)>;

class ListeningTransaction final : public Transaction {
 public:
  explicit ListeningTransaction(Transaction& inner) : inner_(inner) {}

  asio::awaitable<Result> exec(std::string_view sql, std::vector<Value> params) override {
    return inner_.exec(sql, std::move(params));
  }

  // Forwarded, not the default: the driver sends a batch in one round trip.
  asio::awaitable<std::vector<Result>> exec_all(std::vector<Statement> statements) override {
    return inner_.exec_all(std::move(statements));
  }

  void notify(std::string_view channel) override {
    if (std::find(channels_.begin(), channels_.end(), channel) == channels_.end())
      channels_.emplace_back(channel);
  }

  std::vector<std::string> take_channels() { return std::move(channels_); }

 private:
  Transaction& inner_;
  std::vector<std::string> channels_;
};

class CommitListeningDatabase final : public Database {
 public:
  explicit CommitListeningDatabase(std::unique_ptr<Database> inner) : inner_(std::move(inner)) {
    share_counters_of(*inner_);
  }

  Dialect dialect() const override { return inner_->dialect(); }
  const std::string& name() const override { return inner_->name(); }

  asio::awaitable<Result> query(std::string_view sql, std::vector<Value> params) override {
    return inner_->query(sql, std::move(params));
  }

  asio::awaitable<void> transact(Body body) override {
    std::vector<std::string> notified;
    co_await inner_->transact([&](Transaction& tx) -> asio::awaitable<void> {
      ListeningTransaction listening(tx);
      co_await body(listening);
      notified = listening.take_channels();
    });
    for (const auto& channel : notified)
      deliver(channel);
  }

  asio::awaitable<bool> ping() override { return inner_->ping(); }

  void listen(std::string channel, std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    listeners_[std::move(channel)].push_back(std::move(fn));
  }

 private:
  void deliver(const std::string& channel) {
    std::vector<std::function<void()>> listeners;
    {
      std::lock_guard lock(mutex_);
      auto it = listeners_.find(channel);
      if (it == listeners_.end())
        return;
      listeners = it->second;
    }
    for (const auto& listener : listeners) {
      try {
        listener();
      } catch (const std::exception& e) {
        // The commit stands whatever a listener does; its caller must not hear otherwise.
        log::error(inner_->name(), "commit listener failed",
                   {{"channel", channel}, {"error", e.what()}});
      }
    }
  }

  std::unique_ptr<Database> inner_;
  std::mutex mutex_;  // listen() may come from another thread than the transactions
  std::map<std::string, std::vector<std::function<void()>>, std::less<>> listeners_;
};
}  // namespace

std::unique_ptr<Database> with_commit_listeners(std::unique_ptr<Database> inner) {
  return std::make_unique<CommitListeningDatabase>(std::move(inner));
}

}  // namespace ordo::sql
