"""The deployment files in deploy/ mirror the topology the launcher runs and tests here.

No machine of the project runs Docker or Kubernetes, so these tests read the files as
data and hold them to the code: the images and how they are built, the start commands,
the ports, the variables, the stores, the health checks and the balancer's configuration.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from bot.server.balancer import (
    COMPOSE_CONFIG,
    COMPOSE_PORT,
    COMPOSE_REPLICAS,
    HEALTH_PATH,
    compose_config,
    haproxy_config,
)
from bot.server.endpoints import REDIS_LOCK_STORE, render
from bot.server.launch import DEFAULT_PORTS, services

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
RASA_DOCKERFILE = DEPLOY / "rasa.Dockerfile"
ACTIONS_DOCKERFILE = DEPLOY / "actions.Dockerfile"
ENTRYPOINT = DEPLOY / "rasa-entrypoint.sh"
SECRETS = {
    "DB_PASSWORD",
    "REDIS_PASSWORD",
    "SLACK_TOKEN",
    "SLACK_SIGNING_SECRET",
    "RASA_AUTH_TOKEN",
}
# Read by Rasa, TensorFlow and Sanic themselves rather than by the project's code.
THIRD_PARTY_VARIABLES = {"RASA_TELEMETRY_ENABLED", "TF_CPP_MIN_LOG_LEVEL", "SANIC_HOST"}
SERVERS = ["compose", "kubernetes"]


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))


def manifests() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


def manifest(kind: str, name: str) -> dict[str, Any]:
    found = [m for m in manifests() if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"one {kind} {name} in deploy/k8s"
    return found[0]


def container(deployment: str) -> dict[str, Any]:
    containers = manifest("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def kubernetes_env(deployment: str) -> dict[str, str]:
    """What a container's environment holds: its ConfigMaps, and a stand-in per secret."""
    env: dict[str, str] = {}
    for source in container(deployment).get("envFrom", []):
        env.update(manifest("ConfigMap", source["configMapRef"]["name"])["data"])
    for item in container(deployment).get("env", []):
        env[item["name"]] = item.get("value", f"<{item['name']} from a Secret>")
    return env


def replica_services() -> dict[str, dict[str, Any]]:
    """The compose services built from the Rasa image's Dockerfile."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("build", {}).get("dockerfile") == "deploy/rasa.Dockerfile"
    }


def rasa_env(where: str) -> dict[str, str]:
    if where == "compose":
        envs = [s["environment"] for s in replica_services().values()]
        assert all(env == envs[0] for env in envs)
        return envs[0]
    return kubernetes_env("rasa")


def instructions(dockerfile: Path, keyword: str) -> list[str]:
    """The arguments of every ``keyword`` instruction, continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    return [
        line[len(keyword) :].strip() for line in text.splitlines() if line.startswith(f"{keyword} ")
    ]


def start_command(dockerfile: Path) -> list[str]:
    (cmd,) = instructions(dockerfile, "CMD")
    return json.loads(cmd)


def pip_installs(commands: list[str], requirements: str) -> dict[str, set[str]]:
    """Each requirements file installed by ``pip install`` with the flags used for it."""
    installed: dict[str, set[str]] = {}
    for command in commands:
        for part in command.split("&&"):
            words = shlex.split(part)
            if "install" not in words or "pip" not in words:
                continue
            files = [words[i + 1] for i, word in enumerate(words) if word == "-r"]
            flags = {w for w in words if w.startswith("--")} - {"--quiet", "--no-cache-dir"}
            for file in files:
                installed[file.replace(requirements, "")] = flags
    return installed


def pins() -> dict[str, str]:
    text = (ROOT / "requirements" / "runtime.in").read_text(encoding="utf-8")
    return dict(re.findall(r"^([a-z-]+)(?:\[[a-z]+\])?==([\d.]+)", text, re.MULTILINE))


def variables_the_project_reads() -> set[str]:
    """Every variable bot/ and actions/ read, Rasa expands in the credentials, or the
    replica's entrypoint reads."""
    names: set[str] = set()
    sources = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "actions").rglob("*.py")]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"""(?:\.get\(|environ\[|port\(env, )"([A-Z][A-Z0-9_]+)\"""", text))
    for path in [*ROOT.glob("credentials*.yml"), ENTRYPOINT]:
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", path.read_text(encoding="utf-8")))
    return names | THIRD_PARTY_VARIABLES


def health_url(healthcheck: dict[str, Any]) -> str:
    (url,) = re.findall(r"http://[^'\"\s]+", " ".join(healthcheck["test"]))
    return url


def launcher_health_path(mode: str) -> str:
    _, main = services(mode, [], False, {})
    assert main.health is not None
    return urlparse(main.health).path


def probes(deployment: str) -> Iterator[dict[str, Any]]:
    spec = container(deployment)
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        if kind in spec:
            yield spec[kind]["httpGet"]


def test_the_images_build_on_the_rasa_and_rasa_sdk_releases_the_project_pins() -> None:
    assert instructions(RASA_DOCKERFILE, "FROM") == [f"rasa/rasa:{pins()['rasa']}"]
    assert instructions(ACTIONS_DOCKERFILE, "FROM") == [f"rasa/rasa-sdk:{pins()['rasa-sdk']}"]


@pytest.mark.parametrize("dockerfile", [RASA_DOCKERFILE, ACTIONS_DOCKERFILE], ids=lambda p: p.name)
def test_the_images_install_the_hashed_requirements_as_make_install_does(dockerfile: Path) -> None:
    makefile = re.sub(r"\\\n", " ", (ROOT / "Makefile").read_text(encoding="utf-8"))
    make = pip_installs(re.findall(r"pip install .*", makefile), "$(REQ)/")
    wanted = {file: make[file] for file in ("pip.txt", "runtime.txt", "data.txt")}
    image = pip_installs(instructions(dockerfile, "RUN"), "requirements/")
    assert image == wanted
    assert all("--require-hashes" in flags for flags in image.values())


def test_the_rasa_image_builds_the_spacy_pipeline_where_config_yml_names_it() -> None:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    (spacy,) = [c for c in config["pipeline"] if c["name"] == "SpacyNLP"]
    (build,) = [r for r in instructions(RASA_DOCKERFILE, "RUN") if "tools.build_spacy_model" in r]
    assert shlex.split(build)[-2:] == ["--output", spacy["model"]]


def test_a_replica_starts_with_the_launchers_command_on_every_interface() -> None:
    image = start_command(RASA_DOCKERFILE)
    rasa_args = image[4 : image.index("-i")]
    _, main = services("run", rasa_args, False, {})
    launcher = ["python", *main.command[1:]]
    interface = launcher.index("-i") + 1
    assert launcher[interface] == "127.0.0.1"
    launcher[interface] = "0.0.0.0"
    assert image == launcher
    assert image[-1] == str(DEFAULT_PORTS["RASA_PORT"])


def test_the_rasa_image_holds_the_model_make_train_writes_and_its_command_loads() -> None:
    rasa_args = start_command(RASA_DOCKERFILE)[4:]
    model = rasa_args[rasa_args.index("-m") + 1]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.findall(r"^MODEL := (\S+)$", makefile, re.MULTILINE) == [model]
    assert f"{model} {model}" in instructions(RASA_DOCKERFILE, "COPY")


def test_a_replica_renders_the_endpoints_and_credentials_its_command_reads() -> None:
    image = start_command(RASA_DOCKERFILE)
    script = ENTRYPOINT.read_text(encoding="utf-8")
    (folder,) = re.findall(r"^conf=(\S+)$", script, re.MULTILINE)
    for option, module in (("--endpoints", "endpoints"), ("--credentials", "credentials")):
        assert image[image.index(option) + 1] == f"{folder}/{module}.yml"
        assert re.search(rf"python -m bot\.\w+\.{module} .*> \"\$conf/{module}\.yml\"", script)
    assert instructions(RASA_DOCKERFILE, "ENTRYPOINT") == [
        json.dumps(["/bin/sh", f"/app/{ENTRYPOINT.relative_to(ROOT)}"])
    ]


def test_the_action_server_starts_with_the_launchers_command() -> None:
    _, main = services("actions", [], False, {})
    assert start_command(ACTIONS_DOCKERFILE) == ["python", *main.command[1:]]
    assert main.command[-1] == str(DEFAULT_PORTS["ACTION_PORT"])
    assert instructions(ACTIONS_DOCKERFILE, "ENTRYPOINT") == ["[]"]


@pytest.mark.parametrize("where", SERVERS)
def test_the_replicas_share_postgres_and_the_atomic_redis_lock_store(where: str) -> None:
    endpoints = render(rasa_env(where))
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["tracker_store"]["port"] == DEFAULT_PORTS["DB_PORT"]
    assert endpoints["lock_store"]["type"] == REDIS_LOCK_STORE
    assert endpoints["lock_store"]["port"] == DEFAULT_PORTS["REDIS_PORT"]
    assert endpoints["tracker_store"]["password"] == "${DB_PASSWORD}"
    assert endpoints["lock_store"]["password"] == "${REDIS_PASSWORD}"


def test_compose_replicas_reach_the_stores_and_action_server_by_service_name() -> None:
    endpoints = render(rasa_env("compose"))
    services_ = compose()["services"]
    expected = {
        "tracker_store": ("postgres", "DB_PORT"),
        "lock_store": ("redis", "REDIS_PORT"),
    }
    for store, (service, setting) in expected.items():
        assert endpoints[store]["url"] == service
        assert services_[service]["expose"] == [str(DEFAULT_PORTS[setting])]
    url = urlparse(endpoints["action_endpoint"]["url"])
    assert url.hostname in services_
    assert services_[url.hostname]["expose"] == [str(url.port)]
    assert url.port == DEFAULT_PORTS["ACTION_PORT"]


def test_kubernetes_replicas_reach_the_action_server_through_its_service() -> None:
    url = urlparse(render(rasa_env("kubernetes"))["action_endpoint"]["url"])
    ports = manifest("Service", str(url.hostname))["spec"]["ports"]
    assert [p["port"] for p in ports] == [url.port] == [DEFAULT_PORTS["ACTION_PORT"]]


@pytest.mark.parametrize("where", SERVERS)
def test_every_variable_set_for_the_servers_is_one_the_project_reads(where: str) -> None:
    if where == "compose":
        envs = [s.get("environment", {}) for s in [*replica_services().values()]]
        envs.append(compose()["services"]["actions"].get("environment", {}))
    else:
        envs = [kubernetes_env("rasa"), kubernetes_env("actions")]
    unknown = {name for env in envs for name in env} - variables_the_project_reads()
    assert unknown == set()


def test_compose_takes_every_secret_from_the_environment() -> None:
    for name, service in compose()["services"].items():
        for variable, value in service.get("environment", {}).items():
            if variable in SECRETS or variable == "POSTGRES_PASSWORD":
                assert str(value).startswith("${"), f"{name}: {variable} is written in the file"
    assert SECRETS <= set(rasa_env("compose"))


def test_kubernetes_takes_every_secret_from_a_secret_and_nothing_else_from_one() -> None:
    from_secrets = {
        item["name"]: item["valueFrom"]["secretKeyRef"]["key"]
        for item in container("rasa")["env"]
        if "secretKeyRef" in item.get("valueFrom", {})
    }
    assert from_secrets == {name: name for name in SECRETS}
    assert not SECRETS & set(manifest("ConfigMap", "ketamine-config")["data"])
    assert all(m["kind"] != "Secret" for m in manifests())


def test_compose_uses_the_launchers_default_ports() -> None:
    services_ = compose()["services"]
    assert [services_[name]["expose"] for name in replica_services()] == [
        [str(DEFAULT_PORTS["RASA_PORT"])]
    ] * len(COMPOSE_REPLICAS)
    assert services_["actions"]["expose"] == [str(DEFAULT_PORTS["ACTION_PORT"])]
    (published,) = services_["haproxy"]["ports"]
    assert published.rsplit(":", 1)[1] == str(DEFAULT_PORTS["RASA_PORT"]) == str(COMPOSE_PORT)


def test_kubernetes_uses_the_launchers_default_ports() -> None:
    for name, setting in (("rasa", "RASA_PORT"), ("actions", "ACTION_PORT")):
        port = DEFAULT_PORTS[setting]
        assert [p["containerPort"] for p in container(name)["ports"]] == [port]
        assert manifest("Service", name)["spec"]["ports"] == [{"port": port, "targetPort": port}]


def test_compose_health_checks_ask_what_the_launcher_asks() -> None:
    services_ = compose()["services"]
    for name in replica_services():
        url = urlparse(health_url(services_[name]["healthcheck"]))
        assert (url.path, url.port) == (HEALTH_PATH, DEFAULT_PORTS["RASA_PORT"])
    url = urlparse(health_url(services_["actions"]["healthcheck"]))
    assert (url.path, url.port) == (launcher_health_path("actions"), DEFAULT_PORTS["ACTION_PORT"])


def test_kubernetes_probes_ask_what_the_launcher_asks() -> None:
    expected = {
        "rasa": (HEALTH_PATH, DEFAULT_PORTS["RASA_PORT"]),
        "actions": (launcher_health_path("actions"), DEFAULT_PORTS["ACTION_PORT"]),
    }
    for name, wanted in expected.items():
        found = {(probe["path"], probe["port"]) for probe in probes(name)}
        assert found == {wanted}
        assert {"readinessProbe", "livenessProbe"} <= set(container(name))


def test_the_committed_haproxy_config_is_the_balancers_rendering() -> None:
    assert COMPOSE_CONFIG.read_text(encoding="utf-8") == compose_config()


def test_the_balancer_routes_to_exactly_the_compose_replicas() -> None:
    assert COMPOSE_REPLICAS == tuple(
        (name, DEFAULT_PORTS["RASA_PORT"]) for name in replica_services()
    )
    haproxy = compose()["services"]["haproxy"]
    (volume,) = haproxy["volumes"]
    source, target, _ = volume.split(":")
    assert DEPLOY / source == COMPOSE_CONFIG
    assert haproxy["command"][-2:] == ["-f", target]
    assert set(haproxy["depends_on"]) == set(replica_services())


def test_haproxy_config_balances_over_replicas_named_by_host_and_port() -> None:
    config = haproxy_config(5005, [("10.0.0.7", 5006), ("rasa-b", 5007)], bind="0.0.0.0")
    assert "    bind 0.0.0.0:5005\n" in config
    assert config.count("    server replica1 10.0.0.7:5006 check\n") == 2  # REST and socket.io
    assert config.count("    server replica2 rasa-b:5007 check\n") == 2


def test_kubernetes_runs_as_many_rasa_replicas_as_compose_with_sticky_sessions() -> None:
    assert manifest("Deployment", "rasa")["spec"]["replicas"] == len(COMPOSE_REPLICAS)
    assert manifest("Service", "rasa")["spec"]["sessionAffinity"] == "ClientIP"


def test_kubernetes_runs_the_images_compose_builds() -> None:
    services_ = compose()["services"]
    built = {
        "rasa": next(iter(replica_services().values()))["image"],
        "actions": services_["actions"]["image"],
    }
    for name, image in built.items():
        assert container(name)["image"].rsplit("/", 1)[-1] == image
