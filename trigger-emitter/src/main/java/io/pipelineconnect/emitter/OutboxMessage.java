package io.pipelineconnect.emitter;

import java.util.Map;

/** A message claimed from the outbox, with the position Connect stores as its source offset. */
record OutboxMessage(
    long id, int bucket, long batch, String topic, Integer partition, byte[] key, byte[] value) {

  static final String SCHEMA_KEY = "schema";
  static final String BUCKET_KEY = "bucket";
  static final String BATCH_KEY = "batch";
  static final String ID_KEY = "id";

  /** The source partition of a bucket: {schema, bucket}. */
  static Map<String, Object> sourcePartition(String schema, int bucket) {
    return Map.of(SCHEMA_KEY, schema, BUCKET_KEY, bucket);
  }

  /** The source offset: the relay batch and the id within it. Batches are relayed in order. */
  Map<String, Object> sourceOffset() {
    return Map.of(BATCH_KEY, batch, ID_KEY, id);
  }

  /** A committed position read back from Connect's offsets. */
  record Position(long batch, long id) {
    static Position fromOffset(Map<String, Object> offset) {
      if (offset == null || offset.get(BATCH_KEY) == null || offset.get(ID_KEY) == null) {
        return null;
      }
      return new Position(
          ((Number) offset.get(BATCH_KEY)).longValue(), ((Number) offset.get(ID_KEY)).longValue());
    }
  }
}
