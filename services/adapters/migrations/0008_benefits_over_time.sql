-- Benefits paid over time (#15): the JP pension payroll, one payment instruction per (pension,
-- month), idempotency key 'pension:<pension_id>:<YYYY-MM>' (services/app/payroll.py); and the
-- JKK/JKm scholarships by school year, one per (claim, child, school year),
-- 'scholarship:<claim_id>:<child>:<YYYY>' (services/app/scholarships.py). Re-running a month
-- writes nothing new: the keys are unique.

-- payment_outbox.purpose learns 'pension' and 'scholarship' (0007 mapped every other prefix to 'claim', whose
-- unique index allows one per claim). A generated column's expression cannot be altered before
-- PostgreSQL 17, so it is dropped with what depends on it and made again.
ALTER TABLE payment_outbox DROP COLUMN purpose CASCADE;
ALTER TABLE payment_outbox
    ADD COLUMN purpose text GENERATED ALWAYS AS (
        CASE split_part(idempotency_key, ':', 1) WHEN 'interest' THEN 'interest'
             WHEN 'reissue' THEN 'reissue' WHEN 'pension' THEN 'pension'
             WHEN 'scholarship' THEN 'scholarship' ELSE 'claim' END) STORED,
    -- The month a pension instruction pays, or the school year a scholarship instruction pays
    -- (their first day); null for every other purpose.
    ADD COLUMN period date,
    ADD CONSTRAINT payment_outbox_reissue_check CHECK ((purpose = 'reissue') = (replaces_instruction_id IS NOT NULL)),
    ADD CONSTRAINT payment_outbox_period_check CHECK ((purpose IN ('pension', 'scholarship')) = (period IS NOT NULL));
CREATE UNIQUE INDEX payment_outbox_one_first_idx ON payment_outbox (claim_id) WHERE purpose = 'claim';
CREATE UNIQUE INDEX payment_outbox_one_interest_idx ON payment_outbox (claim_id) WHERE purpose = 'interest';
CREATE INDEX payment_outbox_period_idx ON payment_outbox (period) WHERE period IS NOT NULL;

-- A pension in payment, or ended. The first of a claim has the claim's id; a survivor pension
-- that follows it is '<claim_id>/<KIND>' and names it in `follows`. At most one pension of a
-- claim runs at a time (last_month null).
CREATE TABLE pensions (
    pension_id       text PRIMARY KEY,
    claim_id         text NOT NULL REFERENCES settlements (claim_id),
    participant_ref  text NOT NULL,                -- the keyed pseudonym, never a NIK
    kind             text NOT NULL CHECK (kind IN ('OLD_AGE', 'DISABILITY', 'WIDOW_WIDOWER', 'CHILD', 'PARENT')),
    base_amount      bigint NOT NULL CHECK (base_amount >= 0),  -- monthly, unclamped, in base_year's terms
    base_year        integer NOT NULL,
    payroll_from     date NOT NULL CHECK (extract(day FROM payroll_from) = 1),
    last_month       date CHECK (extract(day FROM last_month) = 1),
    end_reason       text,
    payee            jsonb NOT NULL,               -- name, bank_code, account_number
    beneficiaries    jsonb NOT NULL DEFAULT '[]',  -- [{name, relation, birth_date}]
    follows          text REFERENCES pensions (pension_id),
    rule_set_version text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pensions_one_running_idx ON pensions (claim_id) WHERE last_month IS NULL;
CREATE INDEX pensions_months_idx ON pensions (payroll_from, last_month);

-- Every PensionChanged applied once (event_id), and the payroll's own changes (a child pension
-- ended at the age limit: event_id 'aged-out:<pension_id>'): what it did, or why it was rejected.
CREATE TABLE pension_changes (
    event_id         text PRIMARY KEY,
    claim_id         text NOT NULL,
    pension_id       text REFERENCES pensions (pension_id),
    change           text NOT NULL,
    effective_date   date NOT NULL,
    outcome          text NOT NULL CHECK (outcome IN ('APPLIED', 'REJECTED')),
    rejection        text,                         -- a stable code (services/rules/pension.py)
    detail           text NOT NULL,
    started_pension_id text REFERENCES pensions (pension_id),
    received_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome = 'REJECTED') = (rejection IS NOT NULL))
);
CREATE INDEX pension_changes_claim_idx ON pension_changes (claim_id);

-- A child's JKK or JKm scholarship (PP 82/2019), paid school year by school year from
-- first_school_year at the decision day's amounts (services/rules/scholarship.schedule); a school
-- year that starts once the child is 23, or after a ScholarshipStopped, is not paid.
CREATE TABLE scholarships (
    claim_id          text NOT NULL REFERENCES settlements (claim_id),
    child             integer NOT NULL CHECK (child >= 1),
    program           text NOT NULL CHECK (program IN ('JKK', 'JKM')),
    birth_date        date NOT NULL,                -- the age limit; a child's, never a NIK
    level             text NOT NULL,                -- the school level on the decision day
    first_school_year date NOT NULL,
    decided_on        date NOT NULL,                -- the event date: the amounts in force then
    entitlement       bigint NOT NULL CHECK (entitlement >= 0),  -- the decided component
    payee             jsonb NOT NULL,
    stopped_on        date,
    stop_reason       text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (claim_id, child)
);

CREATE TABLE scholarship_changes (
    event_id         text PRIMARY KEY,
    claim_id         text NOT NULL,
    child            integer NOT NULL,
    reason           text NOT NULL,
    effective_date   date NOT NULL,
    outcome          text NOT NULL CHECK (outcome IN ('APPLIED', 'REJECTED')),
    rejection        text,
    received_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome = 'REJECTED') = (rejection IS NOT NULL))
);

-- Each run of a payroll month (the leader's timer or `claims payroll --month`).
CREATE TABLE payroll_runs (
    id               bigserial PRIMARY KEY,
    month            date NOT NULL CHECK (extract(day FROM month) = 1),
    run_by           text NOT NULL,                -- 'timer' or 'cli'
    pensions_paid    integer NOT NULL,             -- pensions the month pays
    written          integer NOT NULL,             -- instructions this run wrote
    already          integer NOT NULL,             -- instructions an earlier run had written
    amount           bigint NOT NULL,              -- the month's pension total, whichever run wrote it
    ended            integer NOT NULL,             -- child pensions ended at the age limit
    scholarship_years integer NOT NULL DEFAULT 0,  -- school years the month pays
    scholarships_written integer NOT NULL DEFAULT 0,
    run_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payroll_runs_month_idx ON payroll_runs (month, run_at);

INSERT INTO role_grants (grantee, relation, kind, privileges) VALUES
    ('claims_worker', 'pensions', 'TABLE', 'SELECT, INSERT, UPDATE'),
    ('claims_worker', 'pension_changes', 'TABLE', 'SELECT, INSERT'),
    ('claims_worker', 'payroll_runs', 'TABLE', 'SELECT, INSERT'),
    ('claims_worker', 'payroll_runs_id_seq', 'SEQUENCE', 'USAGE'),
    ('claims_worker', 'scholarships', 'TABLE', 'SELECT, INSERT, UPDATE'),
    ('claims_worker', 'scholarship_changes', 'TABLE', 'SELECT, INSERT'),
    ('claims_reader', 'scholarships', 'TABLE', 'SELECT'),
    ('claims_reader', 'scholarship_changes', 'TABLE', 'SELECT'),
    ('claims_reader', 'pensions', 'TABLE', 'SELECT'),
    ('claims_reader', 'pension_changes', 'TABLE', 'SELECT'),
    ('claims_reader', 'payroll_runs', 'TABLE', 'SELECT');
