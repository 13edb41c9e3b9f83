// The users service's settings (config section "users"): password hashing, token lifetimes,
// login and sign-up throttling, the first admin. Their keys (auth.*, admin.*) predate sections and
// stay as they were, so deployments' files and ORDO_* variables keep working.
#pragma once

#include <cstddef>
#include <string>

#include "platform/config/setting.hpp"

namespace ordo::services::users {

struct Settings {
  unsigned long long argon2_ops = 2;       // OWASP: t=2
  std::size_t argon2_memory_kib = 19'456;  // OWASP: 19 MiB
  int access_token_ttl_s = 900;
  int refresh_token_ttl_s = 30 * 24 * 3600;
  // Login throttling (docs/security.md): budgets of wrong passwords within window per (account,
  // address), per account from anywhere and per address; a spent budget waits lockout, doubling
  // for each lockout in a row up to max_lockout.
  int login_max_failures_per_account_address = 5;
  int login_max_failures_per_account = 100;
  int login_max_failures_per_address = 20;
  int login_failure_window_s = 300;
  int login_lockout_s = 60;
  int login_max_lockout_s = 900;
  // Sign-ups per client address per window (docs/security.md).
  int register_max_per_address = 20;
  int register_window_s = 3600;
  // The first admin, created at start when both are set (never a default password).
  std::string bootstrap_admin_email;
  std::string bootstrap_admin_password;
};

config::Section settings_section();

}  // namespace ordo::services::users
