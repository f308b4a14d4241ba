package io.pipelineconnect.kinesis;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where reading a shard resumes, as stored in Connect's source offsets: after a sequence number,
 * inside a KPL aggregate (after one of its sub-records), at the instant a LATEST start was
 * resolved, or nowhere (the shard was read to its end).
 *
 * <p>A {@code sub_sequence} in an offset means "delivered up to and including that sub-record of
 * the aggregate with this sequence number"; unless {@code sub_last} says it was the aggregate's
 * last, reading resumes AT that sequence number and skips the sub-records already delivered.
 * Offsets without a sub-sequence (those of plain records and of older versions) resume AFTER the
 * sequence number.
 */
record ShardPosition(
    String sequence,
    Long subSequence,
    boolean lastSubRecord,
    Instant latestResolvedAt,
    boolean shardEnd) {
  static final String SEQUENCE = "sequence";
  static final String SUB_SEQUENCE = "sub_sequence";
  static final String SUB_LAST = "sub_last";
  static final String LATEST_AT = "latest_at";
  static final String SHARD_END = "shard_end";

  static ShardPosition after(String sequence) {
    return new ShardPosition(sequence, null, false, null, false);
  }

  /** After sub-record {@code subSequence} of the aggregate {@code sequence}. */
  static ShardPosition afterSubRecord(String sequence, long subSequence, boolean last) {
    return new ShardPosition(sequence, subSequence, last, null, false);
  }

  static ShardPosition latestAt(Instant instant) {
    return new ShardPosition(null, null, false, instant, false);
  }

  static ShardPosition end(String lastSequence) {
    return new ShardPosition(lastSequence, null, false, null, true);
  }

  /** Reading stopped inside an aggregate: some of its sub-records are still to be delivered. */
  boolean insideAggregate() {
    return subSequence != null && !lastSubRecord && !shardEnd;
  }

  /**
   * The source partition of a shard. A sorted map: Connect stores offsets under the serialized
   * partition, so its keys must come out in the same order in every JVM (Map.of's order differs
   * between JVMs, and a worker that took over a task then found no offsets).
   */
  static Map<String, Object> partition(String stream, String shardId) {
    Map<String, Object> partition = new TreeMap<>();
    partition.put("stream", stream);
    partition.put("shard", shardId);
    return partition;
  }

  Map<String, Object> toOffset() {
    Map<String, Object> offset = new HashMap<>();
    if (sequence != null) {
      offset.put(SEQUENCE, sequence);
    }
    if (subSequence != null) {
      offset.put(SUB_SEQUENCE, subSequence);
      if (lastSubRecord) {
        offset.put(SUB_LAST, true);
      }
    }
    if (latestResolvedAt != null) {
      offset.put(LATEST_AT, latestResolvedAt.toEpochMilli());
    }
    if (shardEnd) {
      offset.put(SHARD_END, true);
    }
    return offset;
  }

  /** The stored position, or null if the shard has none. */
  static ShardPosition fromOffset(Map<String, Object> offset) {
    if (offset == null || offset.isEmpty()) {
      return null;
    }
    Object latest = offset.get(LATEST_AT);
    Object sub = offset.get(SUB_SEQUENCE);
    return new ShardPosition(
        (String) offset.get(SEQUENCE),
        sub == null ? null : ((Number) sub).longValue(),
        Boolean.TRUE.equals(offset.get(SUB_LAST)),
        latest == null ? null : Instant.ofEpochMilli(((Number) latest).longValue()),
        Boolean.TRUE.equals(offset.get(SHARD_END)));
  }
}
