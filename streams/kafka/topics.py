"""Kafka topic declarations as pure data; the Faust app and schemas/asyncapi.yaml follow them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

DAY_MS = 24 * 60 * 60 * 1000
DEFAULT_PARTITIONS = 8

PARTICIPANT = "bpjs.enrollment.ParticipantEnrolled"
PROGRAMS_CHANGED = "bpjs.enrollment.ProgramsChanged"
COVERAGE_ENDED = "bpjs.enrollment.CoverageEnded"
COHORT_FUNDED = "bpjs.enrollment.SponsoredCohortFunded"
BATCH_COMPLETED = "bpjs.enrollment.EnrollmentBatchCompleted"
CONTRIBUTION_POSTED = "bpjs.contribution.ContributionPosted"
CLAIM_SUBMITTED = "bpjs.claim.ClaimSubmitted"
CLAIM_DECIDED = "bpjs.claim.ClaimDecided"
PAYMENT_INSTRUCTION = "bpjs.payment.PaymentInstruction"
PAYMENT_RESULT = "bpjs.payment.PaymentResult"
ACCOUNT_CORRECTED = "bpjs.payment.PaymentAccountCorrected"
PENSION_CHANGED = "bpjs.pension.PensionChanged"
SCHOLARSHIP_STOPPED = "bpjs.scholarship.ScholarshipStopped"
DEAD_LETTER = "bpjs.ops.DeadLetter"
EMPLOYER_OBLIGATION = "bpjs.employer.EmployerObligationRecorded"

# Producer and consumer names are systems (upstream teams) or components of this service.
CLAIMS_SERVICE = "claims-service"


@dataclass(frozen=True)
class TopicSpec:
    """One topic: its name, what its key is, which schemas its values use, and its retention."""

    name: str
    key_description: str
    value_schemas: tuple[str, ...]
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    doc: str
    partitions: int = DEFAULT_PARTITIONS
    retention_ms: int | None = None
    compacted: bool = False

    def __post_init__(self) -> None:
        if (self.retention_ms is None) == (not self.compacted):
            raise ValueError(f"{self.name}: set exactly one of retention_ms or compacted")
        if self.partitions < 1 or not self.value_schemas:
            raise ValueError(f"{self.name}: needs partitions >= 1 and at least one value schema")

    def config(self) -> dict[str, str]:
        """Topic-level Kafka configuration (strings, as the admin API takes them)."""
        if self.compacted:
            return {"cleanup.policy": "compact"}
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_ms)}


PARTICIPANT_EVENTS = TopicSpec(
    name="bpjs.participant-events.v1",
    key_description=(
        "KPJ participant number (11 ASCII digits, UTF-8), the record's own kpj; never "
        "null, never the NIK. A null key, a key that is not UTF-8 or not the record's kpj "
        "is dead-lettered as KeyMismatch: ordering depends on it."
    ),
    value_schemas=(
        PARTICIPANT,
        PROGRAMS_CHANGED,
        COVERAGE_ENDED,
        CONTRIBUTION_POSTED,
        CLAIM_SUBMITTED,
    ),
    producers=("membership", "contribution-ledger", "claims-intake"),
    consumers=(CLAIMS_SERVICE,),
    doc=(
        "Every per-participant event on one topic, keyed by KPJ, so one participant's enrollment, "
        "contributions and claims are processed in order on one partition. Bulk enrollments "
        "(e.g. 250,000 people of one sponsor) arrive as one ParticipantEnrolled per person with a "
        "shared batch_id; EnrollmentBatchCompleted on bpjs.sponsor-events.v1 closes the batch. "
        "Values carry the clear NIK, hence the short retention."
    ),
    retention_ms=7 * DAY_MS,
)

SPONSOR_EVENTS = TopicSpec(
    name="bpjs.sponsor-events.v1",
    key_description=(
        "Sponsor id (UTF-8), e.g. 'PEMPROV-DKI', the record's own sponsor_id. A record "
        "naming a sponsor with a null key, a key that is not UTF-8 or another key is "
        "dead-lettered as KeyMismatch; an employer's EnrollmentBatchCompleted (no "
        "sponsor_id) may be keyed by its NPP or batch id."
    ),
    value_schemas=(COHORT_FUNDED, BATCH_COMPLETED),
    producers=("sponsor-registry", "membership"),
    consumers=(CLAIMS_SERVICE,),
    doc=(
        "Sponsor funding of cohorts and the end-of-batch markers of bulk enrollments. Low volume; "
        "stored in PostgreSQL, where every instance reads the fundings."
    ),
    retention_ms=30 * DAY_MS,
)

CLAIM_DECISIONS = TopicSpec(
    name="bpjs.claim-decisions.v1",
    key_description="Claim id (UTF-8), as assigned at intake.",
    value_schemas=(CLAIM_DECIDED,),
    producers=(CLAIMS_SERVICE,),
    consumers=("case-management", "audit"),
    doc=(
        "Every claim decision, approved and rejected, with its provenance (checks, formulas). "
        "Published from the event outbox after the decision committed in PostgreSQL (at least "
        "once; consumers deduplicate on claim_id)."
    ),
    retention_ms=30 * DAY_MS,
)


def _approved(program: str) -> TopicSpec:
    return TopicSpec(
        name=f"bpjs.claims.approved.{program.lower()}.v1",
        key_description="Claim id (UTF-8), as assigned at intake.",
        value_schemas=(CLAIM_DECIDED,),
        producers=(CLAIMS_SERVICE,),
        consumers=(f"{CLAIMS_SERVICE}.settlement.{program.lower()}",),
        doc=f"Approved {program} claims (ClaimDecided, outcome APPROVED) for {program} settlement.",
        retention_ms=30 * DAY_MS,
    )


APPROVED_JHT = _approved("JHT")
APPROVED_JKK = _approved("JKK")
APPROVED_JKM = _approved("JKM")
APPROVED_JP = _approved("JP")

PAYMENT_INSTRUCTIONS = TopicSpec(
    name="bpjs.payment-instructions.v1",
    key_description="Claim id (UTF-8) of the claim being paid.",
    value_schemas=(PAYMENT_INSTRUCTION,),
    producers=(f"{CLAIMS_SERVICE}.outbox-relay",),
    consumers=("payment-gateway",),
    doc=(
        "Payment instructions published from the PostgreSQL outbox; delivery is at least once, "
        "so consumers deduplicate on idempotency_key."
    ),
    retention_ms=30 * DAY_MS,
)

PAYMENT_RESULTS = TopicSpec(
    name="bpjs.payment-results.v1",
    key_description="Claim id (UTF-8) of the claim being paid.",
    value_schemas=(PAYMENT_RESULT,),
    producers=("payment-gateway",),
    consumers=(CLAIMS_SERVICE,),
    doc="Outcome of each payment instruction (PAID or FAILED), produced by the payment services.",
    retention_ms=30 * DAY_MS,
)

# A topic of its own, not the payment results': the branches that correct accounts are not the
# payment services, and write access to the results topic would let them forge a PAID.
ACCOUNT_CORRECTIONS = TopicSpec(
    name="bpjs.payment-corrections.v1",
    key_description=(
        "Claim id (UTF-8) of the claim whose payee is corrected, the record's own claim_id; a "
        "null key or another key is dead-lettered as KeyMismatch."
    ),
    value_schemas=(ACCOUNT_CORRECTED,),
    producers=("branch-service",),
    consumers=(CLAIMS_SERVICE,),
    doc=(
        "A branch's correction of the bank account a claim is paid to, after its payment "
        "FAILED: the claims service re-issues the failed instruction once, to the new payee "
        "(idempotency_key 'reissue:<claim_id>:<n>', replaces_instruction_id set). A correction "
        "for a claim that is paid, still pending or unknown is rejected and recorded "
        "(account_corrections), never paid. Redelivery is harmless (deduplicated on event_id)."
    ),
    retention_ms=30 * DAY_MS,
)

BENEFIT_CHANGES = TopicSpec(
    name="bpjs.benefit-changes.v1",
    key_description=(
        "Claim id (UTF-8) of the claim whose benefit changes, the record's own claim_id; a "
        "null key or another key is dead-lettered as KeyMismatch."
    ),
    value_schemas=(PENSION_CHANGED, SCHOLARSHIP_STOPPED),
    producers=("branch-service",),
    consumers=(CLAIMS_SERVICE,),
    doc=(
        "A branch's report of a change to a benefit paid over time. PensionChanged: the JP "
        "pensioner died, a widow(er) remarried or died, a child left the child pension; the "
        "pension ends after the change's month and the survivor pension that follows starts. "
        "ScholarshipStopped: a child's scholarship stops (the yearly check found the child not "
        "in school, or the child married, started work or died). The monthly payroll pays each "
        "pension month and each school year once (idempotency_key "
        "'pension:<pension_id>:<YYYY-MM>', 'scholarship:<claim_id>:<child>:<YYYY>'). A change "
        "that does not apply is rejected and recorded, never paid. Redelivery is harmless "
        "(deduplicated on event_id)."
    ),
    retention_ms=30 * DAY_MS,
)

EMPLOYER_OBLIGATIONS = TopicSpec(
    name="bpjs.employer-obligations.v1",
    key_description="The employer's NPP (UTF-8); the claim id when the participant has none.",
    value_schemas=(EMPLOYER_OBLIGATION,),
    producers=(CLAIMS_SERVICE,),
    consumers=("employer-accounts", "collections"),
    doc=(
        "What an employer owes on a claim: the whole benefit when it was too far in arrears on "
        "the event date (it pays first; BPJS reimburses it once the arrears are settled), or "
        "the part lost to an under-reported wage. Published from the event outbox after the "
        "obligation committed in PostgreSQL (at least once; deduplicate on obligation_id)."
    ),
    retention_ms=30 * DAY_MS,
)

DEAD_LETTERS = TopicSpec(
    name="bpjs.dead-letters.v1",
    key_description="Name of the topic the failed message was read from (UTF-8).",
    value_schemas=(DEAD_LETTER,),
    producers=(CLAIMS_SERVICE,),
    consumers=(CLAIMS_SERVICE, "operations"),
    doc=(
        "Messages a consumer could not process, with the error, for inspection and replay. The "
        "original key and value are sealed (DeadLetter v2: readable only with the operators' "
        "DEAD_LETTER_PRIVATE_KEYS, never by the service); error, schema name and size are clear."
    ),
    retention_ms=30 * DAY_MS,
)

TOPICS: tuple[TopicSpec, ...] = (
    PARTICIPANT_EVENTS,
    SPONSOR_EVENTS,
    CLAIM_DECISIONS,
    APPROVED_JHT,
    APPROVED_JKK,
    APPROVED_JKM,
    APPROVED_JP,
    PAYMENT_INSTRUCTIONS,
    PAYMENT_RESULTS,
    ACCOUNT_CORRECTIONS,
    BENEFIT_CHANGES,
    EMPLOYER_OBLIGATIONS,
    DEAD_LETTERS,
)

# What the worker's agents consume (the claims service or one of its settlement agents).
CONSUMED: tuple[TopicSpec, ...] = tuple(
    t for t in TOPICS if any(c.split(".")[0] == CLAIMS_SERVICE for c in t.consumers)
)

APPROVED_BY_PROGRAM: Mapping[str, TopicSpec] = MappingProxyType(
    {
        "JHT": APPROVED_JHT,
        "JKK": APPROVED_JKK,
        "JKM": APPROVED_JKM,
        "JP": APPROVED_JP,
    }
)

_BY_NAME = {spec.name: spec for spec in TOPICS}


def topic(name: str) -> TopicSpec:
    """The declaration of topic `name`; KeyError names the unknown topic."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no topic declared with name {name!r}") from None


def approved_topic(program: str) -> TopicSpec:
    """Topic that routes approved claims of `program` (JHT, JKK, JKM, JP) to settlement."""
    return APPROVED_BY_PROGRAM[program]


def topics_carrying(schema: str) -> tuple[TopicSpec, ...]:
    """Topics whose values may use `schema` (a full Avro name)."""
    return tuple(spec for spec in TOPICS if schema in spec.value_schemas)


def value_schemas() -> frozenset[str]:
    """Every schema used as a message value on some topic."""
    return frozenset(name for spec in TOPICS for name in spec.value_schemas)
