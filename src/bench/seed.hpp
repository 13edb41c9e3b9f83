// Seeding the system under test through its public API: an admin, products with stock, users
// with tokens. Kept between scenarios (and sweep points) of one run, so each is made once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bench/system.hpp"

namespace ordo::bench {

struct Account {
  std::string email;
  std::string password;
  std::string access_token;
};

class Seeder {
 public:
  Seeder(boost::asio::io_context& io, OrdoSystem& system) : io_(io), system_(system) {}

  // `ordo users create-admin` on the system's data directory, then a login.
  const Account& admin();
  // At least n products, each with this initial stock, visible in inventory (stock readable).
  const std::vector<std::string>& products(std::size_t n, std::int64_t stock = 10'000'000);
  // At least n registered users, logged in.
  const std::vector<Account>& users(std::size_t n);

 private:
  boost::asio::io_context& io_;
  OrdoSystem& system_;
  std::optional<Account> admin_;
  std::vector<std::string> products_;
  std::vector<Account> users_;
};

}  // namespace ordo::bench
