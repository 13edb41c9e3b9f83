#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <vector>

#include <gtest/gtest.h>

#include "platform/auth/keys.hpp"
#include "platform/core/ids.hpp"

namespace ordo::auth {
namespace {
namespace fs = std::filesystem;

class SigningKeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ordo-keys-" + core::random_hex(8));
    dir_ = root_ / "data";
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path key_file() const { return dir_ / "jwt-signing-key.json"; }
  void overwrite(const std::string& text) const { std::ofstream(key_file()) << text; }
  unsigned mode_of(const fs::path& path) const {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0);
    return info.st_mode & 07777;
  }

  fs::path root_;
  fs::path dir_;
};

TEST_F(SigningKeyFile, CreatesThenLoadsTheSameKey) {
  const SigningKey created = load_or_create_signing_key(dir_.string());
  EXPECT_EQ(created.secret_key.size(), 64u);
  EXPECT_EQ(created.public_key.size(), 32u);
  EXPECT_EQ(created.kid.size(), 16u);
  const SigningKey loaded = load_or_create_signing_key(dir_.string());
  EXPECT_EQ(loaded.kid, created.kid);
  EXPECT_EQ(loaded.secret_key, created.secret_key);
  EXPECT_EQ(loaded.public_key, created.public_key);
}

TEST_F(SigningKeyFile, FileIsPrivateAndDirectoryLockedDown) {
  load_or_create_signing_key(dir_.string());
  EXPECT_EQ(mode_of(key_file()), 0600u);
  EXPECT_EQ(mode_of(dir_), 0700u);
  // No temp files are left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(SigningKeyFile, ConcurrentFirstStartsAgreeOnOneKey) {
  std::vector<std::future<SigningKey>> starts;
  for (int i = 0; i < 8; ++i) {
    starts.push_back(std::async(std::launch::async,
                                [this] { return load_or_create_signing_key(dir_.string()); }));
  }
  const std::string kid = starts.front().get().kid;
  for (std::size_t i = 1; i < starts.size(); ++i) {
    EXPECT_EQ(starts[i].get().kid, kid);
  }
  EXPECT_EQ(load_or_create_signing_key(dir_.string()).kid, kid);
}

TEST_F(SigningKeyFile, CorruptedFileIsAnErrorNotANewKey) {
  const SigningKey original = load_or_create_signing_key(dir_.string());
  for (const std::string& text : {
           std::string(""),
           std::string("not json"),
           std::string("[]"),
           std::string(R"({"kid":"x"})"),
           std::string(R"({"kid":")" + original.kid + R"(","seed":"c2hvcnQ"})"),
           std::string(R"({"kid":")" + original.kid + R"(","seed":42})"),
           std::string(R"({"kid":"AAAAAAAAAAAAAAAA","seed":")" + std::string(43, 'A') + "\"}"),
       }) {
    overwrite(text);
    try {
      load_or_create_signing_key(dir_.string());
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string(error.what()).find("corrupted"), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("jwt-signing-key.json"), std::string::npos);
    }
  }
}

TEST_F(SigningKeyFile, PublicPartAndKeySet) {
  const SigningKey key = load_or_create_signing_key(dir_.string());
  const VerificationKey pub = public_part(key);
  EXPECT_EQ(pub.kid, key.kid);
  EXPECT_EQ(pub.public_key, key.public_key);
  const auto set = key_set(key);
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set.at(key.kid).public_key, key.public_key);
}

}  // namespace
}  // namespace ordo::auth
