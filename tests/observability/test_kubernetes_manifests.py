"""deploy/k8s, validated offline: the production overlay renders (tests/observability/
kustomize.py, the subset of kustomize the manifests use), every resource is valid against the
Kubernetes API's schemas (kubernetes-validate, strict: no unknown fields), and the pieces fit
together: probes on the platform's endpoints, one beat, migrations as a Job, autoscalers and
disruption budgets that point at real workloads, and settings the platform accepts."""

import os
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
from django.conf import settings

from tests.observability.kustomize import render

K8S = Path(settings.BASE_DIR) / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33.0"
# Created by the operator, never kept in the repository (docs/deployment.md, "Kubernetes").
EXTERNAL_SECRETS = {"courseplatform-secrets"}


@pytest.fixture(scope="module")
def resources() -> list[dict]:
    return render(K8S / "overlays" / "production")


def find(resources: list[dict], kind: str, name: str) -> dict:
    (resource,) = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    return resource


def pod_spec(resource: dict) -> dict:
    return resource["spec"]["template"]["spec"]


def test_every_resource_is_valid_for_the_kubernetes_api(resources):
    kinds = sorted(r["kind"] for r in resources)
    assert kinds == sorted(
        ["Namespace", "ConfigMap", "Job", "Service", "Service", "Service", "Deployment", "Deployment", "Deployment"]
        + ["HorizontalPodAutoscaler"] * 2
        + ["PodDisruptionBudget"] * 2
    )
    for resource in resources:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == "courseplatform", resource["metadata"]["name"]
            assert resource["metadata"]["labels"]["app.kubernetes.io/part-of"] == "courseplatform"


def test_the_validator_refuses_a_broken_manifest(resources):
    broken = find(resources, "Deployment", "courseplatform-web")
    broken = {**broken, "spec": {**broken["spec"], "replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_web_pods_are_probed_on_healthz_and_readyz_and_workers_on_their_own_healthz(resources):
    web = pod_spec(find(resources, "Deployment", "courseplatform-web"))["containers"][0]
    assert web["ports"] == [{"name": "http", "containerPort": 8000}]
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    worker = pod_spec(find(resources, "Deployment", "courseplatform-worker"))["containers"][0]
    assert worker["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert worker["ports"] == [{"name": "metrics", "containerPort": 9808}]
    assert "celery -A courseplatform worker" in " ".join(worker["command"])


def test_one_beat_replaced_by_recreation_and_migrations_as_a_job(resources):
    beat = find(resources, "Deployment", "courseplatform-beat")
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"] == {"type": "Recreate"}
    assert pod_spec(beat)["containers"][0]["command"][:4] == ["celery", "-A", "courseplatform", "beat"]
    job = find(resources, "Job", "courseplatform-migrate")
    command = " ".join(pod_spec(job)["containers"][0]["command"])
    for step in ("migrate --noinput", "import_curriculum --report-conflicts", "setup_schedules"):
        assert step in command
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_every_container_has_resources_the_image_and_the_shared_settings(resources):
    configmaps = {r["metadata"]["name"] for r in resources if r["kind"] == "ConfigMap"}
    settings_from_configmap = find(resources, "ConfigMap", "courseplatform-config")["data"]
    workloads = [r for r in resources if r["kind"] in ("Deployment", "Job")]
    assert len(workloads) == 4
    for workload in workloads:
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 10001
        for container in spec["containers"]:
            assert container["image"] == "registry.example.com/courseplatform:2026.12.1"
            assert set(container["resources"]["requests"]) == set(container["resources"]["limits"]) == {"cpu", "memory"}
            sources = container["envFrom"]
            assert {s["configMapRef"]["name"] for s in sources if "configMapRef" in s} <= configmaps
            assert {s["secretRef"]["name"] for s in sources if "secretRef" in s} == EXTERNAL_SECRETS
            mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
            assert "/tmp" in mounts and container["securityContext"]["readOnlyRootFilesystem"] is True
            # The settings refuse to start without the metrics directory the ConfigMap names.
            assert settings_from_configmap["PROMETHEUS_MULTIPROC_DIR"] in mounts, workload["metadata"]["name"]


def test_autoscalers_budgets_and_services_point_at_real_pods(resources):
    deployments = {r["metadata"]["name"]: r for r in resources if r["kind"] == "Deployment"}
    hpas = {r["spec"]["scaleTargetRef"]["name"]: r for r in resources if r["kind"] == "HorizontalPodAutoscaler"}
    assert set(hpas) == {"courseplatform-web", "courseplatform-worker"}
    assert (hpas["courseplatform-web"]["spec"]["minReplicas"], hpas["courseplatform-web"]["spec"]["maxReplicas"]) == (
        3,
        12,
    )  # the overlay's patch
    for name in hpas:
        assert name in deployments
    selectors = [r["spec"]["selector"]["matchLabels"] for r in resources if r["kind"] == "PodDisruptionBudget"]
    selectors += [r["spec"]["selector"] for r in resources if r["kind"] == "Service"]
    for selector in selectors:
        matching = [
            name
            for name, deployment in deployments.items()
            if selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matching) == 1, selector
    for deployment in deployments.values():
        assert deployment["spec"]["selector"]["matchLabels"].items() <= (
            deployment["spec"]["template"]["metadata"]["labels"].items()
        )


def test_the_configmap_is_accepted_by_the_settings_and_documented(resources, tmp_path):
    data = find(resources, "ConfigMap", "courseplatform-config")["data"]
    docs = Path(settings.BASE_DIR) / "docs"
    documented = (docs / "configuration.md").read_text() + (docs / "deployment.md").read_text()
    for name in data:
        assert f"`{name}`" in documented, name
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    env.update(data)
    env.update(
        DJANGO_SETTINGS_MODULE="courseplatform.settings",
        SECRET_KEY="k8s-settings-check-" + "k" * 40,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),  # an emptyDir in the pod
    )
    code = "from django.conf import settings; print(settings.LOG_FORMAT, settings.TRACING_ENABLED, settings.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["json", "True", "False"]


def test_prometheus_finds_the_pods_through_the_headless_services(resources):
    scrape = (Path(settings.BASE_DIR) / "deploy" / "prometheus" / "prometheus.yml").read_text()
    for service in ("courseplatform-web-pods", "courseplatform-worker-pods"):
        headless = find(resources, "Service", service)
        assert headless["spec"]["clusterIP"] == "None"
        port = headless["spec"]["ports"][0]["port"]
        assert f"{service}.courseplatform.svc.cluster.local" in scrape and f"port: {port}" in scrape
