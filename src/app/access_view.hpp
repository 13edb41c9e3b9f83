// A service's own copy of revoked access (auth::TokenRevocations), kept from the users service's
// user.updated and user.session_ended events. The process gives one to every service, so a demoted,
// deactivated or logged-out user's access tokens stop working everywhere within a second, with a
// lookup in memory per request rather than a call to the users service.
//
// The view is stored in the service's database (tables access_users, access_sessions), for two
// reasons: a restarted process must not forget a revocation, and several instances of a service
// share one durable subscription, so only one of them hears each event. The others re-read what
// changed recently from the shared database every 250 ms (PostgreSQL only: a SQLite file has one
// process).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "platform/auth/revocations.hpp"
#include "platform/bus/bus.hpp"
#include "platform/sql/database.hpp"
#include "platform/sql/migrations.hpp"

namespace ordo::app {

class AccessView {
 public:
  AccessView(boost::asio::any_io_executor executor, sql::Database& db, std::string service);
  ~AccessView();
  AccessView(const AccessView&) = delete;
  AccessView& operator=(const AccessView&) = delete;

  // The tables, numbered from 9101 (the platform's range, beside the bus's 9001...).
  static std::vector<sql::Migration> migrations();

  // The durable subscription that feeds the view: "<service>-access".
  bus::Subscription subscription();
  const auth::TokenRevocations& revocations() const;

  // Reads everything stored; the service answers only after it.
  boost::asio::awaitable<void> load();
  // Follows what other instances consumed and forgets sessions whose tokens all expired.
  void start();
  boost::asio::awaitable<void> stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ordo::app
