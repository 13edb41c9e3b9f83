// The requests of the calls a load generator sends by the thousand, built here once: the bench
// sends exactly what ApiClient sends, and reads only the answers it needs (no contract parsing
// of every answer on the machine it measures). Authorization is the caller's.
#pragma once

#include <string>

#include "client/api_client.hpp"
#include "platform/http/client.hpp"

namespace ordo::client {

// POST /orders with its body and its Idempotency-Key and Prefer headers.
http::OutgoingRequest place_order_request(const OrderRequest& order);
// POST /users/login.
http::OutgoingRequest login_request(const std::string& email, const std::string& password);
// GET of a path (and query), e.g. "/products/<id>" or with_query("/orders", ...).
http::OutgoingRequest get_request(std::string target);
// Authorization: Bearer <token>, added to a built request.
http::OutgoingRequest with_bearer(http::OutgoingRequest request, const std::string& token);

}  // namespace ordo::client
