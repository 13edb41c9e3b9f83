#include <gtest/gtest.h>

#include "platform/http/forwarded.hpp"

namespace ordo::http {
namespace {

Request from(std::string peer, std::optional<std::string> forwarded = std::nullopt) {
  Request request;
  request.remote_address = std::move(peer);
  if (forwarded)
    request.headers.set("X-Forwarded-For", *forwarded);
  return request;
}

TEST(TrustedProxies, AddressesAndBlocks) {
  TrustedProxies proxies({"127.0.0.1", "::1", "10.1.0.0/16", "fd00::/8"});
  EXPECT_TRUE(proxies.trusts("127.0.0.1"));
  EXPECT_TRUE(proxies.trusts("::1"));
  EXPECT_TRUE(proxies.trusts("10.1.200.3"));
  EXPECT_TRUE(proxies.trusts("::ffff:10.1.0.9"));  // v4-mapped, as a dual-stack socket says it
  EXPECT_TRUE(proxies.trusts("fd12::5"));
  EXPECT_FALSE(proxies.trusts("10.2.0.1"));
  EXPECT_FALSE(proxies.trusts("127.0.0.2"));
  EXPECT_FALSE(proxies.trusts("fe80::1"));
  EXPECT_FALSE(proxies.trusts("not an address"));
}

TEST(TrustedProxies, BadEntriesAreRefused) {
  for (const char* entry : {"", "localhost", "10.0.0.0/33", "10.0.0/8", "::1/129", "1.2.3.4/x"})
    EXPECT_FALSE(TrustedProxies::valid_entry(entry)) << entry;
  EXPECT_THROW(TrustedProxies({"nope"}), std::invalid_argument);
  EXPECT_TRUE(TrustedProxies::valid_entry("192.168.0.0/24"));
}

TEST(ClientAddress, BelievesTheHeaderOnlyFromATrustedPeer) {
  TrustedProxies proxies({"127.0.0.1"});
  EXPECT_EQ(client_address(from("127.0.0.1", "203.0.113.9"), proxies), "203.0.113.9");
  // The last entry is the one the trusted proxy added; earlier ones are the client's word.
  EXPECT_EQ(client_address(from("127.0.0.1", "6.6.6.6, 203.0.113.9"), proxies), "203.0.113.9");
  EXPECT_EQ(client_address(from("198.51.100.1", "203.0.113.9"), proxies), "198.51.100.1");
  EXPECT_EQ(client_address(from("127.0.0.1"), proxies), "127.0.0.1");
  EXPECT_EQ(client_address(from("127.0.0.1", "garbage"), proxies), "127.0.0.1");
  EXPECT_EQ(client_address(from("127.0.0.1", ""), proxies), "127.0.0.1");
}

}  // namespace
}  // namespace ordo::http
