"""pool_containers/k8s: valid for Kubernetes 1.30 (strict schemas) and true to the code.

The manifests are rendered as `kubectl apply -k` would (kustomization.yaml: its resources, its
secretGenerator fed with secrets.env.example, its namespace), then checked against the API
schemas of kubernetes-validate (unknown fields are errors) and against the code they run:
settings fields, route tables, stop graces and the measured memory figures.
"""

from __future__ import annotations

import base64
import copy
import importlib.util
import inspect
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from aiohttp import web
from ruamel.yaml import YAML

from envsettings import EnvSettings
from gateway.app import create_app as create_gateway_app
from gateway.background import STOP_GRACE_S as GATEWAY_LOOPS_GRACE_S
from gateway.routing import all_routes
from gateway.settings import Settings
from runtime.rpc.app import create_app as create_pool_app
from runtime.settings import PoolSettings
from sandbox.server import create_app as create_sandbox_app
from sandbox.settings import SandboxSettings
from tests.pool_containers.tools import POOL_CONTAINERS, REPO, in_ci

K8S = POOL_CONTAINERS / "k8s"
KUBERNETES_VERSION = "1.30.0"
NAMESPACE = "cryptopilot"
# The fields of a kustomization that render() below understands.
KUSTOMIZE_FIELDS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "secretGenerator",
    "generatorOptions",
}
# README "Performance": supervisor + warm parent (the highest of 269-342 MiB), PSS per bot at
# the sandbox's 36 markets, at 2,000 markets when each bot loads its own copy (the warm parent
# could not load them: the limit covers that case, not only the shared 63.4), the gateway's RSS
# at the end of the load test.
BASE_MIB = 342
BOT_MIB = 59.0
BOT_MIB_2000_MARKETS = 88.7
GATEWAY_RSS_MIB = 180
# Which settings class each of our containers reads.
SETTINGS: dict[str, type[EnvSettings]] = {
    "gateway": Settings,
    "db-upgrade": Settings,
    "pool": PoolSettings,
    "sandbox": SandboxSettings,
}
# Downward-API stand-ins for rendering $(POD_NAME)-style values.
FIELD_VALUES = {"metadata.name": "pool-0", "metadata.namespace": NAMESPACE, "spec.nodeName": "n1"}
CLUSTER_PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")

Doc = dict[str, Any]


# -- loading ------------------------------------------------------------------------------------


def load_all(path: Path) -> list[Doc]:
    return [doc for doc in YAML(typ="safe").load_all(path.read_text()) if doc]


def kustomization() -> Doc:
    docs = load_all(K8S / "kustomization.yaml")
    assert len(docs) == 1
    return docs[0]


def env_file(path: Path) -> dict[str, str]:
    """A kustomize `envs:` file: KEY=VALUE lines, `#` comments."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: {line!r} is not KEY=VALUE"
            pairs[key.strip()] = value
    return pairs


def render() -> list[Doc]:
    """What `kubectl apply -k pool_containers/k8s` applies (secrets.env = the example)."""
    kust = kustomization()
    docs = [doc for name in kust["resources"] for doc in load_all(K8S / name)]
    for generator in kust.get("secretGenerator", []):
        data: dict[str, str] = {}
        for name in generator["envs"]:
            data.update(env_file(K8S / f"{name}.example"))
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": generator["name"],
                    "labels": generator.get("options", {}).get("labels", {}),
                },
                "type": "Opaque",
                "stringData": data,
            }
        )
    for doc in docs:
        if doc["kind"] != "Namespace":
            doc["metadata"].setdefault("namespace", kust["namespace"])
    return docs


def examples() -> list[Doc]:
    return [doc for path in sorted((K8S / "examples").glob("*.yaml")) for doc in load_all(path)]


DOCS = render()
EXAMPLES = examples()


def kind(kind_name: str, docs: list[Doc] = DOCS) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind_name]


def one(kind_name: str, name: str, docs: list[Doc] = DOCS) -> Doc:
    found = [doc for doc in kind(kind_name, docs) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind_name}/{name}: {len(found)} found"
    return found[0]


def workloads(docs: list[Doc]) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] in {"Deployment", "StatefulSet"}]


def pod_templates(docs: list[Doc]) -> list[tuple[str, Doc]]:
    return [(w["metadata"]["name"], w["spec"]["template"]) for w in workloads(docs)]


def containers(docs: list[Doc]) -> Iterator[tuple[Doc, Doc]]:
    """(pod template, container) for every container and init container."""
    for _, template in pod_templates(docs):
        spec = template["spec"]
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield template, container


def container(workload: str, name: str) -> Doc:
    template = next(t for w, t in pod_templates(DOCS) if w == workload)
    spec = template["spec"]
    return next(c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == name)


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def selected_pods(selector: Doc, docs: list[Doc]) -> list[Doc]:
    labels = selector.get("matchLabels", {})
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are checked here"
    return [t for _, t in pod_templates(docs) if matches(labels, t["metadata"]["labels"])]


def ports_of(pods: list[Doc]) -> dict[str, int]:
    """Container port by name over the containers of these pod templates."""
    return {
        port["name"]: port["containerPort"]
        for pod in pods
        for ctr in pod["spec"]["containers"]
        for port in ctr.get("ports", [])
    }


def environment(template: Doc, ctr: Doc, docs: list[Doc] = DOCS) -> dict[str, str]:
    """The container's variables as the kubelet would set them (Secrets from the example)."""
    env: dict[str, str] = {}
    for source in ctr.get("envFrom", []):
        config = one("ConfigMap", source["configMapRef"]["name"], docs)
        env.update({key: str(value) for key, value in config["data"].items()})
    for var in ctr.get("env", []):
        if "value" in var:
            # $(NAME) expands only from variables defined before it (and from envFrom).
            def expand(match: re.Match[str], name: str = var["name"]) -> str:
                assert match.group(1) in env, f"{name} uses $({match.group(1)}) before it is set"
                return env[match.group(1)]

            env[var["name"]] = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", expand, var["value"])
            continue
        source = var["valueFrom"]
        if "fieldRef" in source:
            env[var["name"]] = FIELD_VALUES[source["fieldRef"]["fieldPath"]]
        else:
            ref = source["secretKeyRef"]
            env[var["name"]] = one("Secret", ref["name"], docs)["stringData"][ref["key"]]
    return env


def settings_class(ctr: Doc) -> type[EnvSettings] | None:
    return SETTINGS.get(ctr["name"])


def prefix(cls: type[EnvSettings]) -> str:
    return str(cls.model_config.get("env_prefix", ""))


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return float(number) * {"Mi": 1, "Gi": 1024}[unit]


def gateway_paths() -> set[str]:
    return {route.path for route in all_routes(create_gateway_app(Settings()))}


def router_paths(app: web.Application) -> set[str]:
    return {route.resource.canonical for route in app.router.routes() if route.resource}


def healthcheck_module() -> ModuleType:
    path = POOL_CONTAINERS / "images" / "healthcheck.py"
    spec = importlib.util.spec_from_file_location("cryptopilot_healthcheck", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the files and the schemas ------------------------------------------------------------------


def test_the_kustomization_lists_every_manifest_and_nothing_the_loader_ignores():
    kust = kustomization()
    unknown = set(kust) - KUSTOMIZE_FIELDS
    assert not unknown, f"render() does not understand {unknown}"
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kust["resources"]) == sorted(on_disk)
    assert not any(name.startswith("examples") for name in kust["resources"])
    # The real secrets file is never committed; only its template is.
    for generator in kust["secretGenerator"]:
        for name in generator["envs"]:
            assert (K8S / f"{name}.example").is_file()
            assert name in (K8S / ".gitignore").read_text().split()
    assert kust["generatorOptions"]["disableNameSuffixHash"] is True  # containers name it as is


def test_kubectl_kustomize_renders_the_same_objects(tmp_path: Path):
    """The loader above is kustomize's behaviour for these files, not a guess at it."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        message = "kubectl (with its built-in kustomize) is not installed"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path / "k8s"
    shutil.copytree(K8S, folder)
    shutil.copy(folder / "secrets.env.example", folder / "secrets.env")
    result = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    rendered = [doc for doc in YAML(typ="safe").load_all(result.stdout) if doc]
    for doc in rendered:
        if doc["kind"] == "Secret":
            data = doc.pop("data")
            doc["stringData"] = {k: base64.b64decode(v).decode() for k, v in data.items()}

    def key(doc: Doc) -> tuple[str, str, str]:
        return doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"]

    assert sorted(rendered, key=key) == sorted(DOCS, key=key)


@pytest.mark.parametrize(
    "doc",
    DOCS + EXAMPLES,
    ids=[f"{d['kind']}/{d['metadata']['name']}" for d in DOCS + EXAMPLES],
)
def test_every_document_validates_strictly_against_kubernetes_1_30(doc: Doc):
    version = kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert version == "1.30"


def test_strict_validation_catches_a_misspelt_field():
    broken = copy.deepcopy(one("StatefulSet", "pool"))
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError, match="imagePullPolicyy"):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_every_file_names_its_namespace_so_apply_f_works_too():
    for path in [*K8S.glob("*.yaml"), *(K8S / "examples").glob("*.yaml")]:
        if path.name == "kustomization.yaml":
            continue
        for doc in load_all(path):
            if doc["kind"] != "Namespace":
                assert doc["metadata"].get("namespace") == NAMESPACE, f"{path.name}: {doc['kind']}"
    assert kustomization()["namespace"] == NAMESPACE
    assert one("Namespace", NAMESPACE)


def test_images_are_the_ones_the_repository_builds():
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    ours = {
        "gateway": f"localhost/cryptopilot-gateway:{version}",
        "db-upgrade": f"localhost/cryptopilot-gateway:{version}",
        "pool": f"localhost/cryptopilot-pool:{version}",
        "sandbox": f"localhost/cryptopilot-pool:{version}",
    }
    for _, ctr in containers(DOCS + EXAMPLES):
        assert ctr["imagePullPolicy"] == "IfNotPresent", ctr["name"]
        if ctr["name"] in ours:
            assert ctr["image"] == ours.pop(ctr["name"])
        else:  # third-party images are pinned to a release
            assert re.fullmatch(r"docker\.io/library/[a-z]+:\d+\.\d+(\.\d+)?-\w+", ctr["image"])
    assert not ours, f"no container named {sorted(ours)}"


# -- references between objects -----------------------------------------------------------------


def test_workload_and_budget_selectors_match_their_pods():
    for workload in workloads(DOCS + EXAMPLES):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert matches(workload["spec"]["selector"]["matchLabels"], labels)
    for budget in kind("PodDisruptionBudget"):
        assert len(selected_pods(budget["spec"]["selector"], DOCS)) == 1


def test_every_service_selects_pods_on_a_named_port_they_have():
    for service in kind("Service", DOCS) + kind("Service", EXAMPLES):
        pods = [
            t
            for _, t in pod_templates(DOCS + EXAMPLES)
            if matches(service["spec"]["selector"], t["metadata"]["labels"])
        ]
        assert pods, f"Service {service['metadata']['name']} selects no pod"
        for port in service["spec"]["ports"]:
            for pod in pods:
                names = ports_of([pod])
                assert port["targetPort"] in names, service["metadata"]["name"]
                assert names[port["targetPort"]] == port["port"]


def test_the_pools_headless_service_gives_each_pool_its_dns_name():
    pools = one("StatefulSet", "pool")
    service = one("Service", pools["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"
    env = environment(pools["spec"]["template"], container("pool", "pool"))
    port = env["CRYPTOPILOT_POOL_CONTROL_PORT"]
    # Pod pool-0 announces itself as pool-0, at its name in the headless Service.
    assert env["CRYPTOPILOT_POOL_POOL_ID"] == "pool-0"
    assert env["CRYPTOPILOT_POOL_PUBLIC_URL"] == (
        f"http://pool-0.{service['metadata']['name']}.{NAMESPACE}.svc.cluster.local:{port}"
    )
    assert {p["containerPort"] for p in container("pool", "pool")["ports"]} == {int(port)}
    gateway = one("Service", "gateway")
    assert env["CRYPTOPILOT_POOL_GATEWAY_URL"] == (
        f"http://{gateway['metadata']['name']}:{gateway['spec']['ports'][0]['port']}"
    )


def test_every_referenced_secret_and_configmap_key_exists():
    for docs in (DOCS, DOCS + EXAMPLES):
        for _, ctr in containers(docs):
            for source in ctr.get("envFrom", []):
                assert "configMapRef" in source  # secrets are named one by one, never whole
                one("ConfigMap", source["configMapRef"]["name"], docs)
            for var in ctr.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref is not None:
                    secret = one("Secret", ref["name"], docs)
                    assert ref["key"] in secret["stringData"], f"{ctr['name']}: {ref['key']}"
    # And no secret key sits unused.
    used = {
        var["valueFrom"]["secretKeyRef"]["key"]
        for _, ctr in containers(DOCS)
        for var in ctr.get("env", [])
        if "secretKeyRef" in var.get("valueFrom", {})
    }
    assert used == set(one("Secret", "cryptopilot-secrets")["stringData"])


# -- the code the containers run ----------------------------------------------------------------


def test_every_variable_is_a_settings_field_of_the_process_that_reads_it():
    checked = set()
    for template, ctr in containers(DOCS):
        cls = settings_class(ctr)
        if cls is None:
            continue
        fields = {cls.env_name(name) for name in cls.model_fields}
        for name in environment(template, ctr):
            if name.startswith(prefix(cls)):
                assert name in fields, f"{ctr['name']}: {name} is no setting"
            else:  # only the downward API's helpers, used in $(...) above
                assert name in {"POD_NAME", "POD_NAMESPACE", "NODE_NAME"}, name
        checked.add(ctr["name"])
    assert checked == set(SETTINGS)


def test_the_settings_load_and_pass_their_own_checks():
    """The values, not only the names: a production gateway and a pool start with them."""
    for template, ctr in containers(DOCS):
        cls = settings_class(ctr)
        if cls is None:
            continue
        settings = cls.from_env(environment(template, ctr))
        if isinstance(settings, Settings):
            assert settings.is_production
            assert settings.host == "0.0.0.0"
        if isinstance(settings, PoolSettings):
            settings.require_token()
            assert settings.control_host == "0.0.0.0"
            assert str(settings.data_dir) in {m["mountPath"] for m in ctr["volumeMounts"]}


def test_probes_point_at_real_routes_on_real_ports():
    gateway_routes = gateway_paths()
    sandbox_routes = router_paths(create_sandbox_app(SandboxSettings()))
    pool_routes = router_paths(create_pool_app(PoolSettings(token="t")))
    routes = {"gateway": gateway_routes, "sandbox": sandbox_routes}
    healthcheck = healthcheck_module()
    for template, ctr in containers(DOCS):
        if ctr["name"] == "db-upgrade":
            continue
        ports = {p["name"]: p["containerPort"] for p in ctr.get("ports", [])}
        for probe_name in ("startupProbe", "livenessProbe", "readinessProbe"):
            probe = ctr.get(probe_name)
            if probe is None:
                assert probe_name == "startupProbe", f"{ctr['name']} has no {probe_name}"
                continue
            if "httpGet" in probe:
                assert probe["httpGet"]["port"] in ports
                assert probe["httpGet"]["path"] in routes[ctr["name"]], probe["httpGet"]
            elif "tcpSocket" in probe:
                assert probe["tcpSocket"]["port"] in ports
            elif ctr["name"] == "pool":
                # /health wants the token: the image's check reads it from the environment.
                assert probe["exec"]["command"] == ["cryptopilot-healthcheck", "pool"]
                env = environment(template, ctr)
                monkey = pytest.MonkeyPatch()
                for name, value in env.items():
                    monkey.setenv(name, value)
                try:
                    request = healthcheck._request("pool")
                finally:
                    monkey.undo()
                token = env["CRYPTOPILOT_POOL_TOKEN"]
                assert request.headers["Authorization"] == f"Bearer {token}"
                url = re.fullmatch(r"http://127\.0\.0\.1:(\d+)(/\S*)", request.full_url)
                assert url is not None
                assert int(url.group(1)) == ports["control"]
                assert url.group(2) in pool_routes
    # The gateway's liveness does not depend on the database; its readiness does.
    gateway = container("gateway", "gateway")
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/api/health"
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/api/ready"


def test_the_ingress_routes_api_and_websockets_to_the_gateway_for_long_streams():
    ingress = one("Ingress", "gateway")
    paths = gateway_paths()
    service = one("Service", "gateway")
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == service["metadata"]["name"]
            assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
            assert any(p.startswith(path["path"] + "/") for p in paths), path["path"]
    prefixes = {p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert prefixes == {"/api", "/ws"}
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert notes["nginx.ingress.kubernetes.io/proxy-http-version"] == "1.1"
    # A stream idle between two pings must outlive them many times over.
    ping = Settings().stream_ping_interval
    for name in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(notes[f"nginx.ingress.kubernetes.io/{name}"]) >= 100 * ping


def test_network_policies_select_real_pods_on_ports_they_listen_on():
    everything = DOCS + EXAMPLES
    for policy in kind("NetworkPolicy", everything):
        spec = policy["spec"]
        targets = selected_pods(spec["podSelector"], everything)
        assert targets, f"NetworkPolicy {policy['metadata']['name']} selects no pod"
        target_ports = set(ports_of(targets).values())
        for rule in spec.get("ingress", []):
            for peer in rule["from"]:
                if "namespaceSelector" not in peer and "podSelector" in peer:
                    assert selected_pods(peer["podSelector"], everything), peer
            for port in rule["ports"]:
                assert port["port"] in target_ports, (policy["metadata"]["name"], port)
        for rule in spec.get("egress", []):
            for peer in rule["to"]:
                if "namespaceSelector" in peer or "podSelector" not in peer:
                    continue
                peer_pods = selected_pods(peer["podSelector"], everything)
                assert peer_pods, peer
                peer_ports = set(ports_of(peer_pods).values())
                for port in rule["ports"]:
                    assert port["port"] in peer_ports, (policy["metadata"]["name"], port)


def test_network_policies_deny_by_default_and_let_only_the_gateway_reach_pools():
    deny = one("NetworkPolicy", "default-deny")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    # Only the gateway reaches a pool, and only on the control port.
    pool_policy = one("NetworkPolicy", "pool")
    assert pool_policy["spec"]["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}],
            "ports": [{"port": 18080, "protocol": "TCP"}],
        }
    ]
    # The internet (exchange, PostHog, ...) means outside the cluster's private ranges.
    for policy in kind("NetworkPolicy"):
        for rule in policy["spec"].get("egress", []):
            if any(p["port"] == 443 for p in rule["ports"]):
                assert rule["to"] == [
                    {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(CLUSTER_PRIVATE)}}
                ]


# -- sizes and times from the code and the measurements -----------------------------------------


def test_termination_grace_outlasts_the_bots_stop_grace_and_the_shutdown_path():
    aiohttp_in_flight = inspect.signature(web.BaseRunner.__init__).parameters["shutdown_timeout"]
    pools = one("StatefulSet", "pool")
    env = environment(pools["spec"]["template"], container("pool", "pool"))
    stop_grace = PoolSettings.from_env(env).stop_grace
    assert stop_grace == PoolSettings.model_fields["stop_grace"].default  # the code's 10 s
    pool_grace = pools["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    # In-flight control calls, then every bot SIGTERM -> SIGKILL at once, then PostHog's 2 s.
    assert pool_grace > aiohttp_in_flight.default + stop_grace + 2
    gateway = one("Deployment", "gateway")
    pre_stop = int(container("gateway", "gateway")["lifecycle"]["preStop"]["exec"]["command"][1])
    run_app_in_flight = inspect.signature(web.run_app).parameters["shutdown_timeout"].default
    gateway_grace = gateway["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert gateway_grace > pre_stop + run_app_in_flight + GATEWAY_LOOPS_GRACE_S


def test_pool_memory_is_sized_from_the_measured_figures():
    readme = (REPO / "README.md").read_text()
    # The figures this test uses are still the README's (change both together).
    assert f"supervisor + warm parent {BASE_MIB} MiB" in readme
    assert f"({BOT_MIB})" in readme and f"({BOT_MIB_2000_MARKETS})" in readme
    assert f"{GATEWAY_RSS_MIB} MiB" in readme
    pools = one("StatefulSet", "pool")
    env = environment(pools["spec"]["template"], container("pool", "pool"))
    capacity = int(env["CRYPTOPILOT_POOL_CAPACITY"])
    resources = container("pool", "pool")["resources"]
    assert mebibytes(resources["requests"]["memory"]) >= BASE_MIB + capacity * BOT_MIB
    assert mebibytes(resources["limits"]["memory"]) >= BASE_MIB + capacity * BOT_MIB_2000_MARKETS
    gateway = container("gateway", "gateway")["resources"]
    assert mebibytes(gateway["requests"]["memory"]) >= GATEWAY_RSS_MIB
    # The strategy validation run is a child of the gateway, capped at this address space.
    validation = Settings().strategy_check_memory_mb
    assert mebibytes(gateway["limits"]["memory"]) >= GATEWAY_RSS_MIB + validation
    for _, ctr in containers(DOCS + EXAMPLES):
        assert {"requests", "limits"} <= set(ctr["resources"]), ctr["name"]
        assert "memory" in ctr["resources"]["limits"], ctr["name"]


def test_replicas_rollout_and_disruption_budgets():
    gateway = one("Deployment", "gateway")
    assert gateway["spec"]["replicas"] >= 2
    assert gateway["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert one("PodDisruptionBudget", "gateway")["spec"] == {
        "minAvailable": 1,
        "selector": gateway["spec"]["selector"],
    }
    pools = one("StatefulSet", "pool")
    assert pools["spec"]["replicas"] >= 2
    assert one("PodDisruptionBudget", "pool")["spec"] == {
        "maxUnavailable": 1,
        "selector": pools["spec"]["selector"],
    }
    # One claim per pool, mounted where the pool keeps pool.json and its bots.
    (claim,) = pools["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    mounts = {m["name"]: m["mountPath"] for m in container("pool", "pool")["volumeMounts"]}
    env = environment(pools["spec"]["template"], container("pool", "pool"))
    assert mounts[claim["metadata"]["name"]] == env["CRYPTOPILOT_POOL_DATA_DIR"]


def test_the_strategy_repository_is_one_volume_shared_by_every_gateway_replica():
    gateway = one("Deployment", "gateway")
    ctr = container("gateway", "gateway")
    repo = Path(environment(gateway["spec"]["template"], ctr)["CRYPTOPILOT_STRATEGY_REPO"])
    mount = next(m for m in ctr["volumeMounts"] if repo.is_relative_to(m["mountPath"]))
    volume = next(
        v for v in gateway["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]
    )
    claim = one("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
