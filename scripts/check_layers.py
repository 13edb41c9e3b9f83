#!/usr/bin/env python3
"""Keeps Ordo's layers true by reading every #include "..." line under src/ and tests/.

  platform   src/platform/**  includes only platform/
  contracts  src/contracts/** includes only platform/ and contracts/
  client     src/client/**    includes only platform/, contracts/ and client/
  services   src/services/X/** includes platform/, contracts/, host/service.hpp, host/registry.hpp
             (the registration interface) and its own services/X/ — never another service;
             its domain.* (rules without I/O) include no HTTP (platform/http)
  host       src/host/**      names no service (it runs whatever registered itself)
  bench      src/bench/**     and tests/e2e/** include no service header

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
        layer = parts[1]
        if layer == "platform":
            return None if top == "platform" else "the platform includes only the platform"
        if layer == "contracts":
            return None if top in ("platform", "contracts") else "contracts sit on the platform only"
        if layer == "client":
            if top in ("platform", "contracts", "client"):
                return None
            return "the client speaks HTTP: platform and contracts only"
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
        if layer in ("host", "bench") and top == "services":
            return f"{layer} names no service"
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
