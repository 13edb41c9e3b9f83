#include "platform/auth/keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sodium.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "platform/core/encoding.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/sodium.hpp"

namespace ordo::auth {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {
constexpr std::string_view kFileName = "jwt-signing-key.json";
constexpr std::uintmax_t kMaxFileBytes = 64 * 1024;

// The kid is derived from the public key, so it is stable across restarts and a corrupted file
// (seed and kid disagreeing) is detectable.
std::string kid_for(std::string_view public_key) {
  return core::base64url_encode(core::sha256(public_key)).substr(0, 16);
}

SigningKey key_from_seed(std::string_view seed) {
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> sk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  SigningKey key;
  key.public_key.assign(reinterpret_cast<const char*>(pk.data()), pk.size());
  key.secret_key.assign(reinterpret_cast<const char*>(sk.data()), sk.size());
  key.kid = kid_for(key.public_key);
  sodium_memzero(sk.data(), sk.size());
  return key;
}

[[noreturn]] void corrupted(const fs::path& file, const std::string& why) {
  throw std::runtime_error("signing key file " + file.string() + " is corrupted (" + why +
                           "); restore it from backup or remove it to issue a new key, which "
                           "invalidates every token already issued");
}

// The seed of a key file, checked against its kid.
std::string read_key_file_seed(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) {
    throw std::runtime_error("cannot read signing key file " + file.string() + ": " + ec.message());
  }
  if (size > kMaxFileBytes) {
    corrupted(file, "file too large");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open signing key file " + file.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code parse_error;
  const json::value document = json::parse(text.str(), parse_error);
  if (parse_error || !document.is_object()) {
    corrupted(file, "not a JSON object");
  }
  const auto& object = document.get_object();
  const auto* kid = object.if_contains("kid");
  const auto* seed_text = object.if_contains("seed");
  if (!kid || !kid->is_string() || !seed_text || !seed_text->is_string()) {
    corrupted(file, "missing \"kid\" or \"seed\"");
  }
  auto seed = core::base64url_decode(seed_text->get_string());
  if (!seed || seed->size() != crypto_sign_SEEDBYTES) {
    corrupted(file, "seed is not 32 base64url bytes");
  }
  if (key_from_seed(*seed).kid != kid->get_string()) {
    corrupted(file, "kid does not match the key");
  }
  return std::move(*seed);
}

SigningKey read_key_file(const fs::path& file) {
  std::string seed = read_key_file_seed(file);
  SigningKey key = key_from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

void write_all(int fd, const std::string& data, const fs::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

// Makes the new directory entry durable; best effort, the key itself is already on disk.
void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Writes a fresh key to a private temp file, then link()s it into place: link fails with EEXIST
// when another process got there first, so exactly one key ever becomes the file, and it is
// complete when it appears. Returns false when we lost that race.
}  // namespace

bool publish_new_key_file(const fs::path& file, const std::string& contents) {
  const fs::path temp = file.string() + ".tmp-" + core::random_hex(8);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error("cannot create " + temp.string() + ": " + std::strerror(errno));
  }
  try {
    write_all(fd, contents, temp);
    if (::fsync(fd) != 0) {
      throw std::runtime_error("cannot sync " + temp.string() + ": " + std::strerror(errno));
    }
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  const int linked = ::link(temp.c_str(), file.c_str());
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(link_errno));
  }
  if (linked == 0) {
    sync_directory(file.parent_path());
  }
  return linked == 0;
}

void ensure_key_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::create_directories(dir, ec)) {
    // Only a directory we created is ours to lock down; an existing one keeps its owner's mode.
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  if (ec || !fs::is_directory(dir)) {
    throw std::runtime_error("cannot create key directory " + dir.string() +
                             (ec ? ": " + ec.message() : ""));
  }
}

SigningKey load_or_create_signing_key(const std::string& dir) {
  core::ensure_sodium();
  const fs::path directory(dir);
  ensure_key_directory(directory);
  const fs::path file = directory / kFileName;
  std::error_code ec;
  if (fs::exists(fs::symlink_status(file, ec))) {
    return read_key_file(file);
  }

  std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
  randombytes_buf(seed.data(), seed.size());
  const std::string_view seed_view(reinterpret_cast<const char*>(seed.data()), seed.size());
  SigningKey key = key_from_seed(seed_view);
  json::object document;
  document["kid"] = key.kid;
  document["seed"] = core::base64url_encode(seed_view);
  sodium_memzero(seed.data(), seed.size());
  std::string contents = json::serialize(document) + '\n';
  const bool won = publish_new_key_file(file, contents);
  sodium_memzero(contents.data(), contents.size());
  // The loser of a concurrent first start adopts the winner's key.
  return won ? key : read_key_file(file);
}

SigningKey signing_key_from_seed(std::string_view seed) {
  core::ensure_sodium();
  if (seed.size() != crypto_sign_SEEDBYTES)
    throw std::invalid_argument("an Ed25519 seed is 32 bytes");
  return key_from_seed(seed);
}

std::string new_signing_key_seed() {
  core::ensure_sodium();
  std::string seed(crypto_sign_SEEDBYTES, '\0');
  randombytes_buf(seed.data(), seed.size());
  return seed;
}

std::optional<std::string> read_signing_key_file_seed(const std::string& dir) {
  core::ensure_sodium();
  const fs::path file = fs::path(dir) / kFileName;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec)))
    return std::nullopt;
  return read_key_file_seed(file);
}

VerificationKey public_part(const SigningKey& key) {
  return {key.kid, key.public_key};
}

std::map<std::string, VerificationKey> key_set(const SigningKey& key) {
  return {{key.kid, public_part(key)}};
}

}  // namespace ordo::auth
