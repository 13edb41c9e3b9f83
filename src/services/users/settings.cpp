#include "services/users/settings.hpp"

#include "platform/config/config.hpp"

namespace ordo::services::users {

config::Section settings_section() {
  using config::millis;
  using config::number;
  using config::text;
  config::Section section{"users", {}, nullptr, nullptr};
  section.settings = {
      number<int>("auth.access_token_ttl_s", "access token lifetime", &Settings::access_token_ttl_s,
                  30, 86'400),
      number<int>("auth.refresh_token_ttl_s", "refresh token lifetime",
                  &Settings::refresh_token_ttl_s, 60, 365 * 86'400),
      number<unsigned long long>("auth.argon2_ops", "Argon2id passes (OWASP: 2)",
                                 &Settings::argon2_ops, 1, 10),
      number<std::size_t>("auth.argon2_memory_kib", "Argon2id memory (OWASP: 19456 KiB)",
                          &Settings::argon2_memory_kib, 8, 1 << 22),
      number<int>("auth.login_max_failures_per_account_address",
                  "failed logins for one account from one address before a lockout",
                  &Settings::login_max_failures_per_account_address, 1, 1'000'000),
      number<int>("auth.login_max_failures_per_account",
                  "failed logins for one account from anywhere before a lockout",
                  &Settings::login_max_failures_per_account, 1, 1'000'000),
      number<int>("auth.login_max_failures_per_address", "failed logins per client address",
                  &Settings::login_max_failures_per_address, 1, 1'000'000),
      number<int>("auth.login_failure_window_s", "window that failures are counted in",
                  &Settings::login_failure_window_s, 1, 86'400),
      number<int>("auth.login_lockout_s", "how long a throttled login waits (the first time)",
                  &Settings::login_lockout_s, 1, 86'400),
      number<int>("auth.login_max_lockout_s", "the longest wait, as lockouts in a row double",
                  &Settings::login_max_lockout_s, 1, 86'400),
      number<int>("auth.register_max_per_address", "sign-ups per client address per window",
                  &Settings::register_max_per_address, 1, 1'000'000'000),
      number<int>("auth.register_window_s", "the window sign-ups are counted in",
                  &Settings::register_window_s, 1, 86'400),
      text("admin.email", "bootstrap admin created at start (with admin.password)",
           &Settings::bootstrap_admin_email),
      text("admin.password", "bootstrap admin password", &Settings::bootstrap_admin_password, true),
  };
  section.validate = [](const config::Config& config) {
    const auto& settings = config.section<Settings>();
    if (settings.bootstrap_admin_email.empty() != settings.bootstrap_admin_password.empty())
      throw config::ConfigError("admin.email and admin.password must be set together");
  };
  return section;
}

}  // namespace ordo::services::users
