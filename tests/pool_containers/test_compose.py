"""pool_containers/compose.yml: the compose spec schema, the pool generator, its properties."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gateway.settings import Settings
from runtime.settings import PoolSettings, load_settings
from tests.pool_containers.tools import POOL_CONTAINERS, REPO, debian_tool, venv_tool

RENDER = POOL_CONTAINERS / "render_pools.py"
# README: ~400 MiB supervisor + warm parent and ~57 MiB a bot, 10 bots a pool.
POOL_NEEDS_MIB = 400 + 10 * 57
ONE_SHOT = {"migrate"}
NAMESPACE = "net"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    return data


def copy_rendered(tmp_path: Path, count: int) -> Path:
    """pool_containers/ copied to tmp_path and rendered for `count` pools."""
    folder = tmp_path / "pool_containers"
    shutil.copytree(POOL_CONTAINERS, folder)
    subprocess.run(
        [sys.executable, str(folder / "render_pools.py"), "--count", str(count)],
        check=True,
        capture_output=True,
    )
    return folder


def mebibytes(limit: str) -> float:
    number, unit = re.fullmatch(r"(\d+)([kmg])", limit.lower()).groups()  # type: ignore[union-attr]
    return int(number) * {"k": 1 / 1024, "m": 1, "g": 1024}[unit]


def default(value: str) -> str:
    """`${NAME:-default}` -> default; plain text stays."""
    match = re.fullmatch(r"\$\{[A-Z_]+:-([^}]*)\}", value)
    return match.group(1) if match else value


def interpolated(env: dict[str, Any]) -> dict[str, str]:
    """A service's environment as compose would pass it, with sample secrets."""
    out = {}
    for name, value in env.items():
        text = str(value)
        text = re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "s3cret-" + "x" * 40, text)
        text = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)
        out[name] = text
    return out


def field_names(settings_class: type) -> set[str]:
    """Field names of a settings class (a dataclass or a pydantic model)."""
    if dataclasses.is_dataclass(settings_class):
        return {f.name for f in dataclasses.fields(settings_class)}
    return set(settings_class.model_fields)  # type: ignore[attr-defined]


def pools(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if re.fullmatch(r"pool-\d+", name)
    }


@pytest.mark.parametrize("count", [None, 1, 5])
def test_compose_file_validates_against_the_compose_spec(tmp_path: Path, count: int | None):
    path = POOL_CONTAINERS / "compose.yml"
    if count is not None:
        path = copy_rendered(tmp_path, count) / "compose.yml"
    result = subprocess.run(
        [venv_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_misspelt_key(tmp_path: Path):
    broken = tmp_path / "compose.yml"
    text = (POOL_CONTAINERS / "compose.yml").read_text()
    broken.write_text(text.replace("mem_limit:", "mem_limt:"))
    result = subprocess.run(
        [venv_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "mem_limt" in result.stdout


def test_the_committed_files_are_rendered_for_the_example_pool_count():
    example = (POOL_CONTAINERS / ".env.example").read_text()
    count = re.search(r"^CRYPTOPILOT_POOL_COUNT=(\d+)$", example, re.M).group(1)  # type: ignore[union-attr]
    result = subprocess.run(
        [sys.executable, str(RENDER), "--check", "--count", count], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert len(pools(load(POOL_CONTAINERS / "compose.yml"))) == int(count)


def test_render_reads_the_count_from_dot_env_and_refuses_a_bad_one(tmp_path: Path):
    folder = copy_rendered(tmp_path, 1)
    (folder / ".env").write_text("CRYPTOPILOT_POOL_COUNT=3\n")
    subprocess.run([sys.executable, str(folder / "render_pools.py")], check=True)
    assert sorted(pools(load(folder / "compose.yml"))) == ["pool-1", "pool-2", "pool-3"]

    bad = subprocess.run(
        [sys.executable, str(folder / "render_pools.py"), "--count", "21"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "between 1 and 20" in bad.stderr


def test_only_the_gateway_port_is_published_and_only_on_loopback(tmp_path: Path):
    compose = load(copy_rendered(tmp_path, 3) / "compose.yml")
    services = compose["services"]
    published = {name for name, service in services.items() if "ports" in service}
    assert published == {NAMESPACE}
    (port,) = services[NAMESPACE]["ports"]
    assert re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", port) == "127.0.0.1:8080:8080"
    # The namespace whose port that is: the gateway's (and the pools', which must reach it).
    sharing = {n for n, s in services.items() if s.get("network_mode") == f"service:{NAMESPACE}"}
    assert sharing == {"gateway", *pools(compose)}
    assert Settings.from_env(interpolated(services["gateway"]["environment"])).port == 8080
    assert services[NAMESPACE].get("expose") is None


def test_one_network_and_every_other_service_on_it(tmp_path: Path):
    compose = load(copy_rendered(tmp_path, 2) / "compose.yml")
    assert list(compose["networks"]) == ["backend"]
    for name, service in compose["services"].items():
        if service.get("network_mode") != f"service:{NAMESPACE}":
            assert service["networks"] == ["backend"], name


def test_every_service_has_a_restart_policy_and_a_health_check(tmp_path: Path):
    compose = load(copy_rendered(tmp_path, 2) / "compose.yml")
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            assert service["restart"] == "on-failure", name
            continue
        assert service["restart"] == "unless-stopped", name
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD" and len(test) > 1, name
    gateway_needs = compose["services"]["gateway"]["depends_on"]
    assert gateway_needs["migrate"] == {"condition": "service_completed_successfully"}
    assert compose["services"]["migrate"]["command"] == ["db", "upgrade"]


def test_pools_have_memory_limits_own_volumes_and_disjoint_ports(tmp_path: Path):
    compose = load(copy_rendered(tmp_path, 4) / "compose.yml")
    found = pools(compose)
    assert len(found) == 4
    volumes, control_ports, port_ranges, ids = [], [], [], []
    for name, pool in found.items():
        assert mebibytes(default(pool["mem_limit"])) >= POOL_NEEDS_MIB, name
        (volume,) = pool["volumes"]
        source, target = volume.split(":")
        assert target == "/data" and source in compose["volumes"], name
        volumes.append(source)
        settings = load_settings(environ=interpolated(pool["environment"]))
        settings.require_token()  # every other field was validated when it was read
        assert settings.pool_id == name
        assert str(settings.data_dir) == "/data"
        assert settings.control_host == "0.0.0.0"
        assert settings.public_url == f"http://127.0.0.1:{settings.control_port}"
        assert pool["environment"]["CRYPTOPILOT_POOL_URL"] == settings.public_url
        assert settings.gateway_url == "http://127.0.0.1:8080"
        ids.append(settings.pool_id)
        control_ports.append(settings.control_port)
        port_ranges.append(range(settings.api_port_min, settings.api_port_max + 1))
        # Bots stop within stop_grace after SIGTERM; docker must wait longer than that.
        grace = int(pool["stop_grace_period"].removesuffix("s"))
        assert grace > PoolSettings().stop_grace, name
    assert len(set(volumes)) == len(set(ids)) == len(set(control_ports)) == 4
    taken = [port for ports in port_ranges for port in ports]
    assert len(taken) == len(set(taken)), "bot port ranges overlap"
    assert not set(control_ports) & set(taken) and 8080 not in taken


def test_environment_names_are_real_settings(tmp_path: Path):
    compose = load(copy_rendered(tmp_path, 1) / "compose.yml")
    services = compose["services"]
    gateway_fields = field_names(Settings)
    for name in services["gateway"]["environment"]:
        assert name.removeprefix("CRYPTOPILOT_").lower() in gateway_fields, name
    pool_fields = field_names(PoolSettings) | {"url"}  # CRYPTOPILOT_POOL_URL: the pool CLI's
    for name in services["pool-1"]["environment"]:
        assert name.removeprefix("CRYPTOPILOT_POOL_").lower() in pool_fields, name
    gateway = Settings.from_env(interpolated(services["gateway"]["environment"]))
    assert gateway.is_production and gateway.trust_forwarded_for
    assert gateway.database_url.startswith("postgresql+asyncpg://cryptopilot:")
    assert gateway.database_url.endswith("@postgres:5432/cryptopilot")


def test_images_use_the_shared_names_and_the_project_version():
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    compose = load(POOL_CONTAINERS / "compose.yml")
    images = {compose["services"][name]["image"] for name in ("gateway", "pool-1", "sandbox")}
    assert images == {
        f"${{CRYPTOPILOT_IMAGE_REGISTRY:-localhost}}/cryptopilot-{kind}:"
        f"${{CRYPTOPILOT_IMAGE_TAG:-{version}}}"
        for kind in ("gateway", "pool")
    }


def test_postgres_profiles_and_prometheus_targets():
    compose = load(POOL_CONTAINERS / "compose.yml")
    services = compose["services"]
    assert services["postgres"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert services["sqld"]["profiles"] == ["sqld"]
    assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["monitoring"]
    prometheus = load(POOL_CONTAINERS / "monitoring" / "prometheus.yml")
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    assert jobs["gateway"]["static_configs"][0]["targets"] == ["net:8080"]
    assert jobs["gateway"]["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
    # Pools are discovered from the gateway's registry; scraping them wants the pool token.
    pool_job = jobs["pools"]
    assert "static_configs" not in pool_job and pool_job["honor_labels"] is True
    assert pool_job["authorization"]["credentials_file"] == "/run/secrets/pool_token"
    (discovery,) = pool_job["http_sd_configs"]
    assert discovery["url"] == "http://net:8080/api/internal/prometheus/pools"
    assert discovery["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
    # A pool registered as 127.0.0.1:PORT (the gateway's namespace) is scraped at net:PORT.
    (relabel,) = pool_job["relabel_configs"]
    address = re.fullmatch(relabel["regex"], "127.0.0.1:18081")
    assert address is not None
    assert relabel["replacement"].replace("$1", address.group(1)) == "net:18081"
    assert re.fullmatch(relabel["regex"], "pool-host.example:18081") is None
    # Every secret the monitoring profile reads is defined and mounted where the config reads it.
    for name in ("pool_token", "metrics_token"):
        assert name in services["prometheus"]["secrets"] and name in compose["secrets"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in services["prometheus"]["volumes"]}
    assert mounts["/etc/prometheus/rules"] == "./monitoring/rules"
    assert prometheus["rule_files"] == ["rules/*.rules.yml"]
    grafana = {m.split(":")[1]: m.split(":")[0] for m in services["grafana"]["volumes"]}
    assert grafana["/etc/grafana/provisioning"] == "./monitoring/grafana/provisioning"
    assert grafana["/etc/grafana/dashboards"] == "./monitoring/grafana/dashboards"
    for source in (*mounts.values(), *grafana.values()):
        if source.startswith("./"):
            assert (POOL_CONTAINERS / source).exists(), source


def test_env_example_has_every_variable_compose_reads_and_no_secret_values():
    compose_text = (POOL_CONTAINERS / "compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)[:}]", compose_text))
    lines = (POOL_CONTAINERS / ".env.example").read_text().splitlines()
    example = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert used <= set(example), used - set(example)
    secrets = ("POSTGRES_PASSWORD", "CRYPTOPILOT_JWT_SECRET", "CRYPTOPILOT_POOL_TOKEN")
    for secret in (*secrets, "CRYPTOPILOT_METRICS_TOKEN"):
        assert example[secret] == ""


def test_prometheus_config_passes_promtool(tmp_path: Path):
    folder = copy_rendered(tmp_path, 3)
    config = folder / "monitoring" / "prometheus.yml"
    text = config.read_text()
    # The secrets compose mounts; promtool insists that they exist.
    for name in ("pool_token", "metrics_token"):
        (tmp_path / name).write_text("s3cret\n")
        text = text.replace(f"/run/secrets/{name}", str(tmp_path / name))
    config.write_text(text)
    result = subprocess.run(
        [debian_tool("promtool", "prometheus"), "check", "config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr
    # The rule files were found and checked too.
    assert "cryptopilot.rules.yml" in result.stdout + result.stderr
