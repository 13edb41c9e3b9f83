// UUIDv7 ids (RFC 9562): time-ordered, so primary keys insert at the end of an index.
#pragma once

#include <string>
#include <string_view>

namespace ordo::core {

std::string uuid_v7();                      // canonical lower-case 8-4-4-4-12 form
bool is_uuid(std::string_view text);        // any version, canonical form
std::string random_hex(std::size_t bytes);  // cryptographically random, hex-encoded
// Random hex for identifiers that are not secrets (trace and span ids): the same OS randomness,
// drawn from a per-thread buffer so that the three ids of a proxied request cost no syscalls.
std::string random_id_hex(std::size_t bytes);

}  // namespace ordo::core
