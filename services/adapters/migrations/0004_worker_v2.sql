-- Worker v2: PostgreSQL is the one owner of participant state. `participants.coverage` now holds
-- the whole state the adjudicator works from (programs, contribution months, decided claims and
-- the source position), written in the same transaction as the batch's decisions, outbox rows
-- and consumed positions. Faust's participants/sponsors tables and their changelogs are gone.
-- Records to publish once their transaction has committed (decisions, approved claims): the
-- worker publishes its own rows right after the commit and deletes them once the broker has
-- them; the leader's relay publishes whatever a crash left behind.
CREATE TABLE event_outbox (
    id         bigserial PRIMARY KEY,
    topics     text[] NOT NULL,
    key        text NOT NULL,
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_outbox_created_idx ON event_outbox (created_at);
