-- pipeline-connect emitter: produce_message and emit_tuple as a transactional outbox.
--
-- Installed (idempotently) by EmitterSourceConnector at start when emitter.install=true, or by a
-- DBA from the rendered file trigger-emitter/sql/pipeline_kafka_outbox.sql. The placeholders
-- ${schema}, ${buckets}, ${notify} and ${key_lock} are the connector settings emitter.schema,
-- emitter.buckets, emitter.notify and emitter.key.lock.
--
-- A message is written to the outbox inside the caller's transaction: it is relayed to Kafka
-- only if that transaction commits.
--
-- Rights: whoever runs this script owns the schema, the outbox and the functions; make that a
-- dedicated role (the emitter connector's own login), never a superuser. produce_message,
-- emit_tuple and outbox_enqueue are SECURITY DEFINER with a pinned search_path: they write the
-- outbox with the owner's rights, and are the only way in. Nobody else gets any right on the
-- outbox or its sequences, and EXECUTE is revoked from PUBLIC, so a caller needs exactly:
--   GRANT USAGE ON SCHEMA ${schema} TO app_role;
--   GRANT EXECUTE ON FUNCTION ${schema}.produce_message(text, bytea, integer, bytea) TO app_role;
--   GRANT EXECUTE ON FUNCTION ${schema}.emit_tuple() TO table_owner_role;  -- to CREATE TRIGGER

-- A schema a DBA made for the owner (CREATE SCHEMA ${schema} AUTHORIZATION <owner>) is used as it
-- is: CREATE SCHEMA IF NOT EXISTS would still demand the CREATE right on the database.
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = '${schema}') THEN
    CREATE SCHEMA ${schema};
  END IF;
END
$do$;

-- CACHE 1: ids must be drawn in the order transactions reach the insert; a session-cached block
-- of ids would hand a later change a smaller id. The connector checks this at start.
CREATE SEQUENCE IF NOT EXISTS ${schema}.outbox_id_seq CACHE 1;
CREATE SEQUENCE IF NOT EXISTS ${schema}.outbox_batch_seq CACHE 1;

CREATE TABLE IF NOT EXISTS ${schema}.outbox (
  id bigint PRIMARY KEY DEFAULT nextval('${schema}.outbox_id_seq'),
  bucket int NOT NULL,
  topic text NOT NULL,
  kafka_partition int,
  key bytea,
  message bytea,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- The relay batch that claimed the row; NULL until claimed. Claimed rows are deleted once
  -- Connect has committed their offsets.
  relay_batch bigint,
  -- Set when the row can never be produced (e.g. larger than the connector's limit, or a
  -- partition its topic lacks): kept here, with the reason, instead of being lost.
  failed_reason text,
  -- Set once Connect has committed the row's offset, when emitter.retention.ms keeps relayed
  -- rows for a while instead of deleting them at once; such rows are never relayed again.
  relayed_at timestamptz,
  -- Kafka headers besides the id header every message carries, as name, value, name, value, ...:
  -- an application outbox table's additional fields (emit_outbox_event). NULL: none.
  headers text[]
);
-- Outboxes installed by an earlier version lack the columns.
ALTER TABLE ${schema}.outbox ADD COLUMN IF NOT EXISTS relayed_at timestamptz;
ALTER TABLE ${schema}.outbox ADD COLUMN IF NOT EXISTS headers text[];
CREATE INDEX IF NOT EXISTS outbox_unclaimed ON ${schema}.outbox (bucket, id)
  WHERE relay_batch IS NULL AND failed_reason IS NULL;
CREATE INDEX IF NOT EXISTS outbox_claimed ON ${schema}.outbox (bucket, relay_batch, id)
  WHERE relay_batch IS NOT NULL;

-- Which source partition (bucket) a message belongs to: a fixed hash of topic and key, so all
-- messages of one key are relayed in order by one task.
CREATE OR REPLACE FUNCTION ${schema}.outbox_bucket(topic text, key bytea)
RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT (pg_catalog.hashtext(topic || E'\x1f' || coalesce(pg_catalog.encode(key, 'hex'), '')) & 2147483647) % ${buckets}
$fn$;

-- Earlier versions' outbox_enqueue had no headers: one function, so a call cannot be ambiguous.
DROP FUNCTION IF EXISTS ${schema}.outbox_enqueue(text, bytea, int, bytea);

CREATE OR REPLACE FUNCTION ${schema}.outbox_enqueue(topic text, message bytea, kafka_partition int, key bytea, headers text[])
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF topic IS NULL OR topic = '' THEN
    RAISE EXCEPTION 'pipeline_kafka: a topic must be given' USING ERRCODE = '22004';
  END IF;
  -- Kafka's rules for a topic name: a name Kafka refuses would stall its bucket in the relay.
  -- Length and a negated class, not '^[...]{1,249}$': PostgreSQL's regex engine expands a bounded
  -- repetition into 249 states, and that check alone cost the database 40 % of the transactions
  -- it could commit (pgbench, 8 clients, single-message transactions).
  IF length(topic) > 249 OR topic ~ '[^a-zA-Z0-9._-]' OR topic IN ('.', '..') THEN
    RAISE EXCEPTION 'pipeline_kafka: % is not a valid Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -, not . or ..)',
      quote_literal(topic) USING ERRCODE = '22023';
  END IF;
  IF kafka_partition IS NOT NULL AND kafka_partition < 0 THEN
    RAISE EXCEPTION 'pipeline_kafka: partition % is negative; use NULL (or ''-1'' in emit_tuple) to let Kafka choose', kafka_partition
      USING ERRCODE = '22023';
  END IF;
  IF ${key_lock} AND key IS NOT NULL THEN
    -- Opt-in (emitter.key.lock): transactions that share a key queue here until the earlier one
    -- ends, so ids, and thus the order in Kafka, follow commit order per key. A keyless message
    -- has no order to keep (Kafka spreads them over partitions): it takes no lock, where all of
    -- them once queued on the one lock of the empty key.
    PERFORM pg_advisory_xact_lock(hashtext(topic), hashtext(coalesce(encode(key, 'hex'), '')));
  END IF;
  INSERT INTO ${schema}.outbox (bucket, topic, kafka_partition, key, message, headers)
  VALUES (${schema}.outbox_bucket(topic, key), topic, kafka_partition, key, message, headers);
  IF ${notify} THEN
    PERFORM pg_notify('${schema}_outbox', '');
  END IF;
END
$fn$;

-- pipeline_kafka.produce_message(topic, message, partition := NULL, key := NULL), as in the
-- original extension, but VOLATILE (the original said IMMUTABLE) and transactional.
CREATE OR REPLACE FUNCTION ${schema}.produce_message(
  topic text, message bytea, "partition" integer DEFAULT NULL, key bytea DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  PERFORM ${schema}.outbox_enqueue(topic, message, "partition", key, NULL);
  RETURN 'success';
END
$fn$;

-- pipeline_kafka.emit_tuple(topic [, partition [, key_column]]): an AFTER INSERT OR UPDATE ...
-- FOR EACH ROW trigger that emits NEW as JSON (row_to_json). Partition '-1' leaves it to Kafka.
CREATE OR REPLACE FUNCTION ${schema}.emit_tuple()
RETURNS trigger LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  target_topic text;
  target_partition int;
  key_column text;
  key_value text;
BEGIN
  IF TG_WHEN <> 'AFTER' OR TG_LEVEL <> 'ROW' OR TG_OP NOT IN ('INSERT', 'UPDATE') THEN
    RAISE EXCEPTION 'pipeline_kafka.emit_tuple works only in an AFTER INSERT OR UPDATE ... FOR EACH ROW trigger, not % % FOR EACH %',
      TG_WHEN, TG_OP, TG_LEVEL USING ERRCODE = '39P01';
  END IF;
  IF TG_NARGS < 1 OR TG_ARGV[0] IS NULL OR TG_ARGV[0] = '' THEN
    RAISE EXCEPTION 'pipeline_kafka.emit_tuple needs a topic: EXECUTE FUNCTION ${schema}.emit_tuple(''topic'' [, ''partition'' [, ''key_column'']])'
      USING ERRCODE = '22004';
  END IF;
  target_topic := TG_ARGV[0];
  IF TG_NARGS >= 2 AND TG_ARGV[1] IS NOT NULL THEN
    IF TG_ARGV[1] !~ '^\s*-?[0-9]+\s*$' THEN
      RAISE EXCEPTION 'pipeline_kafka.emit_tuple: partition ''%'' is not an integer (use ''-1'' for any partition)', TG_ARGV[1]
        USING ERRCODE = '22P02';
    END IF;
    target_partition := TG_ARGV[1]::int;
    IF target_partition = -1 THEN
      target_partition := NULL;
    END IF;
  END IF;
  IF TG_NARGS >= 3 AND TG_ARGV[2] IS NOT NULL AND TG_ARGV[2] <> '' THEN
    key_column := TG_ARGV[2];
    IF NOT EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = TG_RELID AND attname = key_column AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'pipeline_kafka.emit_tuple: table % has no column "%" to use as key', TG_TABLE_NAME, key_column
        USING ERRCODE = '42703';
    END IF;
    EXECUTE format('SELECT ($1).%I::text', key_column) USING NEW INTO key_value;
    IF key_value IS NULL THEN
      RAISE EXCEPTION 'pipeline_kafka.emit_tuple: key column "%" is NULL in this row of %', key_column, TG_TABLE_NAME
        USING ERRCODE = '22004';
    END IF;
  END IF;
  PERFORM ${schema}.outbox_enqueue(
    target_topic, convert_to(row_to_json(NEW)::text, 'UTF8'), target_partition,
    CASE WHEN key_value IS NULL THEN NULL ELSE convert_to(key_value, 'UTF8') END, NULL);
  RETURN NULL;
END
$fn$;

-- emit_outbox_event(): captures an application's own outbox table (Debezium's outbox shape: id,
-- aggregatetype, aggregateid, type, payload) into this outbox as its rows are inserted, so an
-- application moves off log-based CDC without a change; a row it deletes in the same transaction
-- is relayed too. The connector creates the trigger from its emitter.outbox.* settings (see
-- OutboxTableCapture), with the arguments: event id column, key column, payload column, 't' if the
-- payload is bytea (else its text is sent), route column, topic prefix, topic suffix, then a
-- column and its header name per additional field.
CREATE OR REPLACE FUNCTION ${schema}.emit_outbox_event()
RETURNS trigger LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  fields jsonb;
  route text;
  target_topic text;
  payload bytea;
  event_key bytea;
  event_headers text[];
  i int;
BEGIN
  IF TG_WHEN <> 'AFTER' OR TG_LEVEL <> 'ROW' OR TG_OP <> 'INSERT' OR TG_NARGS < 7 OR TG_NARGS % 2 = 0 THEN
    RAISE EXCEPTION '${schema}.emit_outbox_event works only in the AFTER INSERT ... FOR EACH ROW trigger the emitter connector creates for emitter.outbox.table'
      USING ERRCODE = '39P01';
  END IF;
  fields := to_jsonb(NEW);
  route := fields ->> TG_ARGV[4];
  target_topic := TG_ARGV[5] || coalesce(route, '') || TG_ARGV[6];
  IF TG_ARGV[3] = 't' THEN
    EXECUTE format('SELECT ($1).%I', TG_ARGV[2]) USING NEW INTO payload;
  ELSE
    payload := convert_to(fields ->> TG_ARGV[2], 'UTF8');
  END IF;
  event_key := convert_to(fields ->> TG_ARGV[1], 'UTF8');
  event_headers := ARRAY['id', fields ->> TG_ARGV[0]];
  i := 7;
  WHILE i < TG_NARGS LOOP
    event_headers := event_headers || ARRAY[TG_ARGV[i + 1], fields ->> TG_ARGV[i]];
    i := i + 2;
  END LOOP;
  -- outbox_enqueue's test of a topic name. A row routed nowhere valid is kept marked failed, with
  -- the reason, rather than raised: the application's insert must not fail on the relay's account.
  IF route IS NULL OR length(target_topic) > 249 OR target_topic ~ '[^a-zA-Z0-9._-]' OR target_topic IN ('', '.', '..') THEN
    RAISE WARNING 'pipeline_kafka: outbox event % of %.% is not relayed: % is %, which routes it to no valid Kafka topic',
      fields ->> TG_ARGV[0], TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[4], coalesce(quote_literal(route), 'NULL');
    INSERT INTO ${schema}.outbox (bucket, topic, key, message, headers, failed_reason)
    VALUES (${schema}.outbox_bucket(target_topic, event_key), target_topic, event_key, payload, event_headers,
      TG_ARGV[4] || ' = ' || coalesce(quote_literal(route), 'NULL') || ' routes the event to no valid Kafka topic');
    RETURN NULL;
  END IF;
  PERFORM ${schema}.outbox_enqueue(target_topic, payload, NULL, event_key, event_headers);
  RETURN NULL;
END
$fn$;

-- The outbox is written only through the functions above; the relay connects as the owner.
REVOKE ALL ON TABLE ${schema}.outbox FROM PUBLIC;
REVOKE ALL ON SEQUENCE ${schema}.outbox_id_seq, ${schema}.outbox_batch_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION ${schema}.outbox_enqueue(text, bytea, int, bytea, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION ${schema}.outbox_bucket(text, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION ${schema}.produce_message(text, bytea, integer, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION ${schema}.emit_tuple() FROM PUBLIC;
REVOKE ALL ON FUNCTION ${schema}.emit_outbox_event() FROM PUBLIC;
