-- The restricted roles of services/adapters/migrations/0005_roles.sql (README: PostgreSQL roles).
-- deploy/local/stack runs this file as the superuser on every `up`; on your own PostgreSQL run it
-- once as a role with CREATEROLE, then `claims migrate` as the owner (it grants to every role of
-- role_grants that exists, and re-applies the grants on every run):
--
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v database=claims \
--     -v worker_password=... -v reader_password=... -v importer_password=... \
--     -f deploy/postgres/roles.sql
--
-- Safe to run again: existing roles keep their memberships and only get the new password. The
-- names are fixed (the migration grants to them); to log in under other names, create these as
-- NOLOGIN group roles instead and `GRANT claims_worker TO your_login`.
SELECT 'CREATE ROLE claims_worker' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'claims_worker') \gexec
SELECT 'CREATE ROLE claims_reader' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'claims_reader') \gexec
SELECT 'CREATE ROLE claims_importer' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'claims_importer') \gexec
-- No superuser, no CREATEDB, no CREATEROLE, no replication, no BYPASSRLS (the defaults, stated).
ALTER ROLE claims_worker LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'worker_password';
ALTER ROLE claims_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'reader_password';
ALTER ROLE claims_importer LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'importer_password';
GRANT CONNECT ON DATABASE :"database" TO claims_worker, claims_reader, claims_importer;
-- The worker stages participants in a TEMP table (services/adapters/participants.py).
GRANT TEMPORARY ON DATABASE :"database" TO claims_worker;
