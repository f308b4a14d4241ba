package io.pipelineconnect.kinesis;

import io.pipelineconnect.common.SourcePartitions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
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

  /**
   * Not part of the position: when the stream it belongs to was created (epoch ms). Kinesis reuses
   * shard ids in a stream deleted and created again under the same name; this tells them apart.
   */
  static final String STREAM_CREATED = "stream_created";

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

  static final String STREAM = "stream";
  static final String SHARD = "shard";

  /** The partition keys in the order Connect's offset lookups give them: see SourcePartitions. */
  private static final List<String> PARTITION_ORDER = SourcePartitions.keyOrder(STREAM, SHARD);

  /**
   * The source partition of a shard, its keys in the order Connect's REST offsets lookups produce
   * ({@link SourcePartitions}); the same in every JVM. Versions before 0.2 stored it sorted, which
   * those lookups never found: see {@link #legacyPartition}.
   */
  static Map<String, Object> partition(String stream, String shardId) {
    return SourcePartitions.ordered(PARTITION_ORDER, Map.of(STREAM, stream, SHARD, shardId));
  }

  /**
   * The partition as versions before 0.2 stored it: sorted (shard, stream). Read only, for
   * positions saved by those versions; REST GET and DELETE did not see these.
   */
  static Map<String, Object> legacyPartition(String stream, String shardId) {
    Map<String, Object> partition = new TreeMap<>();
    partition.put(STREAM, stream);
    partition.put(SHARD, shardId);
    return partition;
  }

  /**
   * Why a source offset given through the REST API is not one this connector wrote, or null if it
   * is one. Checked in alterOffsets, before Connect stores it.
   */
  static String offsetProblem(Map<String, ?> offset) {
    if (offset == null) {
      return null; // a reset: the shard starts over by start_offset
    }
    for (String key : offset.keySet()) {
      if (!List.of(SEQUENCE, SUB_SEQUENCE, SUB_LAST, LATEST_AT, SHARD_END, STREAM_CREATED)
          .contains(key)) {
        return "unknown key "
            + key
            + " (expected "
            + SEQUENCE
            + ", optionally "
            + SUB_SEQUENCE
            + ", "
            + SUB_LAST
            + ", "
            + LATEST_AT
            + " or "
            + SHARD_END
            + ")";
      }
    }
    Object sequence = offset.get(SEQUENCE);
    if (sequence != null && !(sequence instanceof String text && text.matches("\\d{1,128}"))) {
      return SEQUENCE + " must be a Kinesis sequence number as a string of digits, got " + sequence;
    }
    if (sequence == null && offset.get(LATEST_AT) == null) {
      return "give " + SEQUENCE + " (read after that record) or " + LATEST_AT;
    }
    Object sub = offset.get(SUB_SEQUENCE);
    if (sub != null && !(sub instanceof Number)) {
      return SUB_SEQUENCE + " must be a number, got " + sub;
    }
    Object latest = offset.get(LATEST_AT);
    if (latest != null && !(latest instanceof Number)) {
      return LATEST_AT + " must be epoch milliseconds, got " + latest;
    }
    Object created = offset.get(STREAM_CREATED);
    if (created != null && !(created instanceof Number)) {
      return STREAM_CREATED + " must be epoch milliseconds, got " + created;
    }
    for (String flag : List.of(SUB_LAST, SHARD_END)) {
      Object value = offset.get(flag);
      if (value != null && !(value instanceof Boolean)) {
        return flag + " must be true or false, got " + value;
      }
    }
    return null;
  }

  Map<String, Object> toOffset() {
    return toOffset(null);
  }

  /** The source offset, stamped with the stream's creation time where it is known. */
  Map<String, Object> toOffset(Long streamCreatedMs) {
    Map<String, Object> offset = new HashMap<>();
    if (streamCreatedMs != null) {
      offset.put(STREAM_CREATED, streamCreatedMs);
    }
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

  /**
   * When the stream of a saved offset was created (epoch ms), or null if the offset does not say.
   */
  static Long streamCreated(Map<String, Object> offset) {
    Object created = offset == null ? null : offset.get(STREAM_CREATED);
    return created == null ? null : ((Number) created).longValue();
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
