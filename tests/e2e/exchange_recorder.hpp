// Records the suite's exchanges with the gateway for the contract check
// (tests/contract/validate_responses.py): with ORDO_E2E_RECORD set, each request the harness's
// clients send to a gateway, and its answer, becomes one JSON line. ORDO_E2E_RECORD names a
// directory (each test process appends to exchanges-<pid>.jsonl in it, so parallel runs never
// share a file) or, when it ends in ".jsonl", one file.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ordo::e2e {

using HeaderFields = std::vector<std::pair<std::string, std::string>>;

// Only exchanges with a gateway are the public API: a service's own port is not.
void note_gateway_origin(const std::string& origin);
void forget_gateway_origin(const std::string& origin);

struct Exchange {
  std::string origin;  // "http://127.0.0.1:port"
  std::string method;
  std::string target;  // path and query as sent
  const HeaderFields& request_headers;
  int status = 0;
  const HeaderFields& response_headers;
  std::optional<std::string> body;  // nullopt: not read (an event stream)
};

// Does nothing unless ORDO_E2E_RECORD is set and the origin is a gateway's.
void record_exchange(const Exchange& exchange);

}  // namespace ordo::e2e
