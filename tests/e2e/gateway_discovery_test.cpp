// Discovery by DNS (issue 14's compose set-up: `--upstream products=http://products:3002` in
// front of `--scale products=N`): the gateway keeps one instance per address of the name, sends
// to each, and follows the answer as addresses come and go. The name is answered by a hosts file
// of the test's own (upstreams.hosts_file: /etc/hosts is not the test's to edit), with
// instances on 127.0.0.2 and 127.0.0.3 (all of 127/8 is loopback); and by the system's resolver
// for localhost.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {

using namespace std::chrono_literals;

int count_lines(const std::string& text, const std::string& part) {
  int count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    count += line.find(part) != std::string::npos ? 1 : 0;
  return count;
}

std::string port_of(const std::string& origin) {
  return origin.substr(origin.rfind(':') + 1);
}

// Replaced whole (write, then rename), as a resolver would see an answer change.
void write_hosts(const std::string& path, const std::vector<std::string>& addresses,
                 const std::string& name) {
  std::ofstream out(path + ".new");
  out << "# the test's own hosts file\n";
  for (const auto& address : addresses)
    out << address << " " << name << "\n";
  out.close();
  std::rename((path + ".new").c_str(), path.c_str());
}

// The instances /ready lists for the service: origin -> the name they were found by.
std::map<std::string, std::string> listed(Session& session, const std::string& service) {
  std::map<std::string, std::string> out;
  auto ready = Session::json(session.request("GET", "/ready"));
  if (!ready.is_object() || !ready.as_object().contains("instances"))
    return out;
  for (const auto& instance : ready.at("instances").at(service).as_array()) {
    const auto& object = instance.as_object();
    out[std::string(object.at("origin").as_string())] =
        object.contains("name") ? std::string(object.at("name").as_string()) : "";
  }
  return out;
}

// How many of the service's instances /ready lists as up (an instance found by discovery joins
// once its own /ready passes).
std::size_t up_count(Session& session, const std::string& service) {
  std::size_t up = 0;
  auto ready = Session::json(session.request("GET", "/ready"));
  if (!ready.is_object() || !ready.as_object().contains("instances"))
    return up;
  for (const auto& instance : ready.at("instances").at(service).as_array())
    up += instance.at("state") == "up" ? 1 : 0;
  return up;
}

// A products process that is ready: it has the token keys from this users process.
std::vector<std::string> ready_products(const OrdoProcess& users) {
  return {"--service=products", "--upstream", "users=" + users.service_origin("users")};
}

Settings discovery_settings(const std::string& hosts_file) {
  Settings settings = unlimited_rate();
  settings.emplace_back("gateway.expose_details", "true");
  settings.emplace_back("gateway.health_interval_ms", "100");
  settings.emplace_back("gateway.health_timeout_ms", "300");
  settings.emplace_back("upstreams.dns_refresh_ms", "100");
  if (!hosts_file.empty())
    settings.emplace_back("upstreams.hosts_file", hosts_file);
  return settings;
}

TEST(GatewayDiscovery, OneInstancePerAddressOfANameFollowingItsAnswer) {
  OrdoProcess users;  // the keys, without which a service is not ready
  ASSERT_NO_FATAL_FAILURE(users.start({"--service=users"}));
  // Settings, not serve arguments: they come after the harness's own port flags.
  OrdoProcess a(Settings{{"host", "127.0.0.2"}});
  ASSERT_NO_FATAL_FAILURE(a.start(ready_products(users)));
  const std::string port = port_of(a.service_origin("products"));
  OrdoProcess b(Settings{{"host", "127.0.0.3"}, {"products.port", port}});
  ASSERT_NO_FATAL_FAILURE(b.start(ready_products(users)));

  const std::string hosts = temp_dir("ordo-hosts") + "/hosts";
  const std::string name = "products.ordo.test";
  const std::string configured = "http://" + name + ":" + port;
  const std::string at_a = "http://127.0.0.2:" + port;
  const std::string at_b = "http://127.0.0.3:" + port;
  write_hosts(hosts, {"127.0.0.2", "127.0.0.3"}, name);
  OrdoProcess gateway(discovery_settings(hosts));
  ASSERT_NO_FATAL_FAILURE(
      gateway.start({"--service=gateway", "--upstream", "products=" + configured}, true));
  Runner runner;
  Session session(runner, gateway.gateway_origin());

  // Both addresses become instances, each listed with the name it was found by.
  std::map<std::string, std::string> both{{at_a, configured}, {at_b, configured}};
  ASSERT_TRUE(eventually([&] { return listed(session, "products") == both; }))
      << boost::json::serialize(Session::json(session.request("GET", "/ready")));
  ASSERT_TRUE(eventually([&] { return up_count(session, "products") == 2; }))
      << boost::json::serialize(Session::json(session.request("GET", "/ready")));
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(session.request("GET", "/products").status, 200);
  int at_a_before = count_lines(a.log_text(), "\"path\":\"/products\"");
  EXPECT_GE(at_a_before, 3);
  EXPECT_GE(count_lines(b.log_text(), "\"path\":\"/products\""), 3);

  // The name stops answering with A's address: A is dropped and gets nothing more.
  write_hosts(hosts, {"127.0.0.3"}, name);
  std::map<std::string, std::string> only_b{{at_b, configured}};
  ASSERT_TRUE(eventually([&] { return listed(session, "products") == only_b; }));
  at_a_before = count_lines(a.log_text(), "\"path\":\"/products\"");
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(session.request("GET", "/products").status, 200);
  EXPECT_EQ(count_lines(a.log_text(), "\"path\":\"/products\""), at_a_before);

  // A's address is back (a new replica): it is added and takes traffic again.
  write_hosts(hosts, {"127.0.0.3", "127.0.0.2"}, name);
  ASSERT_TRUE(eventually([&] { return listed(session, "products") == both; }));
  ASSERT_TRUE(eventually([&] {
    session.request("GET", "/products");
    return count_lines(a.log_text(), "\"path\":\"/products\"") > at_a_before;
  }));
  EXPECT_NE(gateway.log_text().find("upstream instance removed"), std::string::npos);
}

// The system's resolver on a name /etc/hosts holds: localhost.
TEST(GatewayDiscovery, ANameFromTheSystemResolverBecomesItsAddresses) {
  OrdoProcess users;
  ASSERT_NO_FATAL_FAILURE(users.start({"--service=users"}));
  OrdoProcess products;
  ASSERT_NO_FATAL_FAILURE(products.start(ready_products(users)));
  const std::string port = port_of(products.service_origin("products"));
  const std::string configured = "http://localhost:" + port;
  OrdoProcess gateway(discovery_settings(""));
  ASSERT_NO_FATAL_FAILURE(
      gateway.start({"--service=gateway", "--upstream", "products=" + configured}, true));
  Runner runner;
  Session session(runner, gateway.gateway_origin());
  const std::string at = "http://127.0.0.1:" + port;
  ASSERT_TRUE(eventually([&] {
    auto instances = listed(session, "products");
    return instances.contains(at) && instances[at] == configured;
  })) << boost::json::serialize(Session::json(session.request("GET", "/ready")));
  ASSERT_TRUE(eventually([&] { return session.request("GET", "/products").status == 200; }));
}

// With discovery off, the configured name is the one instance (the client resolves it).
TEST(GatewayDiscovery, OffKeepsTheNameAsOneInstance) {
  OrdoProcess products;
  ASSERT_NO_FATAL_FAILURE(products.start({"--service=products"}));
  const std::string configured = "http://localhost:" + port_of(products.service_origin("products"));
  Settings settings = discovery_settings("");
  settings.emplace_back("upstreams.dns_refresh_ms", "0");
  OrdoProcess gateway(settings);
  ASSERT_NO_FATAL_FAILURE(
      gateway.start({"--service=gateway", "--upstream", "products=" + configured}, true));
  Runner runner;
  Session session(runner, gateway.gateway_origin());
  ASSERT_TRUE(eventually([&] { return session.request("GET", "/products").status == 200; }));
  std::map<std::string, std::string> one{{configured, ""}};
  EXPECT_EQ(listed(session, "products"), one);
}

TEST(GatewayDiscovery, SettingsArePrinted) {
  std::string output;
  auto code = run_command({binary_path(), "config", "print"}, &output);
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("upstreams.dns_refresh_ms = \"5000\""), std::string::npos) << output;
  EXPECT_NE(output.find("upstreams.hosts_file = \"\""), std::string::npos) << output;
  EXPECT_NE(output.find("database.migration_lock_wait_ms = \"60000\""), std::string::npos);
  EXPECT_NE(output.find("database.migration_idle_timeout_ms = \"10000\""), std::string::npos);
}

}  // namespace
}  // namespace ordo::e2e
