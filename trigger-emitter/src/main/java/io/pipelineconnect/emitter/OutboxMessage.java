package io.pipelineconnect.emitter;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * A message claimed from the outbox, with the position Connect stores as its source offset.
 *
 * @param headers header names and values, alternating, besides the id header (an application outbox
 *     table's event id replaces it)
 * @param createdMs when the message was written to the outbox (ms since the epoch, by the server's
 *     clock), the record's timestamp; null: the producer's time
 */
record OutboxMessage(
    long id,
    int bucket,
    long batch,
    String topic,
    Integer partition,
    byte[] key,
    byte[] value,
    List<String> headers,
    Long createdMs) {

  /**
   * Stable across redelivery: what a consumer deduplicates by (Debezium's outbox router's name).
   */
  static final String ID_HEADER = "id";

  OutboxMessage(
      long id, int bucket, long batch, String topic, Integer partition, byte[] key, byte[] value) {
    this(id, bucket, batch, topic, partition, key, value, List.of(), null);
  }

  static final String SCHEMA_KEY = "schema";
  static final String BUCKET_KEY = "bucket";
  static final String BATCH_KEY = "batch";
  static final String ID_KEY = "id";

  /**
   * The source partition of a bucket: {bucket, schema}, as a sorted map. Connect stores offsets
   * under the serialized partition, so the key order must be the same in every JVM (Map.of's is
   * not).
   */
  static Map<String, Object> sourcePartition(String schema, int bucket) {
    Map<String, Object> partition = new TreeMap<>();
    partition.put(SCHEMA_KEY, schema);
    partition.put(BUCKET_KEY, bucket);
    return partition;
  }

  /** The source offset: the relay batch and the id within it. Batches are relayed in order. */
  Map<String, Object> sourceOffset() {
    Map<String, Object> offset = new TreeMap<>();
    offset.put(BATCH_KEY, batch);
    offset.put(ID_KEY, id);
    return offset;
  }

  /**
   * The record Connect produces: the outbox's raw bytes as optional bytes, to the topic and (when
   * the caller named one) partition, under the bucket's source partition of the outbox's schema,
   * stamped with the time it was written and carrying its id header and any others.
   */
  SourceRecord toSourceRecord(String schema) {
    ConnectHeaders recordHeaders = new ConnectHeaders();
    boolean ownId = false;
    for (int i = 0; i + 1 < headers.size(); i += 2) {
      recordHeaders.addString(headers.get(i), headers.get(i + 1));
      ownId |= ID_HEADER.equals(headers.get(i));
    }
    if (!ownId) {
      recordHeaders.addString(ID_HEADER, Long.toString(id));
    }
    return new SourceRecord(
        sourcePartition(schema, bucket),
        sourceOffset(),
        topic,
        partition,
        Schema.OPTIONAL_BYTES_SCHEMA,
        key,
        Schema.OPTIONAL_BYTES_SCHEMA,
        value,
        createdMs,
        recordHeaders);
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
