// The configuration with every service's section registered, as in the binary: defaults < TOML
// file < ORDO_* environment < overrides, validation, printing.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "host/registry.hpp"
#include "platform/config/config.hpp"
#include "services/gateway/settings.hpp"
#include "services/notifications/settings.hpp"
#include "services/users/settings.hpp"

namespace ordo::config {
namespace {

namespace gateway = services::gateway;
namespace notifications = services::notifications;
namespace users = services::users;

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;
using Overrides = std::vector<std::pair<std::string, std::string>>;
using ::testing::HasSubstr;

// A TOML file in the temp directory, removed when the test ends.
class TomlFile {
 public:
  explicit TomlFile(const std::string& text) {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() / ("ordo-config-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter++) + ".toml");
    std::ofstream out(path_, std::ios::binary);
    out << text;
  }
  ~TomlFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TomlFile(const TomlFile&) = delete;
  TomlFile& operator=(const TomlFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// The ConfigError message of load(), or "" when it succeeded.
std::string load_error(const std::string& file, const Env& env, const Overrides& overrides) {
  try {
    load(file, env, overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

const Setting& setting(const std::string& key) {
  for (const auto& s : settings()) {
    if (s.key == key)
      return s;
  }
  throw std::logic_error("no setting " + key);
}

TEST(ConfigSettings, WebhookSettingsAreReadAndChecked) {
  Config defaults = load("", {}, {});
  EXPECT_FALSE(defaults.section<notifications::Settings>().webhook_allow_private);
  EXPECT_LE(defaults.section<notifications::Settings>().webhook_retry_base,
            defaults.section<notifications::Settings>().webhook_retry_max);
  Config config = load("", {{"ORDO_NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE", "true"}},
                       {{"notifications.webhook_retry_base_ms", "100"},
                        {"notifications.webhook_retry_max_ms", "400"},
                        {"notifications.webhook_timeout_ms", "500"},
                        {"notifications.webhook_disable_after_s", "1"}});
  EXPECT_TRUE(config.section<notifications::Settings>().webhook_allow_private);
  EXPECT_EQ(config.section<notifications::Settings>().webhook_retry_base.count(), 100);
  EXPECT_EQ(config.section<notifications::Settings>().webhook_retry_max.count(), 400);
  EXPECT_EQ(config.section<notifications::Settings>().webhook_timeout.count(), 500);
  EXPECT_EQ(config.section<notifications::Settings>().webhook_disable_after_s, 1);
  EXPECT_NE(load_error("", {},
                       {{"notifications.webhook_retry_base_ms", "5000"},
                        {"notifications.webhook_retry_max_ms", "1000"}})
                .find("webhook_retry_base_ms"),
            std::string::npos);
  EXPECT_NE(load_error("", {}, {{"notifications.webhook_disable_after_s", "0"}}), "");
  EXPECT_NE(load_error("", {}, {{"notifications.webhook_allow_private", "maybe"}}), "");
}

TEST(ConfigSettings, DefaultsWithNothingSet) {
  Config config = load("", {}, {});
  EXPECT_EQ(config.data_dir, "./data");
  EXPECT_EQ(config.host, "127.0.0.1");
  EXPECT_EQ(config.port("gateway"), 3000);
  EXPECT_EQ(config.port("users"), 3001);
  EXPECT_EQ(config.port("notifications"), 3005);
  EXPECT_EQ(config.limits.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(config.jwt_issuer, "ordo");
  EXPECT_EQ(config.jwt_audience, "ordo-api");
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.sqlite_synchronous, "NORMAL");
  EXPECT_TRUE(config.access_log);
  EXPECT_EQ(config.section<users::Settings>().access_token_ttl_s, 900);
  EXPECT_EQ(config.section<users::Settings>().login_max_failures_per_account_address, 5);
  EXPECT_EQ(config.section<users::Settings>().login_max_failures_per_account, 100);
  EXPECT_EQ(config.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(config.section<gateway::Settings>().cors_allowed_origins,
            std::vector<std::string>{"*"});
  EXPECT_TRUE(config.database_url.empty());
  EXPECT_TRUE(config.section<users::Settings>().bootstrap_admin_email.empty());
  EXPECT_TRUE(config.section<users::Settings>().bootstrap_admin_password.empty());
}

TEST(ConfigSettings, AdmissionDefaultsFollowTheWorksCost) {
  Config config = load("", {}, {});
  EXPECT_TRUE(config.admission_enabled);
  EXPECT_GT(config.admission_read_max_in_flight, config.admission_write_max_in_flight);
  // Logins and sign-ups: a few Argon2id hashes per hashing thread, however many there are.
  EXPECT_EQ(config.password_max_in_flight(), 8u * static_cast<std::size_t>(config.hash_threads));
  Config more_threads = load("", {}, {{"auth.hash_threads", "6"}});
  EXPECT_EQ(more_threads.password_max_in_flight(), 48u);
  Config explicit_limit = load("", {}, {{"admission.password_max_in_flight", "3"}});
  EXPECT_EQ(explicit_limit.password_max_in_flight(), 3u);
  Config off = load("", {{"ORDO_ADMISSION_ENABLED", "false"}}, {{"admission.queue_wait_ms", "0"}});
  EXPECT_FALSE(off.admission_enabled);
  EXPECT_EQ(off.admission_queue_wait.count(), 0);
  EXPECT_THAT(load_error("", {}, {{"admission.read_max_in_flight", "0"}}),
              HasSubstr("admission.read_max_in_flight"));
}

TEST(ConfigSettings, EnvironmentWithoutOrdoVariablesChangesNothing) {
  Config config = load("", {{"PATH", "/usr/bin"}, {"HOME", "/root"}, {"GATEWAY_PORT", "1"}}, {});
  EXPECT_EQ(config.port("gateway"), 3000);
}

TEST(ConfigSettings, TomlFileOverridesDefaults) {
  TomlFile file(R"(
data_dir = "/var/lib/ordo"

[gateway]
port = 4000

[http]
max_body_bytes = 2048
upstream_timeout_ms = 2500

[auth]
issuer = "x"
access_token_ttl_s = 60

[log]
level = "debug"
access = false

[rate_limit]
client_per_s = 2.5

[cors]
allowed_origins = ["https://a.example", "https://b.example"]
)");
  Config config = load(file.path(), {}, {});
  EXPECT_EQ(config.data_dir, "/var/lib/ordo");
  EXPECT_EQ(config.port("gateway"), 4000);
  EXPECT_EQ(config.limits.max_body_bytes, 2048u);
  EXPECT_EQ(config.upstream_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(config.jwt_issuer, "x");
  EXPECT_EQ(config.section<users::Settings>().access_token_ttl_s, 60);
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_FALSE(config.access_log);
  EXPECT_DOUBLE_EQ(config.section<gateway::Settings>().rate_limit_client_per_s, 2.5);
  EXPECT_EQ(config.section<gateway::Settings>().cors_allowed_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example"}));
  // Untouched settings keep their defaults.
  EXPECT_EQ(config.jwt_audience, "ordo-api");
  EXPECT_EQ(config.port("users"), 3001);
}

TEST(ConfigSettings, DottedTomlKeysWorkLikeTables) {
  TomlFile file("gateway.port = 4100\nusers.port = 4101\n");
  Config config = load(file.path(), {}, {});
  EXPECT_EQ(config.port("gateway"), 4100);
  EXPECT_EQ(config.port("users"), 4101);
}

TEST(ConfigSettings, TomlFloatsKeepTheirValue) {
  TomlFile file("[rate_limit]\nclient_per_s = 1234567.5\nuser_per_s = 0.123456789\n");
  Config config = load(file.path(), {}, {});
  EXPECT_DOUBLE_EQ(config.section<gateway::Settings>().rate_limit_client_per_s, 1234567.5);
  EXPECT_DOUBLE_EQ(config.section<gateway::Settings>().rate_limit_user_per_s, 0.123456789);
  // And print() shows them without rounding.
  std::string text = print(config);
  EXPECT_THAT(text, HasSubstr("rate_limit.client_per_s = \"1234567.5\""));
  EXPECT_THAT(text, HasSubstr("rate_limit.user_per_s = \"0.123456789\""));
  EXPECT_THAT(text, HasSubstr("rate_limit.client_burst = \"200\""));
}

TEST(ConfigSettings, EnvironmentOverridesFile) {
  TomlFile file("[gateway]\nport = 4000\n[auth]\nissuer = \"from-file\"\n");
  Env env{{"ORDO_GATEWAY_PORT", "5000"}, {"ORDO_LOG_LEVEL", "warn"}};
  Config config = load(file.path(), env, {});
  EXPECT_EQ(config.port("gateway"), 5000);
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_EQ(config.jwt_issuer, "from-file");  // not in the environment: the file's value
}

TEST(ConfigSettings, OverridesOverrideEnvironment) {
  TomlFile file("[gateway]\nport = 4000\n");
  Env env{{"ORDO_GATEWAY_PORT", "5000"}, {"ORDO_AUTH_ISSUER", "from-env"}};
  Config config = load(file.path(), env, {{"gateway.port", "6000"}});
  EXPECT_EQ(config.port("gateway"), 6000);
  EXPECT_EQ(config.jwt_issuer, "from-env");
}

TEST(ConfigSettings, LaterOverridesWin) {
  Config config = load("", {}, {{"gateway.port", "6000"}, {"gateway.port", "6001"}});
  EXPECT_EQ(config.port("gateway"), 6001);
}

TEST(ConfigSettings, UnknownTomlKeyIsAnErrorNamingIt) {
  TomlFile file("[gateway]\nprot = 4000\n");
  std::string error = load_error(file.path(), {}, {});
  EXPECT_THAT(error, HasSubstr("gateway.prot"));
  EXPECT_THAT(error, HasSubstr(file.path()));
}

TEST(ConfigSettings, UnknownOverrideKeyIsAnErrorNamingIt) {
  EXPECT_THAT(load_error("", {}, {{"no.such_thing", "1"}}), HasSubstr("no.such_thing"));
}

TEST(ConfigSettings, BadNumbersAreErrors) {
  EXPECT_THAT(load_error("", {}, {{"gateway.port", "abc"}}), HasSubstr("gateway.port"));
  EXPECT_NE(load_error("", {}, {{"gateway.port", "40x"}}), "");
  EXPECT_NE(load_error("", {}, {{"gateway.port", ""}}), "");
  EXPECT_NE(load_error("", {}, {{"gateway.port", " 4000"}}), "");
  EXPECT_NE(load_error("", {}, {{"gateway.port", "-1"}}), "");
  EXPECT_NE(load_error("", {{"ORDO_SQLITE_READERS", "two"}}, {}), "");
  EXPECT_NE(load_error("", {}, {{"http.max_body_bytes", "1.5"}}), "");
  EXPECT_NE(load_error("", {}, {{"rate_limit.client_per_s", "fast"}}), "");
}

TEST(ConfigSettings, OutOfRangeNumbersAreErrors) {
  EXPECT_THAT(load_error("", {}, {{"gateway.port", "65536"}}), HasSubstr("gateway.port"));
  EXPECT_THAT(load_error("", {}, {{"users.port", "70000"}}), HasSubstr("users.port"));
  EXPECT_THAT(load_error("", {}, {{"sqlite.readers", "0"}}), HasSubstr("sqlite.readers"));
  EXPECT_THAT(load_error("", {}, {{"sqlite.readers", "65"}}), HasSubstr("range"));
  EXPECT_NE(load_error("", {}, {{"auth.access_token_ttl_s", "29"}}), "");
  EXPECT_NE(load_error("", {}, {{"http.max_body_bytes", "0"}}), "");
  EXPECT_NE(load_error("", {}, {{"http.upstream_timeout_ms", "0"}}), "");
  EXPECT_NE(load_error("", {}, {{"http.idle_timeout_ms", "3600001"}}), "");
  EXPECT_NE(load_error("", {}, {{"rate_limit.client_per_s", "0"}}), "");
  // The bounds themselves are allowed.
  EXPECT_EQ(load_error("", {}, {{"sqlite.readers", "64"}, {"auth.access_token_ttl_s", "30"}}), "");
  EXPECT_EQ(load("", {}, {{"gateway.port", "65535"}}).port("gateway"), 65535);
}

// Found by fuzzing (tests/fuzz/config.cpp): "nan" read as a number passed every range check,
// and a rate limit of NaN switched the gateway's limiter off (rate) or refused everything with
// an undefined float-to-int conversion (burst).
TEST(ConfigSettings, NanIsOutOfRange) {
  for (const char* key : {"rate_limit.client_per_s", "rate_limit.client_burst",
                          "rate_limit.user_per_s", "rate_limit.user_burst"}) {
    for (const char* text : {"nan", "-nan", "NAN", "inf"})
      EXPECT_THAT(load_error("", {}, {{key, text}}), HasSubstr(key)) << key << "=" << text;
  }
  EXPECT_THAT(load_error("", {{"ORDO_RATE_LIMIT_CLIENT_PER_S", "nan"}}, {}),
              HasSubstr("out of range"));
}

TEST(ConfigSettings, OutOfRangeInTomlFileIsAnError) {
  TomlFile file("[gateway]\nport = 99999\n");
  EXPECT_THAT(load_error(file.path(), {}, {}), HasSubstr("gateway.port"));
  TomlFile negative("[http]\nmax_body_bytes = -5\n");
  EXPECT_THAT(load_error(negative.path(), {}, {}), HasSubstr("http.max_body_bytes"));
}

TEST(ConfigSettings, BadBooleanIsAnError) {
  EXPECT_THAT(load_error("", {}, {{"log.access", "maybe"}}), HasSubstr("log.access"));
  EXPECT_FALSE(load("", {}, {{"log.access", "no"}}).access_log);
  EXPECT_FALSE(load("", {{"ORDO_LOG_ACCESS", "0"}}, {}).access_log);
}

TEST(ConfigSettings, TomlSyntaxErrorNamesTheLine) {
  TomlFile file("[gateway]\nport = 4000\nthis is not toml\n");
  std::string error = load_error(file.path(), {}, {});
  EXPECT_THAT(error, HasSubstr("line 3"));
  EXPECT_THAT(error, HasSubstr(file.path()));
}

TEST(ConfigSettings, MissingFileIsAConfigError) {
  EXPECT_NE(load_error("/nonexistent/ordo/config.toml", {}, {}), "");
}

TEST(ConfigSettings, EnvNameMapping) {
  EXPECT_EQ(setting("gateway.port").env_name(), "ORDO_GATEWAY_PORT");
  EXPECT_EQ(setting("data_dir").env_name(), "ORDO_DATA_DIR");
  EXPECT_EQ(setting("auth.login_max_failures_per_account").env_name(),
            "ORDO_AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT");
  EXPECT_EQ(setting("users.upstreams").env_name(), "ORDO_USERS_UPSTREAMS");
}

TEST(ConfigSettings, RegistryHasUniqueKeysAndEnvNames) {
  std::set<std::string> keys;
  std::set<std::string> env_names;
  for (const auto& s : settings()) {
    EXPECT_TRUE(keys.insert(s.key).second) << "duplicate key " << s.key;
    EXPECT_TRUE(env_names.insert(s.env_name()).second) << "duplicate env " << s.env_name();
    EXPECT_FALSE(s.help.empty()) << s.key;
    EXPECT_TRUE(s.set && s.get) << s.key;
  }
  // Every registered service has its port; the ones reached over HTTP their upstreams too.
  ASSERT_EQ(host::service_registry().size(), 6u);
  for (const auto& definition : host::service_registry()) {
    EXPECT_TRUE(keys.count(definition.name + ".port")) << definition.name;
    EXPECT_EQ(keys.count(definition.name + ".upstreams"), definition.make != nullptr ? 1u : 0u)
        << definition.name;
  }
}

TEST(ConfigSettings, EverySettingCanBeSetFromTheEnvironment) {
  Config defaults = load("", {}, {});
  // Feeding each setting its own printed default back through the environment is accepted and
  // leaves the value unchanged.
  Env env;
  for (const auto& s : settings())
    env[s.env_name()] = s.get(defaults);
  Config again = load("", env, {});
  for (const auto& s : settings())
    EXPECT_EQ(s.get(again), s.get(defaults)) << s.key;
}

TEST(ConfigSettings, UpstreamOriginsDefaultToHostAndPort) {
  Config config = load("", {}, {});
  EXPECT_EQ(config.upstream_origins("users"), std::vector<std::string>{"http://127.0.0.1:3001"});
  EXPECT_EQ(config.upstream_origins("inventory"),
            std::vector<std::string>{"http://127.0.0.1:3004"});
  EXPECT_TRUE(config.upstream_origins("nope").empty());

  Config moved = load("", {}, {{"users.port", "4001"}, {"host", "10.0.0.5"}});
  EXPECT_EQ(moved.upstream_origins("users"), std::vector<std::string>{"http://10.0.0.5:4001"});
  // A wildcard bind address is not something to connect to.
  Config any = load("", {}, {{"host", "0.0.0.0"}});
  EXPECT_EQ(any.upstream_origins("users"), std::vector<std::string>{"http://127.0.0.1:3001"});
  Config v6 = load("", {}, {{"host", "::1"}});
  EXPECT_EQ(v6.upstream_origins("users"), std::vector<std::string>{"http://[::1]:3001"});
  Config v6_any = load("", {}, {{"host", "::"}});
  EXPECT_EQ(v6_any.upstream_origins("users"), std::vector<std::string>{"http://[::1]:3001"});
  Config named = load("", {}, {{"host", "orders-1.internal"}});
  EXPECT_EQ(named.upstream_origins("orders"),
            std::vector<std::string>{"http://orders-1.internal:3003"});
}

// Found by fuzz_config: a host with a comma became two default upstream origins, so `config print`
// did not load back as the same config.
TEST(ConfigSettings, HostMustBeAnAddressOrAHostName) {
  for (const char* bad : {"0.ssla:1, http://b:2", "a,b", "http://x", "x:80", "", "-a.b", "a-.b",
                          "a..b", "a b", "[::1]"}) {
    EXPECT_THAT(load_error("", {}, {{"host", bad}}), HasSubstr("host must be")) << bad;
  }
}

TEST(ConfigSettings, UpstreamOriginsOverride) {
  Config config = load("", {}, {{"users.upstreams", "http://a:1,http://b:2"}});
  EXPECT_EQ(config.upstream_origins("users"),
            (std::vector<std::string>{"http://a:1", "http://b:2"}));
  EXPECT_EQ(config.upstream_origins("orders"), std::vector<std::string>{"http://127.0.0.1:3003"});

  Config spaced = load("", {{"ORDO_ORDERS_UPSTREAMS", " http://c:3 , ,http://d:4 "}}, {});
  EXPECT_EQ(spaced.upstream_origins("orders"),
            (std::vector<std::string>{"http://c:3", "http://d:4"}));

  TomlFile file("[products]\nupstreams = [\"http://p1:1\", \"http://p2:2\"]\n");
  Config from_file = load(file.path(), {}, {});
  EXPECT_EQ(from_file.upstream_origins("products"),
            (std::vector<std::string>{"http://p1:1", "http://p2:2"}));
}

TEST(ConfigSettings, AdminEmailAndPasswordGoTogether) {
  EXPECT_THAT(load_error("", {}, {{"admin.email", "root@example.com"}}), HasSubstr("admin"));
  EXPECT_THAT(load_error("", {{"ORDO_ADMIN_PASSWORD", "s3cret-pass"}}, {}), HasSubstr("admin"));
  Config config =
      load("", {{"ORDO_ADMIN_PASSWORD", "s3cret-pass"}}, {{"admin.email", "root@example.com"}});
  EXPECT_EQ(config.section<users::Settings>().bootstrap_admin_email, "root@example.com");
  EXPECT_EQ(config.section<users::Settings>().bootstrap_admin_password, "s3cret-pass");
}

TEST(ConfigSettings, LogLevelIsValidated) {
  for (const char* level : {"debug", "info", "warn", "error", "off"}) {
    EXPECT_EQ(load("", {}, {{"log.level", level}}).log_level, level);
  }
  EXPECT_THAT(load_error("", {}, {{"log.level", "verbose"}}), HasSubstr("log.level"));
  EXPECT_THAT(load_error("", {{"ORDO_LOG_LEVEL", ""}}, {}), HasSubstr("log.level"));
  TomlFile file("[log]\nlevel = \"trace\"\n");
  EXPECT_THAT(load_error(file.path(), {}, {}), HasSubstr("log.level"));
}

TEST(ConfigSettings, SqliteSynchronousIsValidated) {
  for (const char* mode : {"OFF", "NORMAL", "FULL", "EXTRA"}) {
    EXPECT_EQ(load("", {}, {{"sqlite.synchronous", mode}}).sqlite_synchronous, mode);
  }
  EXPECT_THAT(load_error("", {}, {{"sqlite.synchronous", "SOMETIMES"}}),
              HasSubstr("sqlite.synchronous"));
  EXPECT_NE(load_error("", {}, {{"sqlite.synchronous", ""}}), "");
}

TEST(ConfigSettings, PrintMasksSecretsWhenSet) {
  Config config = load("", {},
                       {{"admin.email", "root@example.com"},
                        {"admin.password", "hunter2-hunter2"},
                        {"database_url", "postgresql://ordo:pgpass@db/ordo"},
                        {"auth.issuer", "issuer-x"}});
  std::string text = print(config);
  EXPECT_THAT(text, HasSubstr("admin.password = \"********\""));
  EXPECT_THAT(text, HasSubstr("database_url = \"********\""));
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("pgpass"), std::string::npos) << text;
  // Non-secrets are shown as they are.
  EXPECT_THAT(text, HasSubstr("admin.email = \"root@example.com\""));
  EXPECT_THAT(text, HasSubstr("auth.issuer = \"issuer-x\""));
  EXPECT_THAT(text, HasSubstr("gateway.port = \"3000\""));
  EXPECT_THAT(text, HasSubstr("[ORDO_GATEWAY_PORT]"));
}

TEST(ConfigSettings, PrintShowsUnsetSecretsAsEmpty) {
  std::string text = print(load("", {}, {}));
  EXPECT_THAT(text, HasSubstr("admin.password = \"\""));
  EXPECT_THAT(text, HasSubstr("database_url = \"\""));
}

TEST(ConfigSettings, PrintHasOneLinePerSettingAndIsToml) {
  Config config = load("", {}, {{"auth.issuer", "say \"hi\" \\o/"}});
  std::string text = print(config);
  EXPECT_EQ(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')),
            settings().size());
  toml::table table;
  ASSERT_NO_THROW(table = toml::parse(text)) << text;
  EXPECT_EQ(table["auth"]["issuer"].value<std::string>(), "say \"hi\" \\o/");
  EXPECT_EQ(table["gateway"]["port"].value<std::string>(), "3000");
}

// Found by fuzzing (tests/fuzz/config.cpp): a value holding a control character (here from a
// flag) was printed as it was, so the output was neither TOML nor one line per setting.
TEST(ConfigSettings, PrintIsTomlWhateverTheValuesHold) {
  Config config = load("", {{"ORDO_AUTH_ISSUER", "two\nlines\x01\x7f\ttab"}},
                       {{"admin.email", std::string("a@b.c\0", 6)},
                        {"admin.password", "hunter2-hunter2"},
                        {"auth.audience", "not \xff UTF-8 \xed\xa0\x80 \xc3\xa9"}});
  std::string text = print(config);
  EXPECT_EQ(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')),
            settings().size());
  toml::table table;
  ASSERT_NO_THROW(table = toml::parse(text)) << text;
  EXPECT_EQ(table["auth"]["issuer"].value<std::string>(), "two\nlines\x01\x7f\ttab");
  EXPECT_EQ(table["admin"]["email"].value<std::string>(), std::string("a@b.c\0", 6));
  // Bytes that are not UTF-8 cannot be in a TOML file: shown as U+FFFD, the rest kept.
  EXPECT_EQ(table["auth"]["audience"].value<std::string>(),
            "not \uFFFD UTF-8 \uFFFD\uFFFD\uFFFD \u00e9");
  // And what it shows loads back, printing the same.
  TomlFile printed(text);
  EXPECT_EQ(print(load(printed.path(), {}, {})), text);
}

}  // namespace
}  // namespace ordo::config
