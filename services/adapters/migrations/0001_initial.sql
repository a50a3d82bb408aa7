-- Settled state of the claims service. Participants are pseudonymised: no clear NIK is ever stored.

CREATE TABLE participants (
    kpj              text PRIMARY KEY,           -- participant card number (not the NIK)
    participant_ref  text NOT NULL,              -- keyed hash (HMAC-SHA256) of the NIK
    category         text NOT NULL,
    birth_date       date NOT NULL,
    employer_npp     text,
    sponsor_id       text,
    work_unit        text,
    batch_id         text,
    enrolled_on      date NOT NULL,
    declared_wage    bigint NOT NULL CHECK (declared_wage >= 0),
    jkk_risk_class   smallint,
    ended_on         date,
    end_reason       text,
    coverage         jsonb NOT NULL,             -- snapshot of the coverage state the adjudicator holds
    source_partition integer NOT NULL,           -- position of the last event applied: replays older
    source_offset    bigint NOT NULL,            -- than this never overwrite a newer snapshot
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participants_ref_idx ON participants (participant_ref);
CREATE INDEX participants_batch_idx ON participants (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX participants_sponsor_idx ON participants (sponsor_id) WHERE sponsor_id IS NOT NULL;

CREATE TABLE sponsor_fundings (
    sponsor_id        text NOT NULL,
    cohort_id         text NOT NULL,
    sponsor_name      text NOT NULL,
    sponsor_kind      text NOT NULL,
    period_start      date NOT NULL,
    period_end        date NOT NULL,
    budget            bigint NOT NULL CHECK (budget >= 0),
    programs          text[] NOT NULL,
    participant_count bigint NOT NULL,
    event_id          text NOT NULL,
    PRIMARY KEY (sponsor_id, cohort_id, period_start)
);

CREATE TABLE enrollment_batches (
    batch_id       text PRIMARY KEY,
    sponsor_id     text,
    expected_count bigint NOT NULL,
    marked_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE claims (
    claim_id         text PRIMARY KEY,
    kpj              text NOT NULL,
    participant_ref  text NOT NULL,
    program          text NOT NULL,
    event_date       date NOT NULL,
    submitted_at     timestamptz NOT NULL,
    outcome          text NOT NULL CHECK (outcome IN ('APPROVED', 'REJECTED')),
    reasons          text[] NOT NULL,
    total            bigint NOT NULL CHECK (total >= 0),
    payable_by       text NOT NULL,
    rule_set_version text NOT NULL,
    decision         jsonb NOT NULL,             -- checks and components with formula inputs and regulation
    decided_at       timestamptz NOT NULL
);
CREATE INDEX claims_program_outcome_idx ON claims (program, outcome);
CREATE INDEX claims_ref_idx ON claims (participant_ref);

CREATE TABLE settlements (
    claim_id         text PRIMARY KEY,           -- one settlement per claim, however often it is delivered
    program          text NOT NULL,
    amount           bigint NOT NULL CHECK (amount >= 0),
    payable_by       text NOT NULL,
    rule_set_version text NOT NULL,
    decision         jsonb NOT NULL,
    complete_on      date NOT NULL,              -- the day the application was complete (deadline start)
    due_date         date NOT NULL,              -- statutory deadline in working days
    status           text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'PAID', 'FAILED')),
    paid_on          date,
    days_late        integer NOT NULL DEFAULT 0,
    late_interest    bigint NOT NULL DEFAULT 0 CHECK (late_interest >= 0),
    failure_reason   text,
    settled_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX settlements_status_idx ON settlements (program, status);

CREATE TABLE payment_outbox (
    instruction_id   text PRIMARY KEY,
    claim_id         text NOT NULL UNIQUE REFERENCES settlements (claim_id),
    idempotency_key  text NOT NULL UNIQUE,
    payload          bytea NOT NULL,             -- the encoded PaymentInstruction, exactly as published
    created_at       timestamptz NOT NULL DEFAULT now(),
    published_at     timestamptz,
    kafka_partition  integer,
    kafka_offset     bigint
);
CREATE INDEX payment_outbox_unpublished_idx ON payment_outbox (created_at) WHERE published_at IS NULL;

CREATE TABLE payment_results (
    event_id         text PRIMARY KEY,
    instruction_id   text NOT NULL,
    claim_id         text NOT NULL,
    status           text NOT NULL,
    paid_on          date,
    failure_reason   text,
    received_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dead_letters (
    id               bigserial PRIMARY KEY,
    topic            text NOT NULL,
    partition        integer NOT NULL,
    "offset"         bigint NOT NULL,
    key              bytea,
    value            bytea NOT NULL,
    error_class      text NOT NULL,
    error_message    text NOT NULL,
    first_seen_at    timestamptz NOT NULL,
    consumer         text NOT NULL,
    value_sha256     bytea NOT NULL,
    -- The same bad message delivered again (a replay, a redelivery) is one dead letter: the row
    -- keeps where it was first seen.
    UNIQUE (topic, value_sha256)
);

-- Positions applied per consumer, written in the same transaction as the state they produced.
CREATE TABLE processed_offsets (
    consumer   text NOT NULL,
    topic      text NOT NULL,
    partition  integer NOT NULL,
    "offset"   bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);
