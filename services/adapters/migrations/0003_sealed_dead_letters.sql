-- Dead letters keep the original key and value only sealed (services/sealing.py): an upstream
-- ParticipantEnrolled or ClaimSubmitted carries the clear NIK, which must never be in PostgreSQL.
--
-- `key` and `value` stay for the schema's sake but are NULL and '' in every row written from now
-- on. Rows written before this migration still hold the clear original: the worker reseals them
-- when it starts (and `claims dead-letters reseal` does it on demand), sealing each with
-- DEAD_LETTER_PUBLIC_KEY, bound to its topic/partition/offset, then blanking key and value. Until
-- then they are the rows with `sealed IS NULL`.
--
-- Deduplication moves from an unkeyed SHA-256 of the clear value (a fingerprint that can be
-- checked against guessed messages) to an HMAC-SHA256 under a key only the service holds.
ALTER TABLE dead_letters
    ADD COLUMN sealed       bytea,        -- envelope: version, key id, ephemeral key, nonce, AEAD
    ADD COLUMN key_id       text,         -- which key pair sealed it (rotation)
    ADD COLUMN value_digest bytea,        -- HMAC-SHA256 of the original key and value (dedupe key)
    ADD COLUMN value_size   integer,      -- bytes of the original value
    ADD COLUMN value_schema text,         -- writer schema's full name when the header is readable
    ADD COLUMN replayed_at  timestamptz;  -- set by `claims dead-letters replay`

ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_topic_value_sha256_key;
ALTER TABLE dead_letters DROP COLUMN value_sha256;
-- NULL digests (pre-0003 rows awaiting their reseal) never collide with each other.
ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_topic_value_digest_key
    UNIQUE (topic, value_digest);
