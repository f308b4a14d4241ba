package io.pipelineconnect.kinesis;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.source.SourceRecord;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Builds the Kafka records of a shard's positioned records: data records to the topic, with the
 * Kinesis coordinates as headers, and markers to the markers topic. Every source offset is stamped
 * with the stream's creation time, so a later task can tell positions of a recreated stream.
 */
final class SourceRecordBuilder {
  /** Connect only reads a record's partition, so one map per shard serves all its records. */
  private final Map<String, Map<String, Object>> sourcePartitions = new ConcurrentHashMap<>();

  private final String stream;
  private final String topic;
  private final String markersTopic;
  private final Long streamCreatedMs;

  SourceRecordBuilder(String stream, String topic, String markersTopic, Long streamCreatedMs) {
    this.stream = stream;
    this.topic = topic;
    this.markersTopic = markersTopic;
    this.streamCreatedMs = streamCreatedMs;
  }

  /** Read from the config once: the stream's creation time is needed per record. */
  SourceRecordBuilder(KinesisSourceConfig config) {
    this(config.stream(), config.topic(), config.markersTopic(), config.streamCreatedMs());
  }

  SourceRecord build(ShardInfo shard, PositionedRecord positioned) {
    if (positioned instanceof PositionedRecord.Data data) {
      return dataRecord(shard, data);
    }
    PositionedRecord.Marker marker = (PositionedRecord.Marker) positioned;
    return marker(shard, marker.position(), marker.event());
  }

  private SourceRecord dataRecord(ShardInfo shard, PositionedRecord.Data data) {
    Record record = data.record();
    String partitionKey = data.partitionKey();
    ShardPosition position = data.position();
    ConnectHeaders headers = new ConnectHeaders();
    headers.addString("kinesis.stream", stream);
    headers.addString("kinesis.shard.id", shard.id());
    headers.addString("kinesis.sequence.number", record.sequenceNumber());
    if (position.subSequence() != null) {
      headers.addLong("kinesis.sub.sequence.number", position.subSequence());
    }
    if (data.explicitHashKey() != null) {
      headers.addString("kinesis.explicit.hash.key", data.explicitHashKey());
    }
    Long timestamp =
        record.approximateArrivalTimestamp() == null
            ? null
            : record.approximateArrivalTimestamp().toEpochMilli();
    return new SourceRecord(
        partitionOf(shard.id()),
        position.toOffset(streamCreatedMs),
        topic,
        null,
        Schema.OPTIONAL_BYTES_SCHEMA,
        partitionKey == null ? null : partitionKey.getBytes(StandardCharsets.UTF_8),
        Schema.OPTIONAL_BYTES_SCHEMA,
        data.value(),
        timestamp,
        headers);
  }

  private SourceRecord marker(ShardInfo shard, ShardPosition position, String event) {
    String value =
        "{\"stream\":\""
            + stream
            + "\",\"shard\":\""
            + shard.id()
            + "\",\"event\":\""
            + event
            + "\"}";
    return new SourceRecord(
        partitionOf(shard.id()),
        position.toOffset(streamCreatedMs),
        markersTopic,
        null,
        Schema.OPTIONAL_BYTES_SCHEMA,
        shard.id().getBytes(StandardCharsets.UTF_8),
        Schema.OPTIONAL_BYTES_SCHEMA,
        value.getBytes(StandardCharsets.UTF_8));
  }

  /** The shard's source partition, made once per shard rather than per record. */
  private Map<String, Object> partitionOf(String shardId) {
    return sourcePartitions.computeIfAbsent(shardId, id -> ShardPosition.partition(stream, id));
  }
}
