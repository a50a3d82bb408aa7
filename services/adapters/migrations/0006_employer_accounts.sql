-- Contributions and employers (#14). Every ContributionPosted is judged on arrival against the
-- contribution due for its month (services/rules/contribution_check.check_posting); the result is
-- kept here in the same transaction as the participant's state.
-- An employer's account (`claims employer NPP`) reads these rows and the participants' ledgers.
-- One row per posting, its programs side by side in arrays (in program order): a posting has
-- four program lines, and at 45 million participants a row per line would be ~2 billion rows a
-- year. The view contribution_checks below has one row per posting and program.
CREATE TABLE contribution_postings (
    event_id        text PRIMARY KEY,           -- the ContributionPosted (a redelivery adds nothing)
    kpj             text NOT NULL,
    participant_ref text NOT NULL,              -- keyed hash of the NIK (no clear NIK, ever)
    employer_npp    text,
    category        text NOT NULL,
    period          date NOT NULL,              -- first day of the contribution month
    wage_base       bigint NOT NULL,
    paid_on         date NOT NULL,
    due_on          date,                       -- null for PMI (per placement phase)
    months_late     integer NOT NULL CHECK (months_late >= 0),
    programs        text[] NOT NULL,
    posted          bigint[] NOT NULL,          -- this posting
    month_posted    bigint[] NOT NULL,          -- the month's postings so far, this one included
    expected        bigint[] NOT NULL,          -- due for the month; a null element: not checked
    results         text[] NOT NULL,            -- EXACT, UNDERPAID, OVERPAID or NOT_CHECKED
    differences     bigint[] NOT NULL,          -- month_posted - expected (negative: under-paid)
    penalties       bigint[] NOT NULL,          -- 2% a month late (PU), whole Rupiah
    details         text[] NOT NULL,
    rule_set_version text NOT NULL,
    checked_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(programs) = cardinality(results)
       AND cardinality(programs) = cardinality(expected)
       AND cardinality(programs) = cardinality(penalties))
);
CREATE INDEX contribution_postings_npp_idx ON contribution_postings (employer_npp, period);

CREATE VIEW contribution_checks AS
SELECT p.event_id, l.program, p.kpj, p.participant_ref, p.employer_npp, p.category, p.period,
       p.wage_base, l.posted, l.month_posted, l.expected, l.result, l.difference, p.paid_on,
       p.due_on, p.months_late, l.penalty, l.detail, p.rule_set_version, p.checked_at
  FROM contribution_postings p
 CROSS JOIN LATERAL unnest(p.programs, p.posted, p.month_posted, p.expected, p.results,
                           p.differences, p.penalties, p.details)
       AS l(program, posted, month_posted, expected, result, difference, penalty, detail);
CREATE INDEX participants_npp_idx ON participants (employer_npp) WHERE employer_npp IS NOT NULL;

-- What employers owe on claims: the whole benefit when it was too far in arrears (BENEFIT_FIRST:
-- it pays the worker first; BPJS reimburses it once the arrears are paid, PP 44/2015 jo PP 82/2019),
-- or the part of a benefit lost to an under-reported wage (WAGE_SHORTFALL, PP 44/2015).
CREATE TABLE employer_obligations (
    obligation_id    text PRIMARY KEY,          -- uuid5 of claim id and kind: one per claim and kind
    kind             text NOT NULL CHECK (kind IN ('BENEFIT_FIRST', 'WAGE_SHORTFALL')),
    claim_id         text NOT NULL,
    employer_npp     text,
    kpj              text NOT NULL,
    participant_ref  text NOT NULL,
    program          text NOT NULL,
    amount           bigint NOT NULL CHECK (amount >= 0),
    components       jsonb NOT NULL,
    reason           text NOT NULL,
    regulation       text NOT NULL,
    status           text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'REIMBURSEMENT_ISSUED')),
    -- BENEFIT_FIRST only: the reimbursement to the employer, issued once (idempotency key
    -- 'reimburse:<claim_id>') when the employer's arrears for the program were settled.
    reimbursement_instruction_id text UNIQUE,
    reimbursement_amount bigint CHECK (reimbursement_amount >= 0),
    reimbursement_due_on date,
    reimbursed_after  text,                     -- what cleared the arrears (the posting that did)
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (claim_id, kind)
);
CREATE INDEX employer_obligations_npp_idx ON employer_obligations (employer_npp, status);

INSERT INTO role_grants (grantee, relation, kind, privileges) VALUES
    ('claims_worker', 'contribution_postings', 'TABLE', 'SELECT, INSERT'),
    ('claims_worker', 'employer_obligations', 'TABLE', 'SELECT, INSERT, UPDATE'),
    ('claims_reader', 'contribution_postings', 'TABLE', 'SELECT'),
    ('claims_reader', 'contribution_checks',  'TABLE', 'SELECT'),
    ('claims_reader', 'employer_obligations', 'TABLE', 'SELECT');
