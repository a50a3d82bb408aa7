"""deploy/compose.yaml and deploy/Dockerfile agree with the local stack's defaults.env."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def load_defaults() -> dict[str, str]:
    lines = (DEPLOY / "local" / "defaults.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


@pytest.fixture(scope="module")
def defaults() -> dict[str, str]:
    return load_defaults()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def env_of(compose: dict[str, Any], service: str) -> dict[str, str]:
    return {k: str(v) for k, v in compose["services"][service]["environment"].items()}


def published(compose: dict[str, Any], service: str) -> dict[int, int]:
    """Host port -> container port, from "host_ip:host:container" entries."""
    mapping = {}
    for entry in compose["services"][service]["ports"]:
        host, container = str(entry).rsplit(":", 2)[-2:]
        mapping[int(host)] = int(container)
    return mapping


def test_defaults_are_the_ones_the_design_names(defaults: dict[str, str]) -> None:
    assert defaults["LOCAL_KAFKA_PORT"] == "19092"
    assert defaults["LOCAL_KAFKA_CONTROLLER_PORT"] == "19093"
    assert defaults["LOCAL_PG_PORT"] == "55432"
    assert (defaults["PG_DATABASE"], defaults["PG_USER"], defaults["PG_PASSWORD"]) == (
        "claims",
        "claims",
        "claims",
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+", defaults["KAFKA_VERSION"])


def test_stack_script_reads_the_defaults_and_passes_the_kafka_version_to_maven() -> None:
    script = (DEPLOY / "local" / "stack").read_text()
    pom = (DEPLOY / "local" / "kafka" / "pom.xml").read_text()
    assert '"$HERE/defaults.env"' in script
    assert '"-Dkafka.version=$KAFKA_VERSION"' in script
    assert "<artifactId>kafka_2.13</artifactId>" in pom
    assert "<version>${kafka.version}</version>" in pom


def test_compose_kafka_runs_the_same_version(
    compose: dict[str, Any], defaults: dict[str, str]
) -> None:
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{defaults['KAFKA_VERSION']}"


def test_compose_kafka_is_one_kraft_node_like_the_local_stack(
    compose: dict[str, Any], defaults: dict[str, str]
) -> None:
    env = env_of(compose, "kafka")
    node = defaults["KAFKA_NODE_ID"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_NODE_ID"] == node
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{node}@kafka:9093"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert env["KAFKA_NUM_PARTITIONS"] == defaults["KAFKA_NUM_PARTITIONS"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == defaults["KAFKA_AUTO_CREATE_TOPICS"]
    assert (
        env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"]
        == defaults["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"]
    )
    assert env["KAFKA_HEAP_OPTS"] == defaults["KAFKA_HEAP_OPTS"]
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[key] == "1", key


def test_compose_kafka_serves_the_host_where_the_local_stack_does(
    compose: dict[str, Any], defaults: dict[str, str]
) -> None:
    env = env_of(compose, "kafka")
    port = int(defaults["LOCAL_KAFKA_PORT"])
    listeners = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
    advertised = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )

    assert published(compose, "kafka") == {port: port}
    assert listeners["HOST"] == f":{port}"
    assert advertised["HOST"] == f"127.0.0.1:{port}"
    assert advertised["PLAINTEXT"] == "kafka:9092"
    assert "CONTROLLER" not in advertised  # the controller stays inside, as on 127.0.0.1 locally
    assert set(protocols) == set(listeners)
    assert set(protocols.values()) == {"PLAINTEXT"}


def test_compose_postgres_has_the_local_database_role_and_port(
    compose: dict[str, Any], defaults: dict[str, str]
) -> None:
    env = env_of(compose, "postgres")
    assert compose["services"]["postgres"]["image"] == "postgres:15"
    assert env["POSTGRES_DB"] == defaults["PG_DATABASE"]
    assert env["POSTGRES_USER"] == defaults["PG_USER"]
    assert env["POSTGRES_PASSWORD"] == defaults["PG_PASSWORD"]
    assert published(compose, "postgres") == {int(defaults["LOCAL_PG_PORT"]): 5432}


def test_compose_worker_talks_to_the_compose_services(
    compose: dict[str, Any], defaults: dict[str, str]
) -> None:
    worker = compose["services"]["worker"]
    env = env_of(compose, "worker")
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["DATABASE_URL"] == (
        f"postgresql://{defaults['PG_USER']}:{defaults['PG_PASSWORD']}"
        f"@postgres:5432/{defaults['PG_DATABASE']}"
    )
    assert worker["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert published(compose, "worker") == {6066: 6066}
    assert set(worker["depends_on"]) == {"kafka", "postgres"}


def test_prometheus_scrapes_the_worker_metrics(compose: dict[str, Any]) -> None:
    volumes = compose["services"]["prometheus"]["volumes"]
    assert "./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in volumes
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    worker = jobs["claims-worker"]
    assert worker["metrics_path"] == "/metrics"
    assert worker["static_configs"] == [{"targets": ["worker:6066"]}]


def test_prometheus_in_compose_loads_the_alert_rules_next_to_its_config(
    compose: dict[str, Any],
) -> None:
    volumes = compose["services"]["prometheus"]["volumes"]
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    # rule_files are relative to the config file, so they must sit beside it in the container.
    for name in config["rule_files"]:
        assert f"./prometheus/{name}:/etc/prometheus/{name}:ro" in volumes
        assert (DEPLOY / "prometheus" / name).is_file()


def test_compose_grafana_is_provisioned_with_the_prometheus_datasource_and_the_dashboards(
    compose: dict[str, Any],
) -> None:
    grafana = compose["services"]["grafana"]
    assert grafana["image"].startswith("grafana/grafana:")
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert "./grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana["volumes"]
    assert published(compose, "grafana") == {3000: 3000}
    assert grafana["depends_on"] == ["prometheus"]
    provider = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "dashboards" / "claims.yml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    home = env_of(compose, "grafana")["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (DEPLOY / "grafana" / "dashboards" / Path(home).name).is_file()
    source = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    prometheus_port = published(compose, "prometheus")[9090]
    assert source["datasources"][0]["url"] == f"http://prometheus:{prometheus_port}"


def test_dockerfile_installs_the_project_and_runs_the_worker() -> None:
    lines = [
        line.strip()
        for line in (DEPLOY / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    runs = [line for line in lines if line.startswith("RUN ")]
    assert any(re.search(r"\bpip install\b.*\s\.$", line) for line in runs), runs
    cmds = [line for line in lines if line.startswith("CMD ")]
    assert len(cmds) == 1
    assert json.loads(cmds[0].removeprefix("CMD ")) == ["claims", "worker"]
    assert "EXPOSE 6066" in lines


def test_compose_checks_the_worker_s_health_on_readyz(compose: dict[str, Any]) -> None:
    check = compose["services"]["worker"]["healthcheck"]["test"]
    assert check[:2] == ["CMD", "python"]
    assert "http://127.0.0.1:6066/readyz" in check[-1]
