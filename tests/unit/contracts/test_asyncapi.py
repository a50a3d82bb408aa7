"""schemas/asyncapi.yaml describes exactly the topics of streams/kafka/topics.py and existing
schemas."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from contract_support import SCHEMAS

from streams.kafka.topics import TOPICS, TopicSpec, approved_topic, topic, topics_carrying

DOC: dict[str, Any] = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text(encoding="utf-8"))
CHANNELS = {c["address"]: c for c in DOC["channels"].values()}


def test_document_is_asyncapi_3() -> None:
    assert DOC["asyncapi"].startswith("3.")
    assert "batch_id" in DOC["info"]["description"]  # the bulk-enrollment design is documented


def test_channels_are_exactly_the_declared_topics() -> None:
    assert sorted(CHANNELS) == sorted(spec.name for spec in TOPICS)


@pytest.mark.parametrize("spec", TOPICS, ids=lambda s: s.name)
def test_each_channel_matches_its_topic_spec(spec: TopicSpec) -> None:
    channel = CHANNELS[spec.name]
    kafka = channel["bindings"]["kafka"]
    assert kafka["topic"] == spec.name and kafka["partitions"] == spec.partitions
    config = kafka["topicConfiguration"]
    assert config["cleanup.policy"] == [spec.config()["cleanup.policy"]]
    assert config.get("retention.ms") == spec.retention_ms
    messages = channel["messages"].values()
    assert [m["name"] for m in messages] == list(spec.value_schemas)
    for message in messages:
        payload = message["payload"]
        assert payload["schemaFormat"] == "application/vnd.apache.avro+json;version=1.9.0"
        assert payload["schema"]["$ref"] == f"./{message['name']}.avsc"
        assert (SCHEMAS / payload["schema"]["$ref"]).is_file()
        assert message["bindings"]["kafka"]["key"]["description"] == spec.key_description


@pytest.mark.parametrize("spec", TOPICS, ids=lambda s: s.name)
def test_operations_list_the_producers_and_consumers(spec: TopicSpec) -> None:
    by_action: dict[str, set[str]] = {"send": set(), "receive": set()}
    for operation in DOC["operations"].values():
        ref = operation["channel"]["$ref"].removeprefix("#/channels/")
        if DOC["channels"][ref]["address"] == spec.name:
            by_action[operation["action"]].add(operation["x-application"])
            for message in operation["messages"]:
                assert message["$ref"].startswith(f"#/channels/{ref}/messages/")
    assert by_action == {"send": set(spec.producers), "receive": set(spec.consumers)}


def test_lookup_helpers() -> None:
    assert topic("bpjs.claim-decisions.v1").value_schemas == ("bpjs.claim.ClaimDecided",)
    assert approved_topic("JKM").name == "bpjs.claims.approved.jkm.v1"
    assert len(topics_carrying("bpjs.claim.ClaimDecided")) == 5
    with pytest.raises(KeyError, match=r"bpjs\.nope"):
        topic("bpjs.nope")


def test_a_topic_spec_needs_exactly_one_retention_rule() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        TopicSpec("t", "k", ("s",), (), (), "d", retention_ms=1, compacted=True)
    assert TopicSpec("t", "k", ("s",), (), (), "d", compacted=True).config() == {
        "cleanup.policy": "compact"
    }
