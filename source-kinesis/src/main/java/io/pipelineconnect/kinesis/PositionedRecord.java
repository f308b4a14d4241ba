package io.pipelineconnect.kinesis;

import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * What reading a shard yields, each with the shard's position after it: the records that go to the
 * topic, and the markers that carry positions no record carries (a resolved LATEST start, a reached
 * SHARD_END) to the markers topic, so they are saved like any offset.
 */
sealed interface PositionedRecord {
  ShardPosition position();

  /**
   * A Kinesis record, or one user record of a KPL aggregate: the Kinesis record it came in, the
   * partition key and data it goes to Kafka with, the explicit hash key a KPL user record was put
   * with (null when none: GetRecords never returns a plain record's), and the position after it.
   */
  record Data(
      Record record,
      String partitionKey,
      String explicitHashKey,
      byte[] value,
      ShardPosition position)
      implements PositionedRecord {}

  /** A position with no record to carry it, and the event that reached it (for the marker). */
  record Marker(ShardPosition position, String event) implements PositionedRecord {}
}
