#!/usr/bin/env python3
"""Keeps deploy/ honest against the real `ordo` binary, without a Docker engine.

Reads deploy/docker-compose.yml (alone: the NATS topology; with docker-compose.rabbitmq.yml and
the "rabbitmq" profile: the RabbitMQ topology) and deploy/Dockerfile, and checks:
  a. every Ordo container's command and environment are accepted by the binary: its `serve`
     becomes `config print` (same flags, same ORDO_* values), which must exit 0;
  b. every environment name in an Ordo container is one `ordo config print` lists;
  c. every --service=NAME is one `ordo serve --help` names;
  d. ports: each upstream URL names the port its container listens on, health checks probe that
     port, published ports map to it, and every listener binds 0.0.0.0;
  e. URLs: the database and bus URLs name the PostgreSQL / NATS / RabbitMQ services on their
     ports with their credentials; every upstream host is a compose service running that service,
     and every instance of a service is listed; dependencies are defined, enabled and healthy;
     tokens are verified with the users service's JWKS (auth.jwks_url, when set, names a
     container running users); no Ordo service sets container_name (it would stop `--scale`);
  f. the Dockerfile's runtime stage puts the binary where ENTRYPOINT finds it, installs the
     package of every shared library the binary links directly, and curl for the health checks;
  g. `docker-compose config -q` accepts the files, when docker-compose is installed.
Exits 1 with one line per problem.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from urllib.parse import unquote, urlsplit

try:
    import yaml
except ImportError:
    sys.exit("compose_test.py needs PyYAML (Debian: python3-yaml, see scripts/install-deps.sh)")

SERVER_PORTS = {"postgres": 5432, "nats": 4222, "rabbitmq": 5672}
# Already in debian:12-slim, so the runtime stage need not name them.
SLIM_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}

# (topology, problem) -> the containers that have it, so that a mistake in the shared block is
# reported once, not once per container.
failures = {}


def fail(topology, message, container=None):
    failures.setdefault((topology, message), [])
    if container and container not in failures[(topology, message)]:
        failures[(topology, message)].append(container)


def report(topology, message, containers):
    where = f"[{topology}] " if topology else ""
    who = f"{', '.join(containers)}: " if containers else ""
    return f"FAIL {where}{who}{message}"


# --- compose files ---------------------------------------------------------------------------


def interpolate(value, where):
    """Compose's ${VAR:-default} with an empty environment: what a user gets out of the box."""

    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name, op, default = match.group(1), match.group(2), match.group(3)
        if op in (":-", "-"):
            return default
        fail(where, f"${{{name}}} has no default; `up` would run with it empty")
        return ""

    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-|:?\?)([^}]*))?\}", replace, value)


def resolve(node, where):
    if isinstance(node, dict):
        return {key: resolve(value, where) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(value, where) for value in node]
    if isinstance(node, str):
        return interpolate(node, where)
    return node


def as_mapping(environment):
    if environment is None:
        return {}
    if isinstance(environment, dict):
        return {k: "" if v is None else str(v) for k, v in environment.items()}
    pairs = {}
    for item in environment:
        key, _, value = str(item).partition("=")
        pairs[key] = value
    return pairs


def merge_service(base, override):
    """Compose's merge for the keys this project's override uses."""
    merged = dict(base)
    for key, value in override.items():
        if key == "environment":
            merged[key] = {**as_mapping(base.get(key)), **as_mapping(value)}
        elif key == "depends_on":
            merged[key] = {**depends_on(base), **depends_on({"depends_on": value})}
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def depends_on(service):
    value = service.get("depends_on") or {}
    if isinstance(value, list):
        return {name: {"condition": "service_started"} for name in value}
    return value


def load_topology(name, files, profiles):
    services, volumes = {}, {}
    for file in files:
        with open(file, encoding="utf-8") as f:
            document = resolve(yaml.safe_load(f) or {}, os.path.basename(file))
        for service_name, service in (document.get("services") or {}).items():
            if service_name in services:
                services[service_name] = merge_service(services[service_name], service)
            elif len(files) > 1 and file != files[0]:
                fail(name, f"{file} defines service {service_name}, unknown to {files[0]}")
                services[service_name] = service
            else:
                services[service_name] = service
        volumes.update(document.get("volumes") or {})
    enabled = {
        service_name
        for service_name, service in services.items()
        if not service.get("profiles") or set(service["profiles"]) & set(profiles)
    }
    return services, volumes, enabled


# --- the binary ------------------------------------------------------------------------------


def run(args, env=None):
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)


def known_settings(binary):
    """key -> ORDO_ name, from `ordo config print` (each line ends with [ORDO_NAME])."""
    result = run([binary, "config", "print"], env={"PATH": os.environ.get("PATH", "")})
    if result.returncode != 0:
        sys.exit(f"`{binary} config print` failed: {result.stderr}")
    settings = {}
    for line in result.stdout.splitlines():
        match = re.match(r'^(\S+) = ".*"  # .* \[(ORDO_[A-Z0-9_]+)\]$', line)
        if match:
            settings[match.group(1)] = match.group(2)
    if not settings:
        sys.exit("`ordo config print` listed no settings: has its format changed?")
    return settings


def known_services(binary):
    result = run([binary, "serve", "--help"])
    match = re.search(r"\(([a-z, ]+)\) or gateway", result.stdout)
    if not match:
        sys.exit("`ordo serve --help` no longer lists the services as '(a, b, ...) or gateway'")
    return [name.strip() for name in match.group(1).split(",")]


def parse_printed(text):
    values = {}
    for line in text.splitlines():
        match = re.match(r'^(\S+) = "((?:[^"\\]|\\.)*)"', line)
        if match:
            values[match.group(1)] = re.sub(r"\\(.)", r"\1", match.group(2))
    return values


def command_list(command):
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def split_serve(topology, name, command):
    """The service a `serve` command runs, and the flags turned into their `config print` form."""
    if "serve" not in command:
        fail(topology, f"command {command} does not run `serve`", name)
        return None, [], {}
    service, flags, values, args = None, [], {}, list(command)
    i = 0
    while i < len(args):
        arg = args[i]
        key, eq, inline = arg.partition("=")
        value = inline if eq else (args[i + 1] if i + 1 < len(args) else None)
        consumed = 1 if eq else 2
        if arg == "serve":
            i += 1
            continue
        if key == "--service":
            service = value
        elif key == "--port":
            values["--port"] = value  # main.cpp: with --service=NAME it is NAME.port
        elif key in ("--database-url", "--bus-url", "--data-dir"):
            values[key] = value
            flags += [key, value]
        else:
            flags.append(arg)
            consumed = 1
        i += consumed
    if service is None:
        fail(topology, f"`serve` without --service=NAME runs every service in one container", name)
    if "--port" in values:
        port_key = "gateway.port" if service in (None, "gateway") else f"{service}.port"
        flags += ["--set", f"{port_key}={values['--port']}"]
    return service, flags, values


# --- checks ----------------------------------------------------------------------------------


def published_container_ports(topology, name, service):
    ports = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports.append(int(entry.get("target")))
            continue
        text = str(entry).split("/")[0]
        try:
            ports.append(int(text.rsplit(":", 1)[-1]))
        except ValueError:
            fail(topology, f"cannot read the published port '{entry}'", name)
    return ports


def url_port(url, default):
    try:
        return url.port or default
    except ValueError:
        return None


def check_topology(topology, files, profiles, args, settings, service_names, image_env):
    services, volumes, enabled = load_topology(topology, files, profiles)
    dockerfile = os.path.relpath(args.dockerfile, args.repo)
    env_names = set(settings.values())

    def image_of(name):
        return str(services.get(name, {}).get("image", "")).split(":")[0].split("/")[-1]

    def is_ordo(service):
        build = service.get("build")
        if isinstance(build, dict):
            context = os.path.join(os.path.dirname(files[0]), build.get("context", "."))
            built = os.path.join(context, build.get("dockerfile", "Dockerfile"))
            return os.path.normpath(built) == os.path.normpath(args.dockerfile)
        return False

    ordo = {name: s for name, s in services.items() if name in enabled and is_ordo(s)}
    if not ordo:
        fail(topology, f"no enabled service builds {dockerfile}")
        return
    images = {s.get("image") for s in ordo.values()}
    if len(images) != 1:
        fail(topology, f"the Ordo containers should share one image, not {sorted(map(str, images))}")

    # Each Ordo container through the binary: (a), (b), (c); what it listens on.
    containers = {}
    for name, service in sorted(ordo.items()):
        environment = as_mapping(service.get("environment"))
        for key in environment:
            if key not in env_names:
                hint = " (not an ORDO_* name)" if not key.startswith("ORDO_") else ""
                fail(topology, f"environment {key} is not a setting `ordo config print` lists{hint}"
                     " — the binary would silently ignore it", name)
        if service.get("entrypoint") is not None:
            fail(topology, "overrides the image's entrypoint", name)
        if service.get("container_name") is not None:
            fail(topology, "sets container_name: `--scale` needs one name per container, and "
                 "the upstream lists name the service", name)
        command = command_list(service.get("command"))
        svc, flags, values = split_serve(topology, name, command)
        if svc is None:
            continue
        if svc != "gateway" and svc not in service_names:
            fail(topology, f"--service={svc} is not a service the binary knows "
                 f"({', '.join(service_names)} or gateway)", name)
            continue
        run_env = {"PATH": os.environ.get("PATH", ""), **image_env, **environment}
        result = run([args.binary, *flags, "config", "print"], env=run_env)
        if result.returncode != 0:
            fail(topology, "the binary rejects its command or environment "
                 "(`serve` run as `config print`): "
                 f"{(result.stderr or result.stdout).strip()}", name)
            continue
        printed = parse_printed(result.stdout)
        port_key = "gateway.port" if svc == "gateway" else f"{svc}.port"
        containers[name] = {
            "service": svc,
            "port": int(printed[port_key]),
            "printed": printed,
            "database_url": values.get("--database-url", run_env.get("ORDO_DATABASE_URL", "")),
            "bus_url": values.get("--bus-url", run_env.get("ORDO_BUS_URL", "local")),
        }
        if printed.get("host") != "0.0.0.0":
            fail(topology, f"listens on {printed.get('host')}, unreachable from other "
                 "containers (set ORDO_HOST=0.0.0.0)", name)

    instances = {}
    for name, info in containers.items():
        instances.setdefault(info["service"], []).append(name)
    for svc in [*service_names, "gateway"]:
        if svc not in instances:
            fail(topology, f"no container runs the {svc} service")

    # (d), (e): upstream lists in every Ordo container.
    for name, info in sorted(containers.items()):
        for svc in service_names:
            listed = [u for u in info["printed"].get(f"{svc}.upstreams", "").split(",") if u]
            hosts = set()
            for origin in listed:
                url = urlsplit(origin)
                host, port = url.hostname, url_port(url, 80)
                where = f"{svc}.upstreams ({settings[f'{svc}.upstreams']}) {origin}"
                if url.scheme != "http":
                    fail(topology, f"{where}: scheme must be http", name)
                if host not in services:
                    fail(topology, f"{where}: host {host} is not a compose service", name)
                    continue
                if host not in containers or containers[host]["service"] != svc:
                    fail(topology, f"{where}: {host} does not run the {svc} service", name)
                    continue
                if port != containers[host]["port"]:
                    listens = containers[host]["port"]
                    fail(topology, f"{where}: port {port}, but {host} listens on {listens}", name)
                hosts.add(host)
            missing = sorted(set(instances.get(svc, [])) - hosts)
            if missing:
                fail(topology, f"{svc}.upstreams leaves out {', '.join(missing)}", name)

    # (d) health checks and published ports.
    for name, info in sorted(containers.items()):
        service = ordo[name]
        test = command_list((service.get("healthcheck") or {}).get("test"))
        urls = [t for t in test if t.startswith("http://")]
        if not urls:
            fail(topology, f"no health check on http://127.0.0.1:{info['port']}/ready", name)
        for origin in urls:
            url = urlsplit(origin)
            if url.hostname not in ("127.0.0.1", "localhost") or url_port(url, 80) != info["port"] \
                    or url.path != "/ready":
                fail(topology, f"health check {origin} should be "
                     f"http://127.0.0.1:{info['port']}/ready", name)
        if test and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1:
            tool = test[1].split()[0]
            if tool != "ordo" and tool not in args.runtime_packages:
                fail(topology, f"health check runs {tool}, not installed by the runtime stage", name)
        for port in published_container_ports(topology, name, service):
            if port != info["port"]:
                fail(topology, f"publishes container port {port}, listens on {info['port']}", name)
    if "gateway" in instances and not any(
            published_container_ports(topology, n, ordo[n]) for n in instances["gateway"]):
        fail(topology, "the gateway publishes no port")

    # (e) database and bus URLs, dependencies.
    for name, info in sorted(containers.items()):
        needs = []
        url = urlsplit(info["database_url"])
        if not info["database_url"]:
            fail(topology, f"no ORDO_DATABASE_URL: each container would use its own SQLite", name)
        elif url.scheme not in ("postgresql", "postgres"):
            fail(topology, f"database URL scheme {url.scheme}:// is not postgresql://", name)
        elif image_of(url.hostname) != "postgres":
            fail(topology, f"database host {url.hostname} is not a postgres service", name)
        else:
            needs.append(url.hostname)
            check_credentials(topology, name, "database URL", url, services[url.hostname], 5432,
                              ("POSTGRES_USER", "postgres"), ("POSTGRES_PASSWORD", None),
                              ("POSTGRES_DB", None))
        url = urlsplit(info["bus_url"])
        if url.scheme not in ("nats", "amqp"):
            fail(topology, f"bus URL {url.scheme or info['bus_url']} is not nats:// or amqp://"
                 " (the in-process bus does not cross containers)", name)
        else:
            broker = "nats" if url.scheme == "nats" else "rabbitmq"
            if image_of(url.hostname) != broker:
                fail(topology, f"bus host {url.hostname} is not a {broker} service", name)
            else:
                needs.append(url.hostname)
                if broker == "nats":
                    if url_port(url, 4222) != SERVER_PORTS["nats"]:
                        fail(topology, f"bus URL port {url.port}, NATS listens on 4222", name)
                    nats_args = command_list(services[url.hostname].get("command"))
                    if "-js" not in nats_args and "--jetstream" not in nats_args:
                        fail(topology, "JetStream is off (-js): the NATS bus needs it",
                             url.hostname)
                else:
                    check_credentials(topology, name, "bus URL", url, services[url.hostname], 5672,
                                      ("RABBITMQ_DEFAULT_USER", "guest"),
                                      ("RABBITMQ_DEFAULT_PASS", "guest"), None)
                    if (url.username or "guest") == "guest":
                        fail(topology, "RabbitMQ's guest user may only connect from localhost",
                             name)
        dependencies = depends_on(ordo[name])
        for dependency, condition in dependencies.items():
            if dependency not in services:
                fail(topology, f"depends on {dependency}, which is not defined", name)
            elif dependency not in enabled:
                fail(topology, f"depends on {dependency}, whose profile is not enabled", name)
        for dependency in needs:
            condition = (dependencies.get(dependency) or {}).get("condition")
            if condition != "service_healthy":
                fail(topology, f"should depend on {dependency} (condition: service_healthy)", name)
            elif not services[dependency].get("healthcheck"):
                fail(topology, f"waits for {dependency} to be healthy; it has no healthcheck", name)
            if dependency not in enabled:
                fail(topology, f"uses {dependency}, which is not enabled in this topology", name)

    # (e) verification keys: from the users service's JWKS. Empty auth.jwks_url means the
    # users upstreams' /.well-known/jwks.json (checked above to name users containers).
    for name, info in sorted(containers.items()):
        if info["service"] == "users":
            continue
        for origin in [u for u in info["printed"].get("auth.jwks_url", "").split(",") if u]:
            url = urlsplit(origin)
            where = f"auth.jwks_url ({settings.get('auth.jwks_url')}) {origin}"
            host = containers.get(url.hostname)
            if host is None or host["service"] != "users":
                fail(topology, f"{where}: {url.hostname} is not a container running users", name)
            elif url_port(url, 80) != host["port"]:
                fail(topology, f"{where}: users listens on {host['port']}", name)
    print(f"[{topology}] {len(containers)} Ordo containers: "
          + ", ".join(f"{n}={c['service']}:{c['port']}" for n, c in sorted(containers.items())))


def check_credentials(topology, name, what, url, service, port, user_var, password_var, db_var):
    environment = as_mapping(service.get("environment"))
    if url_port(url, port) != port:
        fail(topology, f"{what} port {url.port}, the server listens on {port}", name)
    user = environment.get(user_var[0], user_var[1])
    if unquote(url.username or "") != user:
        fail(topology, f"{what} user '{url.username}', the server's is '{user}' ({user_var[0]})",
             name)
    password = environment.get(password_var[0], password_var[1])
    if password is not None and unquote(url.password or "") != password:
        fail(topology, f"{what} password differs from {password_var[0]}", name)
    if db_var:
        database = environment.get(db_var[0], user)
        if url.path.lstrip("/") != database:
            fail(topology, f"{what} database '{url.path.lstrip('/')}', the server creates "
                 f"'{database}' ({db_var[0]})", name)


# --- the Dockerfile --------------------------------------------------------------------------


def dockerfile_stages(path):
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) > 2 else None
            stages.append({"from": parts[0], "name": name, "lines": []})
        elif stages:
            stages[-1]["lines"].append((instruction, rest.strip()))
    return stages


def apt_packages(stage):
    packages = set()
    for instruction, rest in stage["lines"]:
        if instruction == "RUN":
            for command in re.split(r"&&|;", rest):
                words = command.split()
                if "apt-get" in words and "install" in words:
                    named = words[words.index("install") + 1 :]
                    packages |= {word for word in named if not word.startswith("-")}
    return packages


def image_environment(stage):
    environment = {}
    for instruction, rest in stage["lines"]:
        if instruction == "ENV":
            for token in shlex.split(rest):
                key, eq, value = token.partition("=")
                if eq:
                    environment[key] = value
    return environment


def check_dockerfile(args, settings):
    stages = dockerfile_stages(args.dockerfile)
    if len(stages) < 2:
        fail("Dockerfile", "expected a build stage and a runtime stage")
        return {}, set()
    build, runtime = stages[0], stages[-1]
    if not re.match(r"debian:(12|bookworm)\b", build["from"]) or \
            not re.match(r"debian:(12|bookworm)-slim\b", runtime["from"]):
        fail("Dockerfile", f"build FROM {build['from']} / runtime FROM {runtime['from']}: both "
             "should be Debian 12 (the runtime libraries must match the build's)")
    runs = " ".join(rest for instruction, rest in build["lines"] if instruction == "RUN")
    if "--preset release" not in runs or "--target ordo" not in runs:
        fail("Dockerfile", "the build stage should build --preset release --target ordo")
    workdir = next((rest for i, rest in reversed(build["lines"]) if i == "WORKDIR"), "/")
    expected_source = os.path.join(workdir, "build/release/ordo")
    copy = None
    for instruction, rest in runtime["lines"]:
        if instruction == "COPY" and rest.startswith("--from="):
            parts = rest.split()
            if parts[0] == f"--from={build['name']}":
                copy = parts[1:]
    if not copy or copy[0] != expected_source:
        fail("Dockerfile", f"the runtime stage should COPY --from={build['name']} "
             f"{expected_source}")
    elif copy[-1] not in ("/usr/local/bin/ordo", "/usr/local/bin/"):
        fail("Dockerfile", f"the binary goes to {copy[-1]}, not /usr/local/bin/ordo "
             "(where ENTRYPOINT's ordo is found)")
    entrypoint = next((rest for i, rest in runtime["lines"] if i == "ENTRYPOINT"), None)
    if entrypoint not in ('["ordo"]', '["/usr/local/bin/ordo"]'):
        fail("Dockerfile", f"ENTRYPOINT {entrypoint} should be [\"ordo\"] (/usr/local/bin/ordo)")
    environment = image_environment(runtime)
    for key in environment:
        if key not in settings.values():
            fail("Dockerfile", f"ENV {key} is not a setting `ordo config print` lists")

    packages = apt_packages(runtime)
    if args.libraries:
        check_runtime_libraries(args.binary, packages)
    dockerignore = os.path.join(args.repo, ".dockerignore")
    ignored = []
    if os.path.exists(dockerignore):
        with open(dockerignore, encoding="utf-8") as f:
            ignored = f.read().split()
    if not {"build", "build/", "/build"} & set(ignored):
        fail("Dockerfile", ".dockerignore should exclude build/ (a host CMakeCache.txt breaks the "
             "container's configure)")
    return environment, packages


def check_runtime_libraries(binary, packages):
    """Every shared library the binary links directly (its NEEDED entries) comes from a package
    the runtime stage installs; apt brings those packages' own dependencies."""
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]",
                            run(["readelf", "-d", binary]).stdout))
    ldd = run(["ldd", binary])
    for line in ldd.stdout.splitlines():
        match = re.match(r"\s*(\S+) => (\S+)", line)
        if not match or match.group(1) not in needed:
            continue
        library, path = match.groups()
        owner = run(["dpkg", "-S", os.path.realpath(path)])
        if owner.returncode != 0:
            owner = run(["dpkg", "-S", path])
        if owner.returncode != 0:
            fail("Dockerfile", f"{library} ({path}) belongs to no Debian package: "
                 "the image cannot install it")
            continue
        package = owner.stdout.split(":")[0]
        if package not in packages and package not in SLIM_PACKAGES:
            fail("Dockerfile", f"the binary needs {library}, from package {package}, which the "
                 "runtime stage does not install")


def check_docker_compose_config(args):
    tool = shutil.which("docker-compose")
    if tool is None:
        print("skipped: docker-compose is not installed (syntax check)")
        return
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    for files, profiles in ((args.compose[:1], []), (args.compose, ["rabbitmq"])):
        command = [tool]
        for file in files:
            command += ["-f", file]
        for profile in profiles:
            command += ["--profile", profile]
        result = run(command + ["config", "-q"], env=env)
        if result.returncode != 0:
            fail("docker-compose", f"`{' '.join(command)} config -q`: {result.stderr.strip()}")
        else:
            print(f"docker-compose config -q: {' + '.join(map(os.path.basename, files))} ok")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--compose", required=True, nargs="+",
                        help="docker-compose.yml, then the RabbitMQ override")
    parser.add_argument("--dockerfile", required=True)
    parser.add_argument("--repo", required=True, help="the repository root (.dockerignore)")
    parser.add_argument("--libraries", action="store_true",
                        help="check `ldd BINARY` against the runtime stage's packages (give it a "
                        "Release binary: the image builds Release)")
    args = parser.parse_args()

    settings = known_settings(args.binary)
    service_names = known_services(args.binary)
    image_env, args.runtime_packages = check_dockerfile(args, settings)
    check_topology("nats", args.compose[:1], [], args, settings, service_names, image_env)
    if len(args.compose) > 1:
        check_topology(
            "rabbitmq", args.compose, ["rabbitmq"], args, settings, service_names, image_env
        )
    check_docker_compose_config(args)

    if failures:
        for (topology, message), containers in failures.items():
            print(report(topology, message, containers))
        print(f"{len(failures)} problem(s) in deploy/")
        return 1
    print("deploy/ agrees with the binary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
