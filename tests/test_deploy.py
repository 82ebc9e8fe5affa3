"""The deployment files (deploy/) validate offline: the Kubernetes manifests against the schemas
kubernetes-validate ships, the Compose file against the Compose specification's schema (deploy/schema/), and
they carry what #25 asks: probes on /livez and /readyz, resource requests, secrets from a Secret or the
environment, a migration job, the token everywhere."""

from __future__ import annotations

import json
import re

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft201909Validator

from core.config import ROOT

DEPLOY = ROOT / "deploy"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
KUBERNETES_VERSION = "1.30.0"


def documents():
    return [(path.name, doc) for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


@pytest.mark.parametrize("name, document", documents(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_every_kubernetes_manifest_validates_strictly(name, document):
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def workloads():
    return {doc["metadata"]["name"]: doc for _, doc in documents() if doc["kind"] in ("Deployment", "StatefulSet")}


def test_the_manifests_have_gateway_rasa_actions_and_a_migration_job_with_probes_and_requests():
    found = workloads()
    assert set(found) == {"gateway", "rasa", "actions"}
    gateway = found["gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for workload in found.values():
        [container] = workload["spec"]["template"]["spec"]["containers"]
        assert {"livenessProbe", "readinessProbe"} <= set(container)
        requests = container["resources"]["requests"]
        assert re.fullmatch(r"\d+Mi", requests["memory"]) and requests["cpu"]
        secrets = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", []) if "valueFrom" in e}
        assert secrets["ASSISTANT_INTERNAL_TOKEN"] == "ir-assistant"
    [job] = [doc for _, doc in documents() if doc["kind"] == "Job"]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["python", "-m", "core.storage.migrate"]
    # The gateway's list of Rasa servers names each pod of the StatefulSet.
    [config] = [doc for _, doc in documents() if doc["kind"] == "ConfigMap"]
    replicas = found["rasa"]["spec"]["replicas"]
    assert config["data"]["RASA_URL"].split(",") == [f"http://rasa-{i}.rasa:5005" for i in range(replicas)]
    # No secret value in the repository.
    assert not [doc for _, doc in documents() if doc["kind"] == "Secret"]


def test_the_compose_file_validates_against_the_compose_specification():
    schema = json.loads((DEPLOY / "schema" / "compose_spec.json").read_text())
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    errors = sorted(Draft201909Validator(schema).iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_compose_file_runs_two_of_each_with_the_migration_first_and_secrets_from_the_environment():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"gateway-1", "gateway-2", "rasa-1", "rasa-2", "actions-1", "actions-2", "migrate", "loadbalancer"} <= set(services)
    for name in ("gateway-1", "gateway-2"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "/livez" in " ".join(services[name]["healthcheck"]["test"])
    for name in ("gateway-1", "rasa-1", "actions-1"):
        assert services[name]["environment"]["ASSISTANT_INTERNAL_TOKEN"].startswith("${ASSISTANT_INTERNAL_TOKEN:?")
        assert services[name]["deploy"]["resources"]["reservations"]["memory"]
    assert services["rasa-1"]["environment"]["ACTION_ENDPOINT_URL"] == "http://actions-1:5055/webhook"
    text = (DEPLOY / "compose.yaml").read_text()
    assert "server gateway-1 gateway-1:8000" in (DEPLOY / "haproxy.cfg").read_text()
    assert not re.search(r"(PASSWORD|TOKEN|SECRET_KEY): [^$\s]", text)
