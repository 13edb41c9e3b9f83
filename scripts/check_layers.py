#!/usr/bin/env python3
"""Keeps Ordo's layers true by reading every #include "..." line under src/ and tests/.

  platform   src/platform/**  includes only platform/
  contracts  src/contracts/** includes only platform/ and contracts/
  client     src/client/**    includes only platform/, contracts/ and client/
  host       src/host/**      the registration interface services implement and register
             with: includes only platform/ and host/
  services   src/services/X/** includes platform/, contracts/, host/service.hpp, host/registry.hpp
             (the registration interface) and its own services/X/ — never another service;
             its domain.* (rules without I/O) include no HTTP (platform/http)
  app        src/app/**       the process assembly, the top: the only code that may name a
             service (best, it names none: it runs whatever registered)
  main       src/main.cpp     beside app: the command line; names no service
  bench      src/bench/**     and tests/e2e/** include no service header
  Only src/app and src/main.cpp include app/.

Prints one line per broken rule (file:line: what) and exits 1 when there is any; with
--report-only it always exits 0 (to see how far a change has come).
"""

import argparse
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
REGISTRATION_INTERFACE = {"host/service.hpp", "host/registry.hpp"}


def allowed(source: pathlib.PurePosixPath, header: str) -> str | None:
    """None when source may include header, else why not."""
    parts = source.parts
    top = header.split("/", 1)[0]
    if parts[0] == "src":
        layer = "main" if parts[1] == "main.cpp" else parts[1]
        if top == "app" and layer not in ("app", "main"):
            return "the process assembly is the top: only main.cpp uses it"
        if layer == "platform":
            return None if top == "platform" else "the platform includes only the platform"
        if layer == "contracts":
            return None if top in ("platform", "contracts") else "contracts sit on the platform only"
        if layer == "client":
            if top in ("platform", "contracts", "client"):
                return None
            return "the client speaks HTTP: platform and contracts only"
        if layer == "host":
            if top in ("platform", "host"):
                return None
            return "the registration interface sits on the platform only"
        if layer == "services":
            own = parts[2]
            if source.stem.endswith("domain") and header.startswith("platform/http/"):
                return "a domain is plain C++: no HTTP, no JSON request parsing"
            if top in ("platform", "contracts") or header in REGISTRATION_INTERFACE:
                return None
            if header.startswith(f"services/{own}/"):
                return None
            if top == "services":
                return "a service never includes another service"
            return "a service includes platform, contracts and the registration interface only"
        if layer != "app" and top == "services":
            return f"{layer} names no service: only src/app may"
    if parts[0] == "tests" and parts[1] == "e2e" and top == "services":
        return "end-to-end tests reach services through HTTP only"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=pathlib.Path(__file__).resolve().parent.parent)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    repo = pathlib.Path(args.repo)
    problems = []
    for root in ("src", "tests"):
        for path in sorted((repo / root).rglob("*")):
            if path.suffix not in (".cpp", ".hpp") or "node_modules" in path.parts:
                continue
            relative = pathlib.PurePosixPath(path.relative_to(repo).as_posix())
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                why = allowed(relative, match.group(1))
                if why:
                    problems.append(f"{relative}:{number}: {match.group(1)}: {why}")
    for problem in problems:
        print(problem)
    print(f"{len(problems)} include(s) break the layers")
    return 0 if args.report_only or not problems else 1


if __name__ == "__main__":
    sys.exit(main())
