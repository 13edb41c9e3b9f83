#!/usr/bin/env python3
"""Checks every answer the end-to-end suite got from the gateway against docs/openapi.json.

The e2e harness, run with ORDO_E2E_RECORD=<dir>, leaves one JSON line per exchange with a
gateway (tests/e2e/exchange_recorder.hpp). For each one this finds the operation (path template
and method) and fails when
- the path or method is not in the document (unless the request was refused with a problem
  document: a test asking for what does not exist is answered 404/405 by design; or it is one of
  the web UI's pages and files, which are not the API: NOT_API below);
- the status is not among the operation's responses (an "NXX" range or `default` counts);
- the Content-Type is not one the document gives for that status (or a body came where the
  document has none);
- a JSON body does not validate against the schema (JSON Schema 2020-12, $refs resolved in the
  document's components);
- a response header the document marks required is missing.
It also checks the document's own examples (a schema's `examples`, a media type's `example`)
against their schemas, so what the explorer and generated clients show is a valid message.

It prints one line per distinct problem with its count and one example, then a summary (and the
operations no test reached, for information). Exit status 1 on any problem or when nothing was
recorded, 2 on bad usage.

Usage: validate_responses.py [--document docs/openapi.json] RECORDING... (files or directories
of *.jsonl)
"""

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent.parent
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The web UI the gateway also serves (storefront, admin console, their files) and the explorer's
# own files: pages for browsers, deliberately not operations of the API.
NOT_API = [re.compile(pattern) for pattern in (
    r"^/$", r"^/admin/?$", r"^/favicon\.svg$", r"^/assets/[^/]+$", r"^/docs/[^/]+$")]

# Statuses with which the server refuses a request it could not route (or even parse), or
# limits its sender before routing (429): the answer must still be a problem document, but the
# request needs no operation.
UNROUTED_STATUSES = {400, 404, 405, 414, 429, 431}


def media_type(content_type):
    return (content_type or "").split(";")[0].strip().lower()


def is_json(media):
    return media == "application/json" or media.endswith("+json")


def pointer(*parts):
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class Contract:
    def __init__(self, document):
        self.document = document
        # The whole document is the root of every schema, so "#/components/..." resolves.
        self.root = {key: value for key, value in document.items() if key != "openapi"}
        self.validators = {}
        self.operations = []  # (regex, literal segments, template, method, operation)
        for template, item in document.get("paths", {}).items():
            names = re.findall(r"{([^}]+)}", template)
            regex = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")
            for method in METHODS:
                if method in item:
                    self.operations.append((regex, -len(names), template, method, item[method]))
        # Literal paths before templated ones (/users/me before /users/{id}).
        self.operations.sort(key=lambda entry: entry[1], reverse=True)

    def find(self, method, path):
        """The (template, method, operation) for a request, or None; HEAD falls back to GET."""
        for wanted in (method, "get") if method == "head" else (method,):
            for regex, _, template, operation_method, operation in self.operations:
                if operation_method == wanted and regex.match(path):
                    return template, operation_method, operation
        return None

    def path_known(self, path):
        return any(regex.match(path) for regex, *_ in self.operations)

    def resolve(self, node):
        return self.resolve_at(node, None)[0]

    def resolve_at(self, node, where):
        """The node a $ref chain ends at, and its pointer (where: the starting node's)."""
        while isinstance(node, dict) and "$ref" in node:
            where = node["$ref"]
            target = self.document
            for part in where.lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node, where

    def validator(self, schema_pointer):
        if schema_pointer not in self.validators:
            schema = dict(self.root)
            schema["$ref"] = schema_pointer
            self.validators[schema_pointer] = Draft202012Validator(schema)
        return self.validators[schema_pointer]

    def problem_errors(self, body):
        return self.validator(pointer("components", "schemas", "Problem")).iter_errors(body)


def documented_response(responses, status):
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            return key
    return None


def check(contract, exchange, problem):
    """Calls problem(kind, key, detail) for each way the exchange departs from the document."""
    method = exchange["method"].lower()
    path = exchange["target"].split("?")[0]
    status = exchange["status"]
    headers = exchange.get("headers", {})
    content_type = headers.get("content-type", "")
    media = media_type(content_type)
    body = exchange.get("body")

    if any(pattern.match(path) for pattern in NOT_API):
        return "not api"
    if method == "options" and "access-control-request-method" in exchange.get(
            "requestHeaders", {}):
        return "preflight"  # answered by the gateway's CORS layer for any path
    found = contract.find(method, path)
    if found is None:
        where = f"{exchange['method']} {path}"
        if status in UNROUTED_STATUSES and media == "application/problem+json":
            errors = parse_and_validate(contract, body, contract.problem_errors)
            if not errors:
                return "unrouted"
        kind = "undocumented method" if contract.path_known(path) else "undocumented path"
        problem(kind, (kind, exchange["method"], path if status < 400 else "*", status),
                f"{where} answered {status}")
        return "bad"

    template, operation_method, operation = found
    name = f"{operation.get('operationId', operation_method)} ({operation_method.upper()} {template})"
    responses = operation.get("responses", {})
    key = documented_response(responses, status)
    if key is None:
        problem("undocumented status", (name, status),
                f"{name} answered {status} (documented: {', '.join(sorted(responses))}): "
                f"{(body or '')[:200]}")
        return "bad"
    response, response_pointer = contract.resolve_at(
        responses[key], pointer("paths", template, operation_method, "responses", key))
    for header, spec in response.get("headers", {}).items():
        spec = contract.resolve(spec)
        if spec.get("required") and header.lower() not in headers:
            problem("missing header", (name, status, header), f"{name} {status} without {header}")
    content = response.get("content", {})
    if method == "head" or status == 304:
        return "ok"
    if not content:
        if body:
            problem("undocumented body", (name, status, media),
                    f"{name} {status} has a {media or 'untyped'} body the document does not give")
            return "bad"
        return "ok"
    if media not in content:
        problem("undocumented content type", (name, status, media),
                f"{name} {status} answered {content_type!r} (documented: {', '.join(content)})")
        return "bad"
    if body is None or not is_json(media) or "schema" not in content[media]:
        return "ok"  # an event stream's head only, or text
    schema_pointer = response_pointer + "/" + pointer("content", media, "schema")[2:]
    errors = parse_and_validate(contract, body, contract.validator(schema_pointer).iter_errors)
    for error in errors:
        location = "/".join(str(part) for part in error.absolute_path) or "(root)"
        generic = re.sub(r"/\d+(?=/|$)", "/*", location)  # one problem per field, not per item
        problem("schema", (name, status, generic, error.validator),
                f"{name} {status} at {location}: {error.message[:300]}")
    return "bad" if errors else "ok"


def parse_and_validate(contract, body, iter_errors):
    try:
        document = json.loads(body or "")
    except ValueError as error:
        class NotJson:
            absolute_path = []
            validator = "json"
            message = f"the body is not JSON ({error}): {(body or '')[:120]!r}"
        return [NotJson()]
    return sorted(iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))


def example_problems(contract):
    """(where, message) for each example in the document its schema refuses."""
    found = []
    for name, schema in contract.document.get("components", {}).get("schemas", {}).items():
        validator = contract.validator(pointer("components", "schemas", name))
        for index, example in enumerate(schema.get("examples", [])):
            found += [(f"components/schemas/{name} example {index}", error.message)
                      for error in validator.iter_errors(example)]
    for template, item in contract.document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if not operation:
                continue
            places = [(("requestBody",), operation.get("requestBody", {}))]
            places += [(("responses", status), response)
                       for status, response in operation.get("responses", {}).items()]
            for where, holder in places:
                for media, spec in holder.get("content", {}).items():
                    if "example" not in spec or "schema" not in spec:
                        continue
                    validator = contract.validator(
                        pointer("paths", template, method, *where, "content", media, "schema"))
                    found += [(f"{method.upper()} {template} {'/'.join(where)} {media} example",
                               error.message) for error in validator.iter_errors(spec["example"])]
    return found


def read_exchanges(sources):
    files = []
    for source in sources:
        source = Path(source)
        files += sorted(source.glob("*.jsonl")) if source.is_dir() else [source]
    for file in files:
        with open(file, encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield file, number, json.loads(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--document", default=str(ROOT / "docs" / "openapi.json"))
    parser.add_argument("recordings", nargs="+")
    args = parser.parse_args()
    contract = Contract(json.loads(Path(args.document).read_text(encoding="utf-8")))

    problems = {}  # key -> [kind, count, example]
    outcomes = defaultdict(int)
    reached = set()

    for file, number, exchange in read_exchanges(args.recordings):
        def problem(kind, key, detail, exchange=exchange):
            entry = problems.setdefault(key, [kind, 0, None])
            entry[1] += 1
            if entry[2] is None:
                entry[2] = f"{detail} [{exchange.get('test', '?')}: {exchange['method']} " \
                           f"{exchange['target'][:120]}]"
        outcome = check(contract, exchange, problem)
        outcomes[outcome] += 1
        found = contract.find(exchange["method"].lower(), exchange["target"].split("?")[0])
        if found:
            reached.add((found[1], found[0]))

    for where, message in example_problems(contract):
        problems[("example", where, message)] = ["example", 1, f"{where}: {message[:300]}"]

    total = sum(outcomes.values())
    for kind, count, example in sorted(problems.values(), key=lambda p: (p[0], -p[1])):
        print(f"FAIL {kind} ({count}x): {example}")
    print(f"{total} exchanges: " + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())))
    unreached = [f"{m.upper()} {t}" for _, _, t, m, _ in contract.operations if (m, t) not in reached]
    if unreached:
        print(f"operations no exchange reached ({len(unreached)}): {', '.join(sorted(unreached))}")
    if total == 0:
        print("FAIL nothing was recorded: was the suite run with ORDO_E2E_RECORD?")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
