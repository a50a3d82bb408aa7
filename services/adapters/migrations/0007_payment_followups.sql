-- Benefits paid over time (#15): a claim may have several payment instructions. Its first one
-- ('claim:<claim_id>', instruction id uuid5 of the claim id, unchanged), the statutory late
-- interest ('interest:<claim_id>', PP 44/2015 Pasal 37 and 40) and re-issues of a FAILED
-- instruction after a branch corrected the payee ('reissue:<claim_id>:<n>'). Never two
-- instructions with the same purpose where one is meant: one first instruction and one interest
-- instruction per claim, and one re-issue per failed instruction (unique replaces_instruction_id).
-- A payment result is applied to the instruction it names: each instruction has its own status.

ALTER TABLE payment_outbox DROP CONSTRAINT payment_outbox_claim_id_key;
ALTER TABLE payment_outbox
    -- What the instruction pays, from its idempotency key's prefix: 'interest', 'reissue', or
    -- else the claim's first instruction, 'claim' ('claim:<claim_id>'; an employer's
    -- reimbursement, 'reimburse:<claim_id>', is published from event_outbox, not from here).
    ADD COLUMN purpose text GENERATED ALWAYS AS (
        CASE split_part(idempotency_key, ':', 1) WHEN 'interest' THEN 'interest'
             WHEN 'reissue' THEN 'reissue' ELSE 'claim' END) STORED,
    ADD COLUMN replaces_instruction_id text REFERENCES payment_outbox (instruction_id),
    ADD COLUMN program text,
    ADD COLUMN amount bigint CHECK (amount >= 0),
    ADD COLUMN due_date date,
    ADD COLUMN status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'PAID', 'FAILED')),
    ADD COLUMN paid_on date,
    ADD COLUMN failure_reason text,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Instructions written before this migration are each their claim's first instruction: they
-- pay the settlement's amount by its due date and share its status.
UPDATE payment_outbox o
   SET program = s.program, amount = s.amount, due_date = s.due_date, status = s.status,
       paid_on = s.paid_on, failure_reason = s.failure_reason
  FROM settlements s
 WHERE s.claim_id = o.claim_id;
ALTER TABLE payment_outbox
    ALTER COLUMN program SET NOT NULL,
    ALTER COLUMN amount SET NOT NULL,
    ALTER COLUMN due_date SET NOT NULL,
    ADD CONSTRAINT payment_outbox_reissue_check CHECK ((purpose = 'reissue') = (replaces_instruction_id IS NOT NULL));

CREATE INDEX payment_outbox_claim_idx ON payment_outbox (claim_id);
CREATE UNIQUE INDEX payment_outbox_one_first_idx ON payment_outbox (claim_id) WHERE purpose = 'claim';
CREATE UNIQUE INDEX payment_outbox_one_interest_idx ON payment_outbox (claim_id) WHERE purpose = 'interest';
CREATE UNIQUE INDEX payment_outbox_one_reissue_idx ON payment_outbox (replaces_instruction_id)
    WHERE replaces_instruction_id IS NOT NULL;
-- What is still owed (the aged-unpaid report and gauge): instructions not paid.
CREATE INDEX payment_outbox_unpaid_idx ON payment_outbox (due_date) WHERE status <> 'PAID';

-- Every PaymentAccountCorrected, applied once (event_id): what it did, or why it was rejected.
CREATE TABLE account_corrections (
    event_id         text PRIMARY KEY,
    claim_id         text NOT NULL,
    occurred_at      timestamptz NOT NULL,
    source           text NOT NULL,
    reason           text NOT NULL,              -- the branch's, free text
    outcome          text NOT NULL CHECK (outcome IN ('REISSUED', 'REJECTED')),
    rejection        text,                       -- a stable code: unknown_claim, payment_pending, ...
    detail           text,                       -- the rejection in words
    reissued_instruction_id text REFERENCES payment_outbox (instruction_id),
    received_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome = 'REJECTED') = (rejection IS NOT NULL))
);
CREATE INDEX account_corrections_claim_idx ON account_corrections (claim_id);

INSERT INTO role_grants (grantee, relation, kind, privileges) VALUES
    ('claims_worker', 'account_corrections', 'TABLE', 'SELECT, INSERT'),
    ('claims_reader', 'account_corrections', 'TABLE', 'SELECT');
