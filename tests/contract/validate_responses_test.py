#!/usr/bin/env python3
"""The response check catches what it is for: exchanges made up for each kind of drift, checked
against the real docs/openapi.json, must each produce their problem (and a clean set none)."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRODUCT = {"id": "p1", "sku": "MUG-1", "name": "Mug", "description": "", "priceCents": 100,
           "currency": "EUR", "category": "", "attributes": {}, "status": "active",
           "version": 1, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}
PROBLEM = {"type": "https://ordo.dev/problems/not-found", "title": "Not Found", "status": 404}


def exchange(method, target, status, body, content_type="application/json", headers=None):
    fields = {"content-type": content_type} if content_type else {}
    fields.update(headers or {})
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    return {"test": "selftest", "method": method, "target": target, "requestHeaders": {},
            "status": status, "headers": fields, "body": text}


CLEAN = [
    exchange("GET", "/health", 200, {"status": "ok"}),
    exchange("GET", "/products/p1?fields=all", 200, PRODUCT),
    exchange("GET", "/products/p1", 304, None, content_type=None),
    exchange("GET", "/nowhere", 404, PROBLEM, "application/problem+json"),
    exchange("GET", "/assets/app-1234.js", 200, "x", "text/javascript"),
    exchange("DELETE", "/products/p1", 204, "", content_type=None),
]
# (exchange, the problem kind it must raise)
DRIFT = [
    (exchange("GET", "/products/p1", 200, dict(PRODUCT, priceCents="1.00")), "FAIL schema"),
    (exchange("GET", "/products/p1", 200, {k: v for k, v in PRODUCT.items() if k != "sku"}),
     "FAIL schema"),
    (exchange("GET", "/products/p1", 200, "not json"), "FAIL schema"),
    (exchange("GET", "/health", 418, {"status": "ok"}), "FAIL undocumented status"),
    (exchange("GET", "/ready", 503, "down", "text/plain"), "FAIL undocumented content type"),
    (exchange("GET", "/secret", 200, {}), "FAIL undocumented path"),
    (exchange("PUT", "/orders", 200, {}), "FAIL undocumented method"),
    (exchange("GET", "/nowhere", 404, "gone", "text/plain"), "FAIL undocumented path"),
]


def run(exchanges):
    with tempfile.TemporaryDirectory() as directory:
        lines = "".join(json.dumps(e) + "\n" for e in exchanges)
        (Path(directory) / "exchanges-1.jsonl").write_text(lines)
        result = subprocess.run([sys.executable, str(HERE / "validate_responses.py"), directory],
                                capture_output=True, text=True)
        return result.returncode, result.stdout + result.stderr


def main():
    failures = []
    code, output = run(CLEAN)
    if code != 0 or "FAIL" in output:
        failures.append(f"clean exchanges were refused:\n{output}")
    for drift, kind in DRIFT:
        code, output = run(CLEAN + [drift])
        if code != 1 or kind not in output:
            failures.append(f"{drift['method']} {drift['target']} {drift['status']}: expected "
                            f"{kind!r}, got exit {code}:\n{output}")
    code, output = run([])
    if code != 1 or "nothing was recorded" not in output:
        failures.append(f"an empty recording passed:\n{output}")
    for failure in failures:
        print(failure)
    print(f"{len(DRIFT) + 2 - len(failures)} of {len(DRIFT) + 2} cases as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
