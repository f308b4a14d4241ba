package io.pipelineconnect.kinesis;

import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * One shard's reading state in a task: its iterator, where it stands, and when it may be asked
 * again (Kinesis allows 5 GetRecords calls and 2 MB per second per shard; throttling backs off with
 * jitter).
 */
final class ShardReader {
  static final long MIN_CALL_INTERVAL_MS = 200;

  /** Kinesis's read limit per shard: 2 MiB/s, shared by every consumer of the shard. */
  static final long MAX_READ_BYTES_PER_SECOND = 2L * 1024 * 1024;

  final ShardInfo shard;
  String iterator;
  ShardPosition position;
  long nextCallAtMs;
  int failures;

  ShardReader(ShardInfo shard, ShardPosition position) {
    this.shard = shard;
    this.position = position;
  }

  /**
   * How many leading sub-records of the aggregate {@code sequence} were already delivered: those of
   * the partly delivered aggregate that reading resumed at, none for any other record.
   */
  long deliveredSubRecords(String sequence) {
    if (position != null && position.insideAggregate() && position.sequence().equals(sequence)) {
      return position.subSequence() + 1;
    }
    return 0;
  }

  boolean finished() {
    return position != null && position.shardEnd();
  }

  /**
   * The GetShardIterator request that resumes from the saved position: AT the sequence number of an
   * aggregate that was only partly delivered (its delivered sub-records are then skipped),
   * otherwise AFTER the last delivered sequence number.
   */
  GetShardIteratorRequest resumeRequest(String stream) {
    var request = GetShardIteratorRequest.builder().streamName(stream).shardId(shard.id());
    if (position.insideAggregate()) {
      return request
          .shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
          .startingSequenceNumber(position.sequence())
          .build();
    }
    if (position.sequence() != null) {
      return request
          .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
          .startingSequenceNumber(position.sequence())
          .build();
    }
    return request
        .shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
        .timestamp(position.latestResolvedAt())
        .build();
  }

  /** Schedules the next call after a failure: exponential backoff with full jitter. */
  void backOff(long maxBackoffMs, long nowMs) {
    failures++;
    long ceiling = Math.min(maxBackoffMs, MIN_CALL_INTERVAL_MS << Math.min(16, failures));
    nextCallAtMs = nowMs + MIN_CALL_INTERVAL_MS + ThreadLocalRandom.current().nextLong(ceiling);
  }

  /**
   * How long to wait after a call that returned {@code bytes}, so the shard is read at no more than
   * 2 MiB/s: a call that returned 10 MB is, as Kinesis demands, followed by 5 s without one.
   */
  static long readPause(long bytes) {
    return bytes * 1000 / MAX_READ_BYTES_PER_SECOND;
  }

  void succeeded(long nowMs, long waitMs) {
    failures = 0;
    nextCallAtMs = nowMs + Math.max(MIN_CALL_INTERVAL_MS, waitMs);
  }
}
