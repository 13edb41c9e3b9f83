#!/usr/bin/env python3
"""A webhook receiver for trying Ordo by hand: prints each call and answers 204.

    tests/support/webhook_sink.py --port 8088 [--secret whsec_...]

With --secret, each call's Standard Webhooks signature is checked (a bad one is answered 401).
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json


def signature_ok(secret: str, headers, body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers.get("webhook-signature", "").split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--secret")
    args = parser.parse_args()

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            verified = args.secret is None or signature_ok(args.secret, self.headers, body)
            print(self.headers.get("webhook-id"), "signature ok" if verified else "BAD SIGNATURE",
                  json.dumps(json.loads(body or b"null")), flush=True)
            self.send_response(204 if verified else 401)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Receiver).serve_forever()


if __name__ == "__main__":
    main()
