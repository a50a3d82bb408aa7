"""Who may do what on Kafka: the ACLs of each principal of one deployment, as data.

One deployment is a topic prefix (TOPIC_PREFIX, "" in production) and an app id (CLAIMS_APP_ID,
the worker's consumer group). The secured local stack applies the default deployment's ACLs at
start (`python -m streams.kafka.acls apply`, as the admin user); the tests apply and remove
their own for their own prefix. Every name is LITERAL except the payment services' groups.

  upstream       write the participant and sponsor topics and the branches' account
                 corrections and benefit changes; nothing else (no read, no group).
  claims-worker  read what it consumes, write what it produces (streams/kafka/topics.py), its
                 consumer group, create the declared topics and Faust's leader topic; never
                 delete a topic, never write the participant or sponsor topics.
  payments       read the payment instructions with its own groups, write the payment results.
  admin, broker  super users (deploy/local/stack: super.users); admin deletes topics and
                 manages ACLs. No client of the service runs as either.

Read and Write imply Describe (Kafka's rule), so no Describe grant is listed. An idempotent
producer needs no IdempotentWrite on the cluster: Write on a topic is enough (KIP-679).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)

from services.config import ConfigError, Settings, load_settings
from streams.kafka import topics as T
from streams.kafka.auth import kafka_python_options

WORKER = "claims-worker"
UPSTREAM = "upstream"
PAYMENTS = "payments"
# The reference payment service's default group, and the ones run beside a deployment
# (`claims run`'s simulator, the tests): "<app id>-payment...".
PAYMENT_GROUP = "payment-gateway"

# The branch systems publish under the upstream principal, account corrections and benefit
# changes included; the payment principal may not (a correction re-issues a payment, a benefit
# change starts one: neither is the payment service's call).
UPSTREAM_TOPICS = (
    T.PARTICIPANT_EVENTS, T.SPONSOR_EVENTS, T.ACCOUNT_CORRECTIONS, T.BENEFIT_CHANGES,
)  # fmt: skip


@dataclass(frozen=True)
class Grant:
    """One ALLOW of `operation` on a topic, group or the cluster, for one user, from any host."""

    user: str
    resource: str  # "topic" or "group"
    name: str
    operation: str  # "READ", "WRITE", "CREATE"
    prefixed: bool = False

    def acl(self) -> ACL:
        kind = ResourceType[self.resource.upper()]
        literal = ACLResourcePatternType.LITERAL
        pattern = ACLResourcePatternType.PREFIXED if self.prefixed else literal
        return ACL(
            principal=f"User:{self.user}",
            host="*",
            operation=ACLOperation[self.operation],
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(kind, self.name, pattern),
        )


def _ours(names: tuple[str, ...]) -> bool:
    return any(n.split(".")[0] == T.CLAIMS_SERVICE for n in names)


def leader_topic(app_id: str) -> str:
    """Faust's assignor leader topic (streams/kafka/admin.py creates it up front)."""
    return f"{app_id}-__assignor-__leader"


def grants(prefix: str, app_id: str) -> list[Grant]:
    """Every ACL of one deployment, one principal after the other."""
    out = [Grant(UPSTREAM, "topic", prefix + t.name, "WRITE") for t in UPSTREAM_TOPICS]
    out += [Grant(WORKER, "topic", prefix + t.name, "READ") for t in T.TOPICS if _ours(t.consumers)]
    out += [
        Grant(WORKER, "topic", prefix + t.name, "WRITE") for t in T.TOPICS if _ours(t.producers)
    ]
    # The worker creates the declared topics it finds missing at start (with their retention),
    # and Faust declares its own; creating a topic that exists changes nothing.
    out += [Grant(WORKER, "topic", prefix + t.name, "CREATE") for t in T.TOPICS]
    out += [Grant(WORKER, "topic", leader_topic(app_id), op) for op in ("CREATE", "READ", "WRITE")]
    out.append(Grant(WORKER, "group", app_id, "READ"))
    out.append(Grant(PAYMENTS, "topic", prefix + T.PAYMENT_INSTRUCTIONS.name, "READ"))
    out.append(Grant(PAYMENTS, "topic", prefix + T.PAYMENT_RESULTS.name, "WRITE"))
    out.append(Grant(PAYMENTS, "group", PAYMENT_GROUP, "READ", prefixed=True))
    out.append(Grant(PAYMENTS, "group", f"{app_id}-payment", "READ", prefixed=True))
    return out


def _admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.app_id}-acls",
        bootstrap_timeout_ms=10_000,
        **kafka_python_options(settings),
    )


class AclError(Exception):
    """The broker refused to create or delete some ACLs."""


ANY_ACL = ACLFilter(
    principal=None,
    host=None,
    operation=ACLOperation.ANY,
    permission_type=ACLPermissionType.ANY,
    resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
)


def apply(admin_settings: Settings, prefix: str, app_id: str, timeout_s: float = 30.0) -> int:
    """Create the deployment's ACLs (creating one that exists is a no-op) and wait until the
    broker enforces them; the count.

    The controller commits new ACLs to the metadata log; the broker's authorizer applies them
    when it replays that log, a moment later (Kafka 3.9 was seen refusing a CreateTopics right
    after CreateAcls returned): so this waits until DescribeAcls on the broker lists them all.
    """
    wanted = [g.acl() for g in grants(prefix, app_id)]
    admin = _admin(admin_settings)
    try:
        result = admin.create_acls(wanted)
        if result["failed"]:
            raise AclError(f"{len(result['failed'])} ACL(s) not created: {result['failed'][:3]}")
        deadline = time.monotonic() + timeout_s
        while True:
            found, _ = admin.describe_acls(ANY_ACL)
            missing = set(wanted) - set(found)
            if not missing:
                return len(wanted)
            if time.monotonic() > deadline:
                raise AclError(f"{len(missing)} ACL(s) not enforced after {timeout_s:.0f}s")
            time.sleep(0.1)
    finally:
        admin.close()


def remove(admin_settings: Settings, prefix: str, app_id: str) -> int:
    """Delete exactly the deployment's ACLs (after a test); the count deleted."""
    filters = [
        ACLFilter(a.principal, a.host, a.operation, a.permission_type, a.resource_pattern)
        for a in (g.acl() for g in grants(prefix, app_id))
    ]
    admin = _admin(admin_settings)
    try:
        results = admin.delete_acls(filters)
    finally:
        admin.close()
    errors = [e for _, _, e in results if e is not None and getattr(e, "errno", None)]
    if errors:
        raise AclError(f"{len(errors)} ACL filter(s) failed: {errors[:3]}")
    return sum(len(matched) for _, matched, _ in results)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m streams.kafka.acls",
        description="Apply or remove the ACLs of one deployment, as the admin user"
        " (KAFKA_* client variables; the secured local stack runs `apply` at start).",
    )
    p.add_argument("action", choices=("apply", "remove", "show"))
    p.add_argument("--prefix", default=None, help="topic prefix (default: $TOPIC_PREFIX)")
    p.add_argument("--app-id", default=None, help="worker app id (default: $CLAIMS_APP_ID)")
    args = p.parse_args(argv)
    try:
        settings = load_settings(require_hash_key=False)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    prefix = settings.topic_prefix if args.prefix is None else args.prefix
    app_id = settings.app_id if args.app_id is None else args.app_id
    if args.action == "show":
        for g in grants(prefix, app_id):
            kind = "prefixed " if g.prefixed else ""
            print(f"User:{g.user} {g.operation} {kind}{g.resource} {g.name}")
        return 0
    try:
        if args.action == "apply":
            n = apply(settings, prefix, app_id)
            print(f"applied {n} ACLs (prefix {prefix!r}, app id {app_id!r})")
        else:
            n = remove(settings, prefix, app_id)
            print(f"removed {n} ACLs (prefix {prefix!r}, app id {app_id!r})")
    except Exception as e:  # one line, never the password (it is not in any message)
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
