#!/usr/bin/env python3
"""Brings docs/openapi.json up to the contract's house rules; safe to run again and again.

What it settles, so that hand edits (a new route, a new schema) need not remember it all:
- every operation has a stable, readable operationId (the table below, else derived from the
  method and path) and tags; every tag used is listed with a description;
- `security`: `[]` on the routes the gateway lets through without a token (read from its route
  table, src/services/gateway/domain.cpp, plus the gateway's own routes), the bearer scheme on
  the others;
- every status the gateway itself can answer on an operation, as shared problem+json responses:
  429 and 414 everywhere (the per-address limit comes before routing; a request target longer
  than http.max_target_bytes is refused before it), 400 everywhere (a request target the server
  cannot decode is refused before routing), 401 on every proxied route (a
  presented token is verified even where none is required), 502/503/504 when the owning service
  cannot answer, 400/413/415 where a body is taken;
- `Location` on 201 answers of creates; `Link` (rel="next") on 200 answers of paged lists (the
  operations that take a `cursor`);
- `required` lists on the response schemas the server always sends whole (src/contracts/*.cpp
  to_json functions), with the fields it sends as null typed nullable;
- the license, and `servers` as the relative URL "/" so the document follows the request's host.

It fails (exit 1) on anything it cannot settle by itself: two operations with one operationId,
a tag without a description, a route of the gateway's table without an operation.

Usage: scripts/openapi_tidy.py [docs/openapi.json]
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Readable names where the derived one would be clumsy. A route not listed gets a derived name
# (see derived_operation_id); ids are part of generated clients' API, so never rename one here.
OPERATION_IDS = {
    ("post", "/users/register"): "registerUser",
    ("post", "/users/login"): "login",
    ("post", "/users/refresh"): "refreshTokens",
    ("post", "/users/logout"): "logout",
    ("get", "/users/me"): "getCurrentUser",
    ("patch", "/users/me"): "updateCurrentUser",
    ("get", "/users/me/notification-preferences"): "getNotificationPreferences",
    ("put", "/users/me/notification-preferences"): "setNotificationPreferences",
    ("get", "/users/me/push-subscriptions"): "listPushSubscriptions",
    ("post", "/users/me/push-subscriptions"): "addPushSubscription",
    ("delete", "/users/me/push-subscriptions/{id}"): "removePushSubscription",
    ("get", "/users"): "listUsers",
    ("get", "/users/{id}"): "getUser",
    ("patch", "/users/{id}"): "updateUser",
    ("get", "/.well-known/jwks.json"): "getJwks",
    ("get", "/products"): "listProducts",
    ("post", "/products"): "createProduct",
    ("get", "/products/{id}"): "getProduct",
    ("patch", "/products/{id}"): "updateProduct",
    ("delete", "/products/{id}"): "archiveProduct",
    ("get", "/products/{id}/stock"): "getStock",
    ("put", "/products/{id}/stock"): "setStock",
    ("patch", "/products/{id}/replenish"): "replenishStock",
    ("get", "/products/{id}/stock/movements"): "listStockMovements",
    ("get", "/inventory/low-stock"): "listLowStock",
    ("post", "/orders"): "placeOrder",
    ("get", "/orders"): "listOrders",
    ("get", "/orders/{id}"): "getOrder",
    ("post", "/orders/{id}/cancel"): "cancelOrder",
    ("get", "/notifications"): "listNotifications",
    ("get", "/notifications/{id}"): "getNotification",
    ("get", "/notifications/vapid-public-key"): "getVapidPublicKey",
    ("get", "/webhooks"): "listWebhooks",
    ("post", "/webhooks"): "createWebhook",
    ("get", "/webhooks/{id}"): "getWebhook",
    ("patch", "/webhooks/{id}"): "updateWebhook",
    ("delete", "/webhooks/{id}"): "deleteWebhook",
    ("get", "/webhooks/{id}/deliveries"): "listWebhookDeliveries",
    ("post", "/webhooks/{id}/deliveries/{deliveryId}/retry"): "retryWebhookDelivery",
    ("get", "/health"): "getHealth",
    ("get", "/ready"): "getReadiness",
    ("get", "/metrics"): "getMetrics",
    ("get", "/openapi.json"): "getOpenApiDocument",
    ("get", "/docs"): "getApiExplorer",
}

# Answers whose cause is the operation's own, not the gateway's: written out, never shared.
OWN_ANSWERS = {
    ("post", "/users/login", "401"): "Wrong email or password (the same answer for both), or a "
    "presented bearer token was refused.",
    ("post", "/users/refresh", "401"): "The refresh token is unknown, expired, already used, or "
    "its session ended.",
    ("get", "/metrics", "404"): "The gateway does not expose its metrics (the default; "
    "gateway.expose_metrics=true turns them on).",
}

# Routes the gateway answers itself (src/services/gateway/api.cpp add_routes): public, and no
# upstream service behind them (so no 502/504).
GATEWAY_OWN_ROUTES = {
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/docs"),
}

TAG_DESCRIPTIONS = {
    "users": "Accounts, sign-in and sessions, profiles, notification preferences and push "
    "subscriptions (the users service).",
    "products": "The catalogue (the products service).",
    "inventory": "Stock levels, replenishment and the stock ledger (the inventory service).",
    "orders": "Placing, reading and cancelling orders (the orders service).",
    "notifications": "Notifications sent to a user, and the Web Push public key (the "
    "notifications service).",
    "webhooks": "Outgoing webhooks: registering URLs, their deliveries, and the calls Ordo makes "
    "to them (the notifications service).",
    "operations": "Health, readiness, metrics and this document (the gateway itself).",
}

# Response schemas whose every property the server always sends (the to_json functions in
# src/contracts/*.cpp write each field, null where absent): all their properties are required.
ALWAYS_WHOLE = [
    "User",
    "TokenPair",
    "Product",
    "Stock",
    "LedgerEntry",
    "Order",
    "Notification",
    "ChannelChoice",
    "NotificationPreferences",
    "PushSubscription",
    "Webhook",
    "WebhookDelivery",
]

# Fields sent as JSON null when absent (fields::nullable / optional_to_json in src/contracts).
NULLABLE = {
    ("Order", "note"),
    ("LedgerEntry", "note"),
    ("LedgerEntry", "orderId"),
    ("User", "phone"),
    ("Notification", "lastError"),
    ("Notification", "deliveredAt"),
}


def problem_response(description, headers=None):
    response = {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    if headers:
        response["headers"] = headers
    return response


RETRY_AFTER = {"$ref": "#/components/headers/Retry-After"}

SHARED_RESPONSES = {
    "BadRequest": problem_response(
        "Malformed or invalid input: the request target is not valid (bad percent-encoding, a "
        "NUL), the body is not JSON, or fields are invalid (listed in `errors`)."
    ),
    "Unauthorized": problem_response(
        "No bearer token where one is required, or a presented token was refused (expired, "
        "malformed, its session ended). A presented token is checked on every route."
    ),
    "PayloadTooLarge": problem_response("The request body is larger than allowed."),
    "UriTooLong": problem_response(
        "The request target (path and query) is longer than the server accepts "
        "(http.max_target_bytes, 8 KB by default)."
    ),
    "HeadersTooLarge": problem_response(
        "The request head (request line and header fields) is larger than the server accepts "
        "(http.max_header_bytes, 16 KB by default)."
    ),
    "UnsupportedMediaType": problem_response("The request body must be application/json."),
    "TooManyRequests": problem_response(
        "Rate limited (per client address, and per user once signed in). Retry after "
        "Retry-After seconds.",
        {"Retry-After": RETRY_AFTER},
    ),
    "BadGateway": problem_response("The service behind this route could not be reached."),
    "ServiceUnavailable": problem_response(
        "The service behind this route is unavailable, starting, or at its limits. Retry after "
        "Retry-After seconds when given.",
        {"Retry-After": RETRY_AFTER},
    ),
    "GatewayTimeout": problem_response(
        "The service behind this route did not answer in time; the request may have taken effect."
    ),
}

SHARED_HEADERS = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Location": {
        "description": "The path of the resource created (relative to this document's server).",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": (
            'RFC 8288: `<target>; rel="next"` when another page follows (the same cursor as '
            "`nextCursor`; the target is this request's path and query, filters kept, with that "
            "cursor); absent on the last page."
        ),
        "schema": {"type": "string"},
    },
}

# Which shared response a status takes when the gateway can answer it on an operation.
SHARED_BY_STATUS = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "413": "PayloadTooLarge",
    "414": "UriTooLong",
    "415": "UnsupportedMediaType",
    "431": "HeadersTooLarge",
    "429": "TooManyRequests",
    "502": "BadGateway",
    "503": "ServiceUnavailable",
    "504": "GatewayTimeout",
}
# Statuses whose answer says nothing specific to one operation: an inline copy is replaced by the
# shared response. (400 and 401 stay as written where an operation describes its own causes.)
ALWAYS_SHARED = {"413", "414", "415", "429", "502", "503", "504"}
# The generic wordings hand-written answers used before the shared ones existed.
GENERIC_DESCRIPTIONS = {
    ("400", "Malformed or invalid input (per-field errors)"),
    ("401", "Missing, invalid or expired token"),
}

READINESS = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"enum": ["ready", "not ready"]},
        "services": {
            "type": "object",
            "description": "Each service's state; only with gateway.expose_details=true.",
            "additionalProperties": {"enum": ["ready", "unavailable"]},
        },
        "instances": {
            "description": "Each upstream instance's state; only with gateway.expose_details=true.",
        },
    },
}


# The gateway's own answers' bodies (src/services/gateway/api.cpp, src/platform/metrics).
OWN_BODIES = {
    ("/health", "200"): {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"const": "ok"}},
            }
        }
    },
    ("/metrics", "200"): {
        "text/plain": {
            "schema": {
                "type": "string",
                "description": "Prometheus text exposition format (version 0.0.4).",
            }
        }
    },
    ("/docs", "200"): {"text/html": {"schema": {"type": "string"}}},
}


def fail(message):
    print(f"openapi_tidy: {message}", file=sys.stderr)
    sys.exit(1)


def gateway_route_table():
    """(method, path) -> access, from the gateway's route table."""
    source = (ROOT / "src/services/gateway/domain.cpp").read_text()
    rows = re.findall(r'\{"([A-Z]+)", "([^"]+)", "[a-z_]+", (\w+)(?:, \w+)?\}', source)
    if not rows:
        fail("no route table found in src/services/gateway/domain.cpp")
    return {(method.lower(), path): access for method, path, access in rows}


def camel(words):
    words = [w for w in words if w]
    return words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])


def derived_operation_id(method, path):
    segments = [s for s in path.strip("/").split("/") if s]
    names = [s for s in segments if not s.startswith("{")]
    words = [w for name in names for w in re.split(r"[^A-Za-z0-9]+", name)]
    ends_on_item = bool(segments) and segments[-1].startswith("{")
    verb = {
        "get": "get" if ends_on_item else "list",
        "post": "create",
        "put": "set",
        "patch": "update",
        "delete": "delete",
    }.get(method, method)
    return camel([verb] + words)


def operations(document):
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield "path", method, path, item[method]
    for name, item in document.get("webhooks", {}).items():
        for method in METHODS:
            if method in item:
                yield "webhook", method, name, item[method]


def set_response(operation, status, shared, replace):
    responses = operation.setdefault("responses", {})
    reference = {"$ref": f"#/components/responses/{shared}"}
    if status not in responses or replace:
        responses[status] = reference


def sort_responses(operation):
    responses = operation["responses"]
    operation["responses"] = dict(sorted(responses.items(), key=lambda kv: kv[0]))


def tidy(document):
    routes = gateway_route_table()
    components = document.setdefault("components", {})
    components.setdefault("responses", {}).update(SHARED_RESPONSES)
    components.setdefault("headers", {}).update(SHARED_HEADERS)
    components.setdefault("schemas", {})["Readiness"] = READINESS

    document["info"]["license"] = {
        # No LICENSE file and no licence statement in the repository: nothing is granted, so the
        # least wrong statement is "all rights reserved" (docs/api-contract.md).
        "name": "All rights reserved (no license granted)",
        "identifier": "LicenseRef-Proprietary",
    }
    document["servers"] = [
        {"url": "/", "description": "The host that served this document (relative URL)."}
    ]

    for path in document.get("paths", {}):
        for method in METHODS:
            if method in document["paths"][path] and (method, path) not in routes:
                if (method, path) not in GATEWAY_OWN_ROUTES:
                    fail(f"{method.upper()} {path} is documented but not in the gateway's table")
    for method, path in routes:
        if method not in document.get("paths", {}).get(path, {}):
            fail(f"{method.upper()} {path} is in the gateway's table but not documented")

    seen = {}
    used_tags = []
    for kind, method, path, operation in operations(document):
        if kind == "webhook":
            wanted = camel(["on"] + re.split(r"[^A-Za-z0-9]+", path))
        else:
            wanted = OPERATION_IDS.get((method, path)) or derived_operation_id(method, path)
        operation["operationId"] = wanted
        if wanted in seen:
            fail(f"operationId {wanted} of {method.upper()} {path} is also {seen[wanted]}'s")
        seen[wanted] = f"{method.upper()} {path}"

        if not operation.get("tags"):
            fail(f"{method.upper()} {path} has no tags")
        for tag in operation["tags"]:
            if tag not in used_tags:
                used_tags.append(tag)

        if kind == "webhook":
            # Ordo is the caller: the receiver authenticates the call by its signature headers.
            operation["security"] = []
            continue

        own = (method, path) in GATEWAY_OWN_ROUTES
        public = own or routes.get((method, path)) == "public_route"
        operation["security"] = [] if public else [{"bearer": []}]

        set_response(operation, "429", "TooManyRequests", replace=True)
        # The HTTP server refuses a target it cannot decode before any route runs.
        set_response(operation, "400", "BadRequest", replace=False)
        set_response(operation, "414", "UriTooLong", replace=True)
        set_response(operation, "431", "HeadersTooLarge", replace=True)
        paged = any(
            parameter.get("name") == "cursor" and parameter.get("in") == "query"
            for parameter in operation.get("parameters", [])
        )
        if paged and "200" in operation["responses"]:
            operation["responses"]["200"].setdefault("headers", {})["Link"] = {
                "$ref": "#/components/headers/Link"
            }
        if not own:
            set_response(operation, "401", "Unauthorized", replace=False)
            for status in ("502", "503", "504"):
                set_response(operation, status, SHARED_BY_STATUS[status], replace=True)
        if "requestBody" in operation:
            set_response(operation, "400", "BadRequest", replace=False)
            for status in ("413", "415"):
                set_response(operation, status, SHARED_BY_STATUS[status], replace=True)
        for status, response in list(operation["responses"].items()):
            generic = (status, response.get("description")) in GENERIC_DESCRIPTIONS
            if (status in ALWAYS_SHARED or generic) and "$ref" not in response:
                set_response(operation, status, SHARED_BY_STATUS[status], replace=True)
            if status == "201" and method == "post":
                response.setdefault("headers", {})["Location"] = {
                    "$ref": "#/components/headers/Location"
                }
        for (own_method, own_path, status), description in OWN_ANSWERS.items():
            if (own_method, own_path) == (method, path):
                operation["responses"][status] = problem_response(description)
        sort_responses(operation)

    ready = document["paths"]["/ready"]["get"]["responses"]
    for status, description in (("200", "Every service is ready."),
                                ("503", "Some service is not ready (not problem+json: the same "
                                 "report as 200, with status \"not ready\").")):
        ready[status] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}},
        }

    for (own_path, status), content in OWN_BODIES.items():
        document["paths"][own_path]["get"]["responses"][status]["content"] = content

    tags = {tag["name"]: tag for tag in document.get("tags", [])}
    for tag in used_tags:
        if tag not in TAG_DESCRIPTIONS and "description" not in tags.get(tag, {}):
            fail(f"tag {tag} has no description: add it to TAG_DESCRIPTIONS")
        entry = tags.setdefault(tag, {"name": tag})
        entry.setdefault("description", TAG_DESCRIPTIONS.get(tag))
    document["tags"] = [tags[t] for t in used_tags] + [
        tags[t] for t in tags if t not in used_tags
    ]

    # A shared response no operation needs would be an unused component.
    text = json.dumps(document)
    for name in list(components["responses"]):
        if name in SHARED_RESPONSES and f'"#/components/responses/{name}"' not in text:
            del components["responses"][name]

    schemas = components["schemas"]
    for schema_name, field in NULLABLE:
        prop = schemas[schema_name]["properties"][field]
        kind = prop.get("type")
        if isinstance(kind, str):
            prop["type"] = [kind, "null"]
    for schema_name in ALWAYS_WHOLE:
        require_all(schemas[schema_name], schema_name)
    # A problem's `errors` (when present) always list field and message (src/platform/http/problem.hpp).
    require_all(schemas["Problem"]["properties"]["errors"]["items"], "Problem.errors[]")


def require_all(schema, where):
    """Every property required, in declaration order; nested object schemas too."""
    if "allOf" in schema:
        for part in schema["allOf"]:
            require_all(part, where)
        return
    props = schema.get("properties")
    if not props:
        return
    schema["required"] = list(props)
    for name, prop in props.items():
        if "properties" in prop:
            require_all(prop, f"{where}.{name}")
        items = prop.get("items")
        if isinstance(items, dict) and "properties" in items:
            require_all(items, f"{where}.{name}[]")


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/openapi.json"
    document = json.loads(path.read_text())
    tidy(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
