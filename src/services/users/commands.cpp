// The commands the users service owns: `ordo users create-admin` and `ordo users rotate-key`.
#include "platform/core/time.hpp"
#include "services/users/service.hpp"
#include "services/users/signing_keys.hpp"

namespace ordo::services::users {
namespace {

using boost::asio::awaitable;

awaitable<void> create_admin(host::CommandContext& context) {
  const auto& email = context.options.at("email");
  auto id = co_await ensure_admin(context.db, context.cpu_pool, context.config, email,
                                  context.options.at("password"));
  context.out << "admin " << email << " is ready (id " << id << ")\n";
}

// A new signing key, current from now on; the others stay in the JWKS until the last token they
// signed has expired.
awaitable<void> rotate_key(host::CommandContext& context) {
  auto rotation =
      co_await rotate_signing_key(context.db, context.config.data_dir, core::unix_seconds(),
                                  retirement_delay_s(context.config));
  context.out << "signing key " << rotation.kid << " is current: running users instances "
              << "sign with it within " << kSigningKeyReload.count() << " s\n";
  for (const auto& [kid, retire_at] : rotation.retiring) {
    context.out << "key " << kid << " verifies until "
                << core::rfc3339_from_millis(retire_at * 1000)
                << " (its last tokens expire), then leaves the JWKS\n";
  }
}

}  // namespace

std::vector<host::Command> commands() {
  host::Command create{
      "create-admin",
      "create or promote an admin",
      {{"email", "the admin's e-mail", ""},
       {"password", "the admin's password (or ORDO_ADMIN_PASSWORD)", "ORDO_ADMIN_PASSWORD"}},
      &create_admin};
  host::Command rotate{"rotate-key",
                       "add a new access-token signing key and sign with it; the old keys verify "
                       "until the last token they signed has expired",
                       {},
                       &rotate_key};
  return {std::move(create), std::move(rotate)};
}

}  // namespace ordo::services::users
