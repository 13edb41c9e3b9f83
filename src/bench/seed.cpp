// Seeding through the gateway with the typed API client; registrations run a few at a time
// because each costs an Argon2id hash on the server.
#include "bench/seed.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bench/progress.hpp"
#include "bench/sync.hpp"
#include "client/api_client.hpp"

namespace ordo::bench {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kPassword = "bench password 1234";

std::string unique_email(const std::string& tag, std::size_t index) {
  return "bench-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(index) +
         "@example.com";
}

awaitable<std::string> login(http::Client& http, const std::string& origin,
                             const std::string& email, const std::string& password) {
  client::ApiClient api(http, origin);
  auto tokens = co_await api.login(email, password);
  co_return tokens.access_token;
}

awaitable<void> register_range(http::Client& http, const std::string& origin,
                               std::vector<Account>& accounts, std::size_t& next) {
  while (next < accounts.size()) {
    auto& account = accounts[next++];
    client::ApiClient api(http, origin);
    // A named string: g++ 12 corrupts temporaries that live across a co_await.
    const std::string name = "Bench user";
    co_await api.register_user(account.email, account.password, name);
    auto tokens = co_await api.login(account.email, account.password);
    account.access_token = tokens.access_token;
  }
}

awaitable<void> register_all(http::Client& http, const std::string& origin,
                             std::vector<Account>& accounts, std::size_t first) {
  auto executor = co_await boost::asio::this_coro::executor;
  std::size_t next = first;
  int running = std::min<int>(8, static_cast<int>(accounts.size() - first));
  std::exception_ptr failure;
  int workers = running;
  for (int i = 0; i < workers; ++i) {
    boost::asio::co_spawn(executor, register_range(http, origin, accounts, next),
                          [&running, &failure](std::exception_ptr error) {
                            if (error && !failure)
                              failure = error;
                            --running;
                          });
  }
  boost::asio::steady_timer tick(executor);
  while (running > 0) {
    tick.expires_after(std::chrono::milliseconds(5));
    co_await tick.async_wait(boost::asio::use_awaitable);
  }
  if (failure)
    std::rethrow_exception(failure);
}

awaitable<std::string> create_product(http::Client& http, const std::string& origin,
                                      const std::string& token, std::size_t index,
                                      std::int64_t stock) {
  client::ApiClient api(http, origin);
  api.set_access_token(token);
  client::NewProduct product;
  product.sku = "BENCH-" + std::to_string(::getpid()) + "-" + std::to_string(index);
  product.name = "Bench product " + std::to_string(index);
  product.description = "seeded by ordo bench";
  product.price_cents = 1000 + static_cast<std::int64_t>(index);
  product.category = "bench";
  product.initial_stock = stock;
  auto created = co_await api.create_product(product);
  co_return created.value.id;
}

// Inventory learns of a product from its event: orders placed before that would be rejected.
awaitable<void> wait_for_stock(http::Client& http, const std::string& origin,
                               const std::string& product_id) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  client::ApiClient api(http, origin);
  while (true) {
    int refused = 0;  // 404 until inventory heard of the product
    try {
      co_await api.stock(product_id);
    } catch (const client::ApiError& not_yet) {
      refused = not_yet.status();
    }
    if (refused == 0)
      co_return;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the stock of product " + product_id + " never appeared (last " +
                               std::to_string(refused) + ")");
    boost::asio::steady_timer pause(executor, std::chrono::milliseconds(10));
    co_await pause.async_wait(boost::asio::use_awaitable);
  }
}

awaitable<void> create_products(http::Client& http, const std::string& origin,
                                const std::string& token, std::vector<std::string>& products,
                                std::size_t n, std::int64_t stock) {
  while (products.size() < n) {
    auto id = co_await create_product(http, origin, token, products.size(), stock);
    products.push_back(std::move(id));
  }
  for (const auto& id : products)
    co_await wait_for_stock(http, origin, id);
}

}  // namespace

const Account& Seeder::admin() {
  if (admin_)
    return *admin_;
  Account account{unique_email("admin", 0), std::string(kPassword), {}};
  std::vector<std::string> args{system_.binary()};
  for (auto& arg : system_.common_args())
    args.push_back(std::move(arg));
  for (const char* arg : {"users", "create-admin", "--email"})
    args.emplace_back(arg);
  args.push_back(account.email);
  args.emplace_back("--password");
  args.push_back(account.password);
  std::string output;
  if (run_command(args, &output) != 0)
    throw std::runtime_error("ordo users create-admin failed: " + output);
  http::Client http(io_.get_executor());
  account.access_token =
      run_sync(io_, login(http, system_.gateway_origin(), account.email, account.password));
  admin_ = std::move(account);
  return *admin_;
}

const std::vector<std::string>& Seeder::products(std::size_t n, std::int64_t stock) {
  if (products_.size() >= n)
    return products_;
  const auto& token = admin().access_token;
  note("seeding " + std::to_string(n - products_.size()) + " products");
  http::Client http(io_.get_executor());
  run_sync(io_, create_products(http, system_.gateway_origin(), token, products_, n, stock));
  return products_;
}

const std::vector<Account>& Seeder::users(std::size_t n) {
  if (users_.size() >= n)
    return users_;
  note("seeding " + std::to_string(n - users_.size()) + " users (registration and login)");
  auto first = users_.size();
  while (users_.size() < n)
    users_.push_back({unique_email("user", users_.size()), std::string(kPassword), {}});
  http::Client http(io_.get_executor());
  run_sync(io_, register_all(http, system_.gateway_origin(), users_, first));
  return users_;
}

}  // namespace ordo::bench
