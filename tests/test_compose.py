"""The production deployment files are valid and wire up what the architecture needs.

No Docker engine is involved: `docker compose config` (Compose v2 plugin) or `docker-compose
config` (Debian's docker-compose 1.29) only parses, interpolates and validates the file, and
`nginx -t` only parses and checks the configuration. Both tools must be installed (CI installs
the Debian packages `docker-compose` and `nginx`); a missing tool fails these tests rather than
skipping them, so a broken deployment file can never pass unnoticed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
NGINX_CONF = REPO / "docker" / "nginx" / "nginx.conf"

REQUIRED_SERVICES = {"postgres", "redis", "web", "worker-cpu", "worker-gpu", "nginx"}
MEDIA_ROOT = "/data/media"
TIMEOUT_S = 60

# ${NAME}, ${NAME:-default}, ${NAME:?error}, ... ; "$$" is an escaped literal "$".
_COMPOSE_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def compose_variables() -> set[str]:
    return set(_COMPOSE_VARIABLE.findall(COMPOSE_FILE.read_text()))


def env_example_names() -> set[str]:
    names = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.add(line.split("=", 1)[0])
    return names


@pytest.fixture(scope="module")
def compose() -> list[str]:
    """The Compose command line: the v2 plugin where it exists, else docker-compose 1.29."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=TIMEOUT_S, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy is not None:
        return [legacy]
    pytest.fail(
        "Neither `docker compose` nor `docker-compose` is installed; "
        "install one (Debian: apt-get install docker-compose) to validate docker-compose.yml."
    )


def run_compose(compose: list[str], env_file: Path, *args: str) -> subprocess.CompletedProcess:
    # Variables set in the caller's shell would override the env file; keep only the ones
    # the tool itself needs, so the result depends on the env file alone.
    shadowing = compose_variables() | env_example_names()
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in shadowing and not name.startswith("COMPOSE_")
    }
    return subprocess.run(
        [
            *compose,
            "--project-directory",
            str(REPO),
            "--file",
            str(COMPOSE_FILE),
            "--env-file",
            str(env_file),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
        env=env,
        cwd=REPO,
    )


@pytest.fixture(scope="module")
def config(compose: list[str]) -> dict[str, Any]:
    """docker-compose.yml resolved with .env.example, every profile's services included."""
    result = run_compose(compose, ENV_EXAMPLE, "--profile", "gpu", "config")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """target -> (source, read_only), from either output style (v1 short, v2 long syntax)."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target, *mode = volume.split(":")
            found[target] = (source, "ro" in mode[0].split(",") if mode else False)
        else:
            found[volume["target"]] = (volume.get("source", ""), bool(volume.get("read_only")))
    return found


def container_ports(service: dict[str, Any]) -> set[int]:
    """Published container ports, from either output style ("0.0.0.0:80:80/tcp" or a mapping)."""
    found = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found.add(int(port["target"]))
        else:
            found.add(int(str(port).rsplit(":", 1)[-1].split("/")[0]))
    return found


def test_compose_file_is_valid(compose: list[str]) -> None:
    # given the documented example settings
    # when Compose validates the file
    result = run_compose(compose, ENV_EXAMPLE, "config", "--quiet")

    # then it accepts it
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_run_without_secrets(compose: list[str], tmp_path: Path) -> None:
    # given no settings at all
    empty = tmp_path / "empty.env"
    empty.write_text("")

    # when Compose resolves the file
    result = run_compose(compose, empty, "config", "--quiet")

    # then it stops, naming a missing secret, instead of deploying with defaults
    assert result.returncode != 0
    assert "is not set" in result.stdout + result.stderr


def test_env_example_documents_every_compose_variable() -> None:
    missing = compose_variables() - env_example_names()

    assert not missing, f".env.example lacks {sorted(missing)}"


def test_compose_has_the_architecture_services(config: dict[str, Any]) -> None:
    services = config["services"]

    assert set(services) >= REQUIRED_SERVICES
    assert services["worker-cpu"]["environment"]["WORKER_QUEUES"] == "default"
    assert services["worker-gpu"]["environment"]["WORKER_QUEUES"] == "gpu"
    assert 80 in container_ports(services["nginx"])


def test_worker_gpu_reserves_an_nvidia_gpu(config: dict[str, Any]) -> None:
    worker = config["services"]["worker-gpu"]

    devices = worker["deploy"]["resources"]["reservations"]["devices"]

    assert any(
        device.get("driver") == "nvidia"
        and "gpu" in device.get("capabilities", [])
        and (device.get("count") or device.get("device_ids"))
        for device in devices
    ), devices
    assert worker["environment"]["SAM2_DEVICE"] == "cuda"
    assert worker["environment"]["CUDA_VISIBLE_DEVICES"] == "0", "one GPU per GPU worker"
    assert worker["environment"]["SAM2_CHECKPOINT"].startswith(
        tuple(f"{target}/" for target in mounts(worker))
    ), "SAM2_CHECKPOINT must lie on a volume mounted into worker-gpu"


def test_media_volume_is_shared_by_web_workers_and_nginx(config: dict[str, Any]) -> None:
    services = config["services"]

    sources = {
        name: mounts(services[name]).get(MEDIA_ROOT)
        for name in ("web", "worker-cpu", "worker-gpu", "nginx")
    }

    assert None not in sources.values(), sources
    assert len({source for source, _ in sources.values()}) == 1, sources
    assert sources["nginx"][1], "nginx only reads the media volume"
    for name in ("web", "worker-cpu", "worker-gpu"):
        assert services[name]["environment"]["MEDIA_ROOT"] == MEDIA_ROOT
    # nginx's X-Accel-Redirect target reads the same folder.
    assert re.search(rf"alias\s+{re.escape(MEDIA_ROOT)}/;", NGINX_CONF.read_text())


def test_services_wait_for_healthy_dependencies(config: dict[str, Any]) -> None:
    services = config["services"]

    for name in ("postgres", "redis", "web"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    # worker-gpu has none: it is the base that extra GPU workers `extends`, and Compose
    # refuses to extend a service with dependencies.
    for name in ("web", "worker-cpu"):
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"]["condition"] == "service_healthy", name
        assert depends_on["redis"]["condition"] == "service_healthy", name
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_nginx_conf_is_valid(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(path).exists()),
        None,
    )
    if nginx is None:
        pytest.fail("nginx is not installed (Debian: apt-get install nginx); it checks nginx.conf.")
    # given the production config, with nginx's scratch folders moved under tmp_path so the
    # check writes nothing outside it (the upstream `web` is resolved per request, at run time,
    # so it need not exist here)
    text = NGINX_CONF.read_text()
    temp_paths = "".join(
        f"    {kind}_temp_path {tmp_path / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    assert text.count("http {\n") == 1
    (tmp_path / "nginx.conf").write_text(text.replace("http {\n", "http {\n" + temp_paths))

    # when nginx tests it
    result = subprocess.run(
        [nginx, "-t", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )

    # then it is accepted
    assert result.returncode == 0, result.stderr
