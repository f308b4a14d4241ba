-- The least-privileged roles the examples connect as (docs/security.md explains each grant).
-- Run once as a DBA in the examples' database, after the tables exist; safe to run again.
-- Give each role a password (ALTER ROLE pipeline_sink PASSWORD '...') unless pg_hba.conf
-- authenticates them otherwise, and keep it in a Connect config provider, not in a config file.

DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pipeline_sink') THEN
    CREATE ROLE pipeline_sink LOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pipeline_emitter') THEN
    CREATE ROLE pipeline_emitter LOGIN;
  END IF;
END
$roles$;

-- Sink: INSERT on each target, and a schema of its own for its offsets table.
GRANT USAGE ON SCHEMA public TO pipeline_sink;
DO $targets$
DECLARE
  target text;
BEGIN
  FOREACH target IN ARRAY ARRAY['public.page_views', 'public.orders'] LOOP
    IF to_regclass(target) IS NOT NULL THEN
      EXECUTE format('GRANT INSERT ON %s TO pipeline_sink', target);
    END IF;
  END LOOP;
  -- Upserts and deletes match keys against the table's rows, which reads it.
  IF to_regclass('public.customers') IS NOT NULL THEN
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON public.customers TO pipeline_sink';
  END IF;
END
$targets$;
CREATE SCHEMA IF NOT EXISTS pipeline_connect AUTHORIZATION pipeline_sink;

-- Emitter: owns the schema it installs the outbox and the functions into. Once it has, grant
-- callers what docs/security.md lists (USAGE on the schema, EXECUTE on produce_message /
-- emit_tuple).
CREATE SCHEMA IF NOT EXISTS pipeline_kafka AUTHORIZATION pipeline_emitter;
