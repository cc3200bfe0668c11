"""Self-hosting files, read as data: ``compose.yaml``, ``.env.example``, ``.dockerignore`` and
the ``Dockerfile``.

No Docker daemon runs where the suite runs, so no image is built and no container started
here: these tests hold the files to what docs/operations.md promises of them, and
``tests/test_deploy_caddy.py`` runs ``deploy/Caddyfile`` for real in front of two app
processes. ``docker compose config`` validates the file too where the compose plugin exists.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.push.keys import parse_private_key

ROOT = Path(__file__).resolve().parent.parent
ACCORD_IMAGE = "accord:local"
SECRETS = ("SECRET_KEY", "VAPID_PRIVATE_KEY", "POSTGRES_PASSWORD")
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- NAME=value` spelling
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _replicas(service: dict[str, Any]) -> int:
    return int((service.get("deploy") or {}).get("replicas", 1))


def _command(service: dict[str, Any]) -> str:
    command = service.get("command") or ""
    return " ".join(command) if isinstance(command, list) else str(command)


def _accord(kind: str) -> dict[str, dict[str, Any]]:
    """The services that run the Accord image as ``kind``: app, worker or migrate."""
    markers = {
        "app": "uvicorn --factory app.main:create_app",
        "worker": "python -m app.worker",
        "migrate": "alembic upgrade head",
    }
    return {
        name: service
        for name, service in _services().items()
        if service.get("image") == ACCORD_IMAGE and markers[kind] in _command(service)
    }


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


# --- compose.yaml -------------------------------------------------------------------------------


def test_postgres_is_pinned_checked_and_keeps_its_data_in_a_named_volume() -> None:
    postgres = _services()["postgres"]
    image, _, tag = postgres["image"].partition(":")
    assert image == "postgres" and tag.isdigit(), "the official image, pinned to a major version"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volumes = [v.split(":") for v in postgres["volumes"]]
    assert ["postgres-data", "/var/lib/postgresql/data"] in volumes
    assert "postgres-data" in _compose()["volumes"]
    assert "ports" not in postgres, "PostgreSQL is for Accord's own containers only"


def test_migrations_run_once_before_any_app_or_worker_starts() -> None:
    [(migrate_name, migrate)] = _accord("migrate").items()
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate.get("restart") == "no"
    started = {**_accord("app"), **_accord("worker")}
    assert started
    for name, service in started.items():
        condition = service["depends_on"][migrate_name]["condition"]
        assert condition == "service_completed_successfully", name
        assert "alembic" not in _command(service), f"{name} must not migrate as well"


def test_two_app_processes_that_do_not_dispatch_behind_caddy() -> None:
    apps = _accord("app")
    assert sum(_replicas(s) for s in apps.values()) == 2
    for name, service in apps.items():
        env = _environment(service)
        assert env["DISPATCHER"] == "0", name
        assert "--proxy-headers" in _command(service), name
        assert "FORWARDED_ALLOW_IPS" in env, name
        assert env["HSTS"] == "0", f"{name}: Caddy sends HSTS, one header is enough"
        assert "ports" not in service, f"{name} is reached through Caddy only"
    # Caddy proxies to exactly these processes.
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    upstreams = re.search(r"^\s*reverse_proxy (.+) \{$", caddyfile, re.MULTILINE)
    assert upstreams is not None
    assert sorted(upstreams.group(1).split()) == sorted(f"{name}:8000" for name in apps)


def test_two_reminder_workers() -> None:
    workers = _accord("worker")
    assert sum(_replicas(s) for s in workers.values()) == 2
    for service in workers.values():
        # The image's health check asks /healthz, which a worker does not serve.
        assert service["healthcheck"] == {"disable": True}


def test_exactly_one_process_runs_the_housekeeping() -> None:
    processes = {**_accord("app"), **_accord("worker")}
    running = 0
    for name, service in processes.items():
        env = _environment(service)
        # The app runs it unless told not to: every process says which it is.
        assert env.get("HOUSEKEEPING") in ("0", "1"), f"{name} must set HOUSEKEEPING"
        running += _replicas(service) * (env["HOUSEKEEPING"] == "1")
    assert running == 1


def test_every_accord_process_shares_the_database_and_the_secrets() -> None:
    processes = {**_accord("app"), **_accord("worker"), **_accord("migrate")}
    environments = [_environment(s) for s in processes.values()]
    for name in ("DATABASE_URL", "SECRET_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"):
        values = {env.get(name) for env in environments}
        assert len(values) == 1 and None not in values, f"{name} differs: {values}"
    assert "@postgres:5432/" in environments[0]["DATABASE_URL"]


def test_caddy_serves_https_for_the_domain_and_keeps_its_certificates() -> None:
    caddy = _services()["caddy"]
    image, _, tag = caddy["image"].partition(":")
    assert image == "caddy" and tag.isdigit()
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert _environment(caddy)["ACCORD_DOMAIN"].startswith("${ACCORD_DOMAIN")
    mounts = {v.split(":")[1]: v.split(":")[0] for v in caddy["volumes"]}
    assert mounts["/etc/caddy/Caddyfile"] == "./deploy/Caddyfile"
    assert mounts["/data"] in _compose()["volumes"], "certificates in a named volume"
    assert (ROOT / "deploy" / "Caddyfile").read_text().count("{$ACCORD_DOMAIN}") == 1


def test_every_service_restarts_and_keeps_bounded_logs() -> None:
    for name, service in _services().items():
        options = service["logging"]["options"]
        assert options["max-size"] and options["max-file"], name
        if name != "migrate":
            assert service["restart"] == "unless-stopped", name


def test_every_variable_is_documented_in_env_example() -> None:
    used = set(REFERENCE.findall((ROOT / "compose.yaml").read_text()))
    used |= set(re.findall(r"\{\$([A-Z_]+)", (ROOT / "deploy" / "Caddyfile").read_text()))
    documented = set(_env_example())
    assert used, "compose.yaml takes its configuration from the environment"
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"
    assert documented <= used, f"documented but unused: {sorted(documented - used)}"


def test_no_secret_is_written_in_the_files() -> None:
    text = (ROOT / "compose.yaml").read_text()
    for name in SECRETS:
        # Each secret comes from .env, required, with no default to fall back on.
        assert re.search(rf"\$\{{{name}:\?", text), name
        assert not re.search(rf"\$\{{{name}:-", text), name
    for service in _services().values():
        for name, value in _environment(service).items():
            if name in SECRETS:
                assert value.startswith("${"), name
            if name == "DATABASE_URL":
                assert "${POSTGRES_PASSWORD" in value
    example = _env_example()
    assert all(example[name] == "" for name in SECRETS), "the example leaves secrets empty"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"],  # noqa: S607 - git from PATH
        cwd=ROOT,
        check=False,
    )
    assert ignored.returncode == 0, ".env must be ignored by git"


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker here; the file is checked as YAML by the other tests only")
    probe = subprocess.run(  # noqa: S603 - a fixed command line
        [docker, "compose", "version"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(
            "`docker compose` (the compose plugin) is not installed here; the file is checked "
            "as YAML by the other tests only"
        )
    env = tmp_path / ".env"
    env.write_text(
        "".join(
            f"{name}={value or 'not-a-real-secret'}\n" for name, value in _env_example().items()
        )
    )
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [docker, "compose", "--env-file", str(env), "-f", "compose.yaml", "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_documented_vapid_key_command_makes_a_key_the_app_accepts() -> None:
    """.env.example's one-liner: a raw P-256 key in base64url, on one line."""
    line = next(
        line.lstrip("# ").strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "openssl ecparam" in line
    )
    if shutil.which("openssl") is None:
        pytest.skip("no openssl here")
    key = subprocess.run(  # noqa: S602 - the documented command, as a person pastes it
        line, shell=True, capture_output=True, text=True, check=True, executable="/bin/bash"
    ).stdout
    assert "\n" not in key and len(key) == 43
    parse_private_key(key)  # raises if the app could not use it


# --- the image ----------------------------------------------------------------------------------


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _excluded(path: str) -> bool:
    """Whether ``docker build`` leaves ``path`` out (its rules: the last match wins)."""
    excluded = False
    for pattern in _dockerignore():
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/")
        parts = path.split("/")
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(c, pattern) for c in candidates):
            excluded = not negate
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        "data/secret_key",
        "data/vapid_private.pem",
        "data/accord.db",
        ".env",
        ".venv/bin/python",
        ".git/config",
        ".mypy_cache/3.11/app",
        ".pytest_cache/v",
        "tests/artifacts/home.png",
        "accord.egg-info/PKG-INFO",
    ],
)
def test_the_build_context_leaves_out(path: str) -> None:
    assert _excluded(path)


@pytest.mark.parametrize(
    "path",
    ["pyproject.toml", "app/main.py", "alembic.ini", "migrations/env.py", "frontend/index.html"],
)
def test_the_build_context_keeps(path: str) -> None:
    assert not _excluded(path)
    assert (ROOT / path).exists()


def test_the_dockerfile_installs_dependencies_before_the_code() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    copies = [i for i, line in enumerate(lines) if line.startswith("COPY")]
    first_copy = lines[copies[0]]
    assert first_copy == "COPY pyproject.toml ./", "only the dependency list comes first"
    code = next(i for i in copies if lines[i].startswith("COPY app"))
    install = next(i for i, line in enumerate(lines) if "pip install" in line)
    assert copies[0] < install < code, "dependencies are installed before the code is copied"
    assert any("--no-deps" in line for line in lines[code:]), "the code alone, without deps"


def test_the_image_runs_as_a_user_with_a_health_check() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER accord$", text, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.MULTILINE)
    cmd = text.rsplit("CMD", 1)[1]
    assert "alembic upgrade head" in cmd and "--proxy-headers" in cmd
