#!/usr/bin/env python3
"""The shopping journey through the gateway of a running compose topology (scripts/compose.sh
test starts it), with what only a real multi-container run can show:

  1. the journey: the admin logs in and creates a product with stock, a buyer registers, logs in,
     finds the product, places an order and sees it confirmed (stock reserved, a notification);
  2. scaling: orders and inventory scaled to 3 containers (`up --scale`); the gateway, which
     finds the instances by resolving the service name, lists 3 ready instances of each in /ready
     (skip with --without-discovery);
  3. a crash under load: orders are placed from several threads while one orders container is
     killed with SIGKILL; a placement that fails is retried with the same Idempotency-Key, and
     every order the API accepted (201/202) must reach a final state: none is lost;
  4. key rotation: `ordo users rotate-key` in the users container mid-run; tokens signed before
     and after are both accepted by every service (skip with --without-rotation).

Only the standard library: urllib, threads, subprocess for the container tool.
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

FINAL = {"confirmed", "rejected", "cancelled"}


class Failure(Exception):
    pass


def step(message):
    print(f"journey: {message}", flush=True)


class Api:
    def __init__(self, origin):
        self.origin = origin.rstrip("/")

    def call(self, method, path, token=None, body=None, headers=None, timeout=20):
        """(status, headers, parsed body); status None when no answer came."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.origin + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), parse(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), parse(error.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
            return None, {}, {"error": str(error)}

    def expect(self, status, method, path, **kwargs):
        got, headers, body = self.call(method, path, **kwargs)
        wanted = status if isinstance(status, (tuple, list, set)) else (status,)
        if got not in wanted:
            raise Failure(f"{method} {path}: {got} (wanted {status}): {body}")
        return body


def parse(raw):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"text": raw[:200].decode(errors="replace")}


def eventually(check, seconds, what, pause=0.5):
    """check() returns something truthy when done; polls until then, at most `seconds`."""
    deadline = time.monotonic() + seconds
    last = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise Failure(f"not within {seconds} s: {what}")
        time.sleep(pause)


def token_kid(token):
    header = token.split(".")[0]
    header += "=" * (-len(header) % 4)
    return json.loads(base64.urlsafe_b64decode(header)).get("kid")


# --- the container tool ------------------------------------------------------------------------


class Containers:
    def __init__(self, args):
        self.engine = args.engine
        self.project = args.project
        self.script = args.compose_script

    def ids(self, service):
        result = subprocess.run(
            [self.engine, "ps", "-q",
             "--filter", f"label=com.docker.compose.project={self.project}",
             "--filter", f"label=com.docker.compose.service={service}"],
            capture_output=True, text=True, check=True, timeout=60)
        return result.stdout.split()

    def compose(self, *args):
        result = subprocess.run([self.script, "compose", *args], capture_output=True, text=True,
                                timeout=600)
        if result.returncode != 0:
            raise Failure(f"compose {' '.join(args)}: {result.stdout}{result.stderr}")

    def kill(self, container):
        subprocess.run([self.engine, "kill", "--signal", "KILL", container], check=True,
                       capture_output=True, timeout=60)

    def exec(self, container, *command):
        return subprocess.run([self.engine, "exec", container, *command], capture_output=True,
                              text=True, timeout=120)


# --- the steps ---------------------------------------------------------------------------------


def login(api, email, password):
    body = api.expect(200, "POST", "/users/login", body={"email": email, "password": password})
    return body["access_token"]


def journey(api, admin):
    sku = f"CMP-{uuid.uuid4().hex[:8]}"
    product = api.expect(201, "POST", "/products", token=admin, body={
        "sku": sku, "name": "Compose mug", "description": "ordered across containers",
        "priceCents": 990, "currency": "EUR", "category": "mugs", "attributes": {},
        "initialStock": 100000})
    step(f"admin created product {product['id']} ({sku}) with stock")
    email = f"compose-{uuid.uuid4().hex[:8]}@shop.test"
    password = "correct horse battery"
    api.expect(201, "POST", "/users/register",
               body={"email": email, "password": password, "name": "Cora Compose"})
    buyer = login(api, email, password)
    step(f"buyer {email} registered and logged in")
    found = api.expect(200, "GET", f"/products/{product['id']}")
    if found.get("sku") != sku:
        raise Failure(f"GET /products/{product['id']}: {found}")
    order = place_and_confirm(api, buyer, product["id"], 2)
    eventually(lambda: reserved(api, admin, product["id"]) >= 2, 60, "stock reserved")
    step(f"order {order} confirmed, its stock reserved")
    eventually(lambda: (api.call("GET", "/notifications?limit=10", token=buyer)[2] or {})
               .get("items"), 60, "a notification for the buyer")
    step("the buyer has a notification")
    return product["id"], buyer, (email, password)


def reserved(api, admin, product_id):
    status, _, body = api.call("GET", f"/products/{product_id}/stock", token=admin)
    return body.get("reserved", 0) if status == 200 else 0


def place_and_confirm(api, token, product_id, quantity):
    body = api.expect((201, 202), "POST", "/orders", token=token,
                      headers={"Idempotency-Key": str(uuid.uuid4())},
                      body={"items": [{"productId": product_id, "quantity": quantity}]})
    order_id = body["id"]

    def confirmed():
        status, _, order = api.call("GET", f"/orders/{order_id}", token=token)
        if status == 200 and order.get("status") in ("rejected", "cancelled"):
            raise Failure(f"order {order_id} {order['status']}")
        return status == 200 and order.get("status") == "confirmed"

    eventually(confirmed, 60, f"order {order_id} confirmed")
    return order_id


def scale_and_discover(api, containers, check_discovery):
    containers.compose("up", "-d", "--no-build", "--no-recreate",
                       "--scale", "orders=3", "--scale", "inventory=3")
    for service in ("orders", "inventory"):
        count = len(containers.ids(service))
        if count != 3:
            raise Failure(f"{count} {service} containers running after --scale {service}=3")
    step("scaled orders and inventory to 3 containers each")
    if not check_discovery:
        step("skipped: 3 instances of each in the gateway's /ready (--without-discovery)")
        return

    def three_up():
        status, _, body = api.call("GET", "/ready")
        instances = (body or {}).get("instances") or {}
        counts = {}
        for service in ("orders", "inventory"):
            listed = instances.get(service) or []
            counts[service] = sum(1 for i in listed if i.get("state") == "up")
        ready = status == 200 and all(n == 3 for n in counts.values())
        return (counts, instances) if ready else None

    counts, instances = eventually(three_up, 120, "3 up instances of orders and of inventory "
                                   "in /ready (ORDO_GATEWAY_EXPOSE_DETAILS=true)", pause=1)
    step("the gateway lists 3 ready instances each: " + json.dumps(
        {s: [i.get("origin") for i in instances[s]] for s in counts}))


def orders_under_a_crash(api, containers, buyer, product_id, total, threads):
    """Places orders from `threads` threads: a third of `total` before one orders container is
    killed, then on until `total` are accepted and at least a half of them after the kill."""
    accepted, problems, lock = [], [], threading.Lock()
    third_accepted, kill_done = threading.Event(), threading.Event()
    accepted_at_kill = []
    victim = containers.ids("orders")[0]

    def place_one():
        key = str(uuid.uuid4())
        # The client's side of the contract: an unanswered or failed placement is retried with
        # the same key, which yields the one order (or a final error), never two.
        for attempt in range(60):
            status, _, body = api.call("POST", "/orders", token=buyer,
                                       headers={"Idempotency-Key": key},
                                       body={"items": [{"productId": product_id, "quantity": 1}]})
            if status in (201, 202):
                return body["id"], attempt
            if status is not None and status < 500 and status not in (408, 409, 425, 429):
                raise Failure(f"POST /orders: {status} {body}")
            time.sleep(0.5)
        raise Failure(f"POST /orders (key {key}) unanswered after 60 attempts")

    def enough():
        after = len(accepted) - (accepted_at_kill[0] if accepted_at_kill else len(accepted))
        return kill_done.is_set() and len(accepted) >= total and after >= total // 2

    def worker():
        while True:
            with lock:
                if enough() or problems or len(accepted) >= 5 * total:
                    return
            try:
                order_id, retries = place_one()
            except Failure as failure:
                with lock:
                    problems.append(str(failure))
                return
            with lock:
                accepted.append((order_id, retries))
                if len(accepted) >= total // 3:
                    third_accepted.set()

    def killer():
        third_accepted.wait(timeout=300)
        with lock:
            before = len(accepted)
        containers.kill(victim)
        with lock:
            accepted_at_kill.append(len(accepted))
        kill_done.set()
        step(f"killed orders container {victim[:12]} (SIGKILL): sent with {before} orders "
             f"accepted, done with {accepted_at_kill[0]}, more being placed")

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    pool.append(threading.Thread(target=killer))
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if problems:
        raise Failure("placing orders: " + "; ".join(problems[:5]))
    if not kill_done.is_set():
        raise Failure("no orders container was killed")
    retried = sum(1 for _, r in accepted if r)
    step(f"{len(accepted)} orders accepted ({retried} after a retry with the same key)")
    ids = [order_id for order_id, _ in accepted]
    if len(set(ids)) != len(ids):
        raise Failure("one Idempotency-Key produced two orders")

    outcome = {}

    def all_final():
        for order_id in ids:
            if outcome.get(order_id) in FINAL:
                continue
            status, _, order = api.call("GET", f"/orders/{order_id}", token=buyer)
            if status == 404:
                raise Failure(f"accepted order {order_id} is gone (404)")
            outcome[order_id] = order.get("status") if status == 200 else None
        return all(outcome.get(order_id) in FINAL for order_id in ids)

    try:
        eventually(all_final, 180, "every accepted order in a final state", pause=2)
    except Failure:
        stuck = [i for i in ids if outcome.get(i) not in FINAL]
        raise Failure(f"{len(stuck)} of {len(ids)} accepted orders not final: {stuck[:5]}")
    tally = {}
    for status in outcome.values():
        tally[status] = tally.get(status, 0) + 1
    step(f"no accepted order lost: {tally}")
    if tally.get("confirmed", 0) != len(ids):
        raise Failure(f"with ample stock every order should be confirmed: {tally}")


def key_rotation(api, containers, admin_credentials, buyer_credentials, product_id):
    old_admin = login(api, *admin_credentials)
    old_buyer = login(api, *buyer_credentials)
    users = containers.ids("users")[0]
    result = containers.exec(users, "ordo", "users", "rotate-key")
    if result.returncode != 0:
        raise Failure(f"ordo users rotate-key: {result.returncode} {result.stdout}{result.stderr}")
    step(f"rotated the signing key: {result.stdout.strip()[:200]}")
    # Running users instances take the new key within a few seconds (they re-read the current
    # key periodically): log in until a token carries it.
    def signed_with_new_key():
        token = login(api, *buyer_credentials)
        return token if token_kid(token) != token_kid(old_buyer) else None

    new_buyer = eventually(signed_with_new_key, 60, "a login signed with the new key", pause=1)
    new_admin = login(api, *admin_credentials)
    if token_kid(new_admin) != token_kid(new_buyer):
        raise Failure("two logins after the rotation signed with different keys")
    # Several rounds, so that the round-robin reaches every instance of orders and inventory.
    for round_number in range(6):
        for label, admin, buyer in (("old", old_admin, old_buyer), ("new", new_admin, new_buyer)):
            api.expect(200, "GET", "/users/me", token=buyer)
            api.expect(200, "GET", "/orders?limit=5", token=buyer)
            api.expect(200, "GET", "/notifications?limit=5", token=buyer)
            api.expect(200, "GET", f"/products/{product_id}/stock", token=admin)
            if round_number == 0:
                api.expect(201, "POST", "/products", token=admin, body={
                    "sku": f"ROT-{label}-{uuid.uuid4().hex[:6]}", "name": f"Rotated {label}",
                    "description": "created with a token from before/after the rotation",
                    "priceCents": 100, "currency": "EUR", "category": "mugs", "attributes": {},
                    "initialStock": 1})
                place_and_confirm(api, buyer, product_id, 1)
    step(f"tokens from before (kid {token_kid(old_buyer)}) and after (kid {token_kid(new_buyer)}) "
         "the rotation accepted by users, products, orders, inventory and notifications")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origin", required=True)
    parser.add_argument("--compose-script", required=True)
    parser.add_argument("--engine", required=True, help="docker or podman")
    parser.add_argument("--project", required=True)
    parser.add_argument("--orders", type=int, default=60, help="orders placed around the crash")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--without-discovery", action="store_true")
    parser.add_argument("--without-rotation", action="store_true")
    args = parser.parse_args()

    api = Api(args.origin)
    containers = Containers(args)
    admin_credentials = (os.environ.get("ORDO_ADMIN_EMAIL", "admin@shop.test"),
                         os.environ.get("ORDO_ADMIN_PASSWORD", "change-me-now"))
    started = time.monotonic()
    try:
        admin = login(api, *admin_credentials)
        step("admin logged in")
        product_id, buyer, buyer_credentials = journey(api, admin)
        scale_and_discover(api, containers, not args.without_discovery)
        orders_under_a_crash(api, containers, buyer, product_id, args.orders, args.threads)
        if args.without_rotation:
            step("skipped: key rotation (--without-rotation)")
        else:
            key_rotation(api, containers, admin_credentials, buyer_credentials, product_id)
    except Failure as failure:
        print(f"journey: FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    step(f"passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
