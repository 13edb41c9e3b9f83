// One-time libsodium initialisation, shared by every area that calls libsodium.
#pragma once

namespace ordo::core {

// Initialises libsodium exactly once (thread-safe); call before any libsodium function.
// Throws std::runtime_error if libsodium cannot initialise (no usable randomness source).
void ensure_sodium();

}  // namespace ordo::core
