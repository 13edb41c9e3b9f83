// The ids a request's log lines carry: its request id and trace id, as log::Context.
#pragma once

#include "platform/http/message.hpp"
#include "platform/log/log.hpp"

namespace ordo::http {

// Views into the request: use it while the request lives (in the same log call, typically).
inline log::Context log_context(const Request& request) {
  return {request.context.request_id, request.context.trace_id};
}

}  // namespace ordo::http
