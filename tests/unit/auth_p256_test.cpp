// P-256 keys: the VAPID key file is made once, kept private and read back as the same key;
// points are validated.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "platform/auth/p256.hpp"
#include "platform/core/ids.hpp"

namespace ordo::auth {
namespace {

std::filesystem::path temp_dir() {
  return std::filesystem::temp_directory_path() / ("ordo-p256-" + core::random_hex(8));
}

TEST(P256Key, TheKeyFileIsMadeOnceAndReadBack) {
  auto dir = temp_dir();
  auto path = (dir / "keys" / "vapid-key.pem").string();
  auto first = load_or_create_p256_key(path);
  auto again = load_or_create_p256_key(path);
  EXPECT_EQ(first.public_point(), again.public_point());
  EXPECT_EQ(first.public_point().size(), 65u);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::filesystem::remove_all(dir);
}

TEST(P256Key, AFileThatIsNotAKeyIsAnError) {
  auto dir = temp_dir();
  std::filesystem::create_directories(dir);
  auto path = (dir / "vapid-key.pem").string();
  std::ofstream(path) << "not a key\n";
  EXPECT_THROW(load_or_create_p256_key(path), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(P256Key, PointsAreCheckedAndEcdhAgrees) {
  auto a = P256Key::generate();
  auto b = P256Key::generate();
  EXPECT_TRUE(is_p256_point(a.public_point()));
  auto bent = a.public_point();
  bent[64] = static_cast<char>(bent[64] ^ 1);
  EXPECT_FALSE(is_p256_point(bent));
  EXPECT_FALSE(is_p256_point(std::string(65, '\0')));
  EXPECT_FALSE(is_p256_point("\x04short"));
  EXPECT_EQ(a.derive(b.public_point()), b.derive(a.public_point()));
  auto public_only = P256Key::from_public_point(a.public_point());
  ASSERT_TRUE(public_only.has_value());
  EXPECT_FALSE(public_only->has_private());
  auto signature = a.sign_es256("data");
  EXPECT_TRUE(public_only->verify_es256("data", signature));
  EXPECT_FALSE(public_only->verify_es256("date", signature));
}

}  // namespace
}  // namespace ordo::auth
