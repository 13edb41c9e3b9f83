#!/usr/bin/env python3
"""The monitoring files in deploy/ against what Ordo serves: `promtool check config` accepts the
Prometheus configuration and its alert rules, the Grafana dashboard is valid JSON whose panels
each query something, and every metric the alerts and the dashboard use is one docs/operations.md
documents (the e2e suite checks the documented ones against real scrapes)."""
import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

METRIC = re.compile(r"\b((?:ordo|process)_[a-z0-9_]+)")
SUFFIXES = ("_bucket", "_sum", "_count")


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    args = parser.parse_args()
    repo = Path(args.repo)
    failures = []

    config = repo / "deploy/prometheus/prometheus.yml"
    check = subprocess.run(["promtool", "check", "config", str(config)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        failures.append(f"promtool check config:\n{check.stdout}{check.stderr}")

    documented = set(re.findall(r"`((?:ordo|process)_[a-z0-9_]+)`",
                                (repo / "docs/operations.md").read_text()))
    used = {}
    alerts = (repo / "deploy/prometheus/alerts.yml").read_text()
    for name in METRIC.findall(alerts):
        used.setdefault(base_name(name), "alerts.yml")
    dashboard = json.loads((repo / "deploy/grafana/ordo-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        targets = panel.get("targets", [])
        if not targets:
            failures.append(f"dashboard panel {panel.get('title')!r} queries nothing")
        for target in targets:
            for name in METRIC.findall(target["expr"]):
                used.setdefault(base_name(name), f"dashboard panel {panel['title']!r}")
    for name, where in sorted(used.items()):
        if name not in documented:
            failures.append(f"{where} uses {name}, which docs/operations.md does not list")

    for failure in failures:
        print("FAIL:", failure)
    print(f"{len(used)} metrics used by alerts and dashboard, {len(documented)} documented")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
