package io.pipelineconnect.kinesis;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where reading a shard resumes, as stored in Connect's source offsets: after a sequence number, at
 * the instant a LATEST start was resolved, or nowhere (the shard was read to its end).
 */
record ShardPosition(String sequence, Instant latestResolvedAt, boolean shardEnd) {
  static final String SEQUENCE = "sequence";
  static final String LATEST_AT = "latest_at";
  static final String SHARD_END = "shard_end";

  static ShardPosition after(String sequence) {
    return new ShardPosition(sequence, null, false);
  }

  static ShardPosition latestAt(Instant instant) {
    return new ShardPosition(null, instant, false);
  }

  static ShardPosition end(String lastSequence) {
    return new ShardPosition(lastSequence, null, true);
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
    return new ShardPosition(
        (String) offset.get(SEQUENCE),
        latest == null ? null : Instant.ofEpochMilli(((Number) latest).longValue()),
        Boolean.TRUE.equals(offset.get(SHARD_END)));
  }
}
