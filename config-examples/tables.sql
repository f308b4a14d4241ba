-- The relations the examples write, for a PostgreSQL database (run before roles.sql).
-- On PipelineDB, make page_views a stream instead:
--   CREATE FOREIGN TABLE page_views (url text, user_id bigint, latency float8) SERVER pipelinedb;

-- sink-csv-to-stream, sink-json-to-stream, sink-json-to-table-tls, sink-kinesis-topic-to-stream
-- (and the rows emitter-emit-tuple sends back to Kafka through an emit_tuple trigger).
CREATE TABLE IF NOT EXISTS public.page_views (
  url text,
  user_id bigint,
  latency float8,
  viewed_at timestamptz DEFAULT now()
);

-- sink-struct-to-table-binary: one column per field of the record's Struct, by name, with the
-- types the binary COPY path checks at start (int64 -> bigint, string -> text, float64 -> float8,
-- Timestamp -> timestamptz, Decimal -> numeric).
CREATE TABLE IF NOT EXISTS public.orders (
  id bigint PRIMARY KEY,
  customer text NOT NULL,
  amount numeric(12, 2),
  placed_at timestamptz
);

-- sink-cdc-to-table: the copy of a Debezium source table, keyed like its source (the record key's
-- fields are the primary key's columns).
CREATE TABLE IF NOT EXISTS public.customers (
  id integer PRIMARY KEY,
  first_name text,
  last_name text,
  email text
);
