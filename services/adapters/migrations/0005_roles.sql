-- Least-privilege roles. The owner (the role that runs the migrations, `claims` on the local
-- stack) owns every table and alone may change the schema. Three other roles get exactly the
-- privileges listed in role_grants, and nothing else:
--
--   claims_worker    the worker: the DML each table needs, USAGE on the id sequences, TEMPORARY
--                    on the database (the participants_in staging table); no DDL, no TRUNCATE;
--   claims_reader    `claims status`, the run summary and reports, `claims readjudicate`,
--                    `claims dead-letters list|show`: SELECT only;
--   claims_importer  `claims import`: SELECT on participants (KPJ and NIK pseudonym), nothing else.
--
-- The roles are created outside the migrations (they are cluster-wide, and a password is not a
-- schema matter): deploy/local/stack creates them with LOGIN and a password; on your own
-- PostgreSQL create them, or NOLOGIN group roles of these names whose members log in
-- (deploy/postgres/roles.sql). A role that does not exist is skipped, so this migration works
-- on a database with none of them, and the grants follow as soon as they exist.
--
-- Grants are re-applied, not defaulted: `PostgresStore.migrate` calls apply_role_grants() at the
-- end of every run (`claims migrate`), after the files it applied. The function first revokes
-- everything from these roles on the owner's tables and sequences of this schema, then grants
-- what role_grants lists, so the grants are exactly the table, never more. A later migration that creates a table adds its rows to
-- role_grants; a table without rows is open to none of these roles (tests check every table has
-- a reader row). ALTER DEFAULT PRIVILEGES is not used: it cannot say "INSERT here, UPDATE there".

CREATE TABLE role_grants (
    grantee    text NOT NULL CHECK (grantee IN ('claims_worker', 'claims_reader', 'claims_importer')),
    relation   text NOT NULL,                -- a table or sequence of this schema
    kind       text NOT NULL DEFAULT 'TABLE' CHECK (kind IN ('TABLE', 'SEQUENCE')),
    privileges text NOT NULL,                -- a GRANT privilege list, e.g. 'SELECT, INSERT'
    PRIMARY KEY (grantee, relation)
);

INSERT INTO role_grants (grantee, relation, kind, privileges) VALUES
    -- The worker: exactly the statements of services/adapters (postgres.py, pg_rows.py,
    -- payment_results.py, dead_letter_store.py, queries.py). UPDATE also where it only takes
    -- row locks (SELECT ... FOR UPDATE needs it).
    ('claims_worker', 'participants',       'TABLE', 'SELECT, INSERT, UPDATE'),
    ('claims_worker', 'sponsor_fundings',   'TABLE', 'SELECT, INSERT'),
    ('claims_worker', 'enrollment_batches', 'TABLE', 'SELECT, INSERT'),
    ('claims_worker', 'claims',             'TABLE', 'SELECT, INSERT'),
    ('claims_worker', 'settlements',        'TABLE', 'SELECT, INSERT, UPDATE'),
    ('claims_worker', 'payment_outbox',     'TABLE', 'SELECT, INSERT, UPDATE'),
    ('claims_worker', 'payment_results',    'TABLE', 'SELECT, INSERT'),
    ('claims_worker', 'dead_letters',       'TABLE', 'SELECT, INSERT, UPDATE, DELETE'),
    ('claims_worker', 'processed_offsets',  'TABLE', 'SELECT, INSERT, UPDATE'),
    ('claims_worker', 'event_outbox',       'TABLE', 'SELECT, INSERT, DELETE'),
    ('claims_worker', 'schema_migrations',  'TABLE', 'SELECT'),
    ('claims_worker', 'role_grants',        'TABLE', 'SELECT'),
    ('claims_worker', 'dead_letters_id_seq', 'SEQUENCE', 'USAGE'),
    ('claims_worker', 'event_outbox_id_seq', 'SEQUENCE', 'USAGE'),
    -- Read only: every table.
    ('claims_reader', 'participants',       'TABLE', 'SELECT'),
    ('claims_reader', 'sponsor_fundings',   'TABLE', 'SELECT'),
    ('claims_reader', 'enrollment_batches', 'TABLE', 'SELECT'),
    ('claims_reader', 'claims',             'TABLE', 'SELECT'),
    ('claims_reader', 'settlements',        'TABLE', 'SELECT'),
    ('claims_reader', 'payment_outbox',     'TABLE', 'SELECT'),
    ('claims_reader', 'payment_results',    'TABLE', 'SELECT'),
    ('claims_reader', 'dead_letters',       'TABLE', 'SELECT'),
    ('claims_reader', 'processed_offsets',  'TABLE', 'SELECT'),
    ('claims_reader', 'event_outbox',       'TABLE', 'SELECT'),
    ('claims_reader', 'schema_migrations',  'TABLE', 'SELECT'),
    ('claims_reader', 'role_grants',        'TABLE', 'SELECT'),
    -- `claims import` looks up who is enrolled already, by KPJ or NIK pseudonym.
    ('claims_importer', 'participants',     'TABLE', 'SELECT'),
    ('claims_importer', 'schema_migrations', 'TABLE', 'SELECT'),
    ('claims_importer', 'role_grants',      'TABLE', 'SELECT');

-- Returns the roles it granted to (those of role_grants that exist).
CREATE FUNCTION apply_role_grants() RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    tables_owner oid := (SELECT relowner FROM pg_class WHERE oid = 'role_grants'::regclass);
    present text[];
    grantees text;
    g record;
    rel record;
BEGIN
    -- Run by anyone else, GRANT and REVOKE would only warn ("no privileges were granted"):
    -- refuse instead, so that a restricted role's `migrate` fails for what it is.
    IF NOT pg_has_role(tables_owner, 'MEMBER') THEN
        RAISE EXCEPTION 'must be owner of table role_grants to apply the role grants'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT coalesce(array_agg(DISTINCT r.grantee ORDER BY r.grantee), '{}') INTO present
      FROM role_grants r JOIN pg_roles p ON p.rolname = r.grantee;
    IF cardinality(present) = 0 THEN
        RETURN present;
    END IF;
    grantees := (SELECT string_agg(quote_ident(x), ', ') FROM unnest(present) AS x);
    -- Only the relations of this schema the owner owns: a schema shared with other software
    -- keeps the grants its own tables have.
    FOR rel IN SELECT c.relname, c.relkind FROM pg_class c
                WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
                  AND c.relowner = tables_owner AND c.relkind IN ('r', 'p', 'v', 'm', 'S') LOOP
        EXECUTE format('REVOKE ALL ON %s %I.%I FROM %s',
                       CASE rel.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                       current_schema(), rel.relname, grantees);
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %s', current_schema(), grantees);
    FOR g IN SELECT * FROM role_grants WHERE grantee = ANY (present) LOOP
        EXECUTE format('GRANT %s ON %s %I.%I TO %I',
                       g.privileges, g.kind, current_schema(), g.relation, g.grantee);
    END LOOP;
    IF 'claims_worker' = ANY (present) THEN
        -- The worker stages participants in a TEMP table. Only the database's owner (or a
        -- superuser) may grant this: elsewhere it is left to whoever administers the database
        -- (PUBLIC holds TEMPORARY by default).
        BEGIN
            EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO claims_worker', current_database());
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'cannot grant TEMPORARY on database %: grant it to claims_worker',
                current_database();
        END;
    END IF;
    RETURN present;
END
$$;

SELECT apply_role_grants();
