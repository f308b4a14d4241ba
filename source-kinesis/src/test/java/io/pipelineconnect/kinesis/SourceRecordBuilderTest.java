package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.Record;

/** The Kafka records of positioned records: topic, key, value, headers, offsets, partitions. */
class SourceRecordBuilderTest {
  private static final ShardInfo SHARD = new ShardInfo("shard-0", List.of(), false);
  private static final SourceRecordBuilder BUILDER =
      new SourceRecordBuilder("s", "t", "t.kinesis-markers", 2_000L);

  private static final Record KINESIS_RECORD =
      Record.builder()
          .sequenceNumber("100")
          .partitionKey("agg-key")
          .data(SdkBytes.fromUtf8String("aggregate"))
          .approximateArrivalTimestamp(Instant.ofEpochMilli(1_700_000_000_000L))
          .build();

  private static Object header(SourceRecord record, String key) {
    Header header = record.headers().lastWithName(key);
    return header == null ? null : header.value();
  }

  @Test
  void aDataRecordGoesToTheTopicWithItsKinesisCoordinatesAndAStampedOffset() {
    SourceRecord record =
        BUILDER.build(
            SHARD,
            new PositionedRecord.Data(
                KINESIS_RECORD,
                "user-key",
                "170141183460469231731687303715884105728",
                "v".getBytes(StandardCharsets.UTF_8),
                ShardPosition.afterSubRecord("100", 1, false)));
    assertThat(record.topic()).isEqualTo("t");
    assertThat(record.kafkaPartition()).isNull();
    assertThat(new String((byte[]) record.key(), StandardCharsets.UTF_8)).isEqualTo("user-key");
    assertThat(new String((byte[]) record.value(), StandardCharsets.UTF_8)).isEqualTo("v");
    assertThat(record.timestamp()).isEqualTo(1_700_000_000_000L);
    assertThat(header(record, "kinesis.stream")).isEqualTo("s");
    assertThat(header(record, "kinesis.shard.id")).isEqualTo("shard-0");
    assertThat(header(record, "kinesis.sequence.number")).isEqualTo("100");
    assertThat(header(record, "kinesis.sub.sequence.number")).isEqualTo(1L);
    assertThat(header(record, "kinesis.explicit.hash.key"))
        .isEqualTo("170141183460469231731687303715884105728");
    assertThat(record.sourcePartition()).isEqualTo(ShardPosition.partition("s", "shard-0"));
    assertThat(new HashMap<>(record.sourceOffset()))
        .isEqualTo(Map.of("sequence", "100", "sub_sequence", 1L, "stream_created", 2_000L));
  }

  @Test
  void aPlainRecordHasNoSubSequenceAndMayLackKeyAndTimestamp() {
    Record bare = Record.builder().sequenceNumber("5").data(SdkBytes.fromUtf8String("x")).build();
    SourceRecord record =
        new SourceRecordBuilder("s", "t", "m", null)
            .build(
                SHARD,
                new PositionedRecord.Data(
                    bare, null, null, new byte[] {1}, ShardPosition.after("5")));
    assertThat(record.key()).isNull();
    assertThat(record.timestamp()).isNull();
    assertThat(header(record, "kinesis.sub.sequence.number")).isNull();
    assertThat(record.headers().lastWithName("kinesis.sub.sequence.number")).isNull();
    assertThat(record.headers().lastWithName("kinesis.explicit.hash.key")).isNull();
    assertThat(new HashMap<>(record.sourceOffset())).isEqualTo(Map.of("sequence", "5"));
  }

  @Test
  void aMarkerGoesToTheMarkersTopicKeyedByShardAndSaysWhatHappened() {
    SourceRecord marker =
        BUILDER.build(SHARD, new PositionedRecord.Marker(ShardPosition.end("9"), "SHARD_END"));
    assertThat(marker.topic()).isEqualTo("t.kinesis-markers");
    assertThat(new String((byte[]) marker.key(), StandardCharsets.UTF_8)).isEqualTo("shard-0");
    assertThat(new String((byte[]) marker.value(), StandardCharsets.UTF_8))
        .isEqualTo("{\"stream\":\"s\",\"shard\":\"shard-0\",\"event\":\"SHARD_END\"}");
    assertThat(new HashMap<>(marker.sourceOffset()))
        .isEqualTo(Map.of("sequence", "9", "shard_end", true, "stream_created", 2_000L));
    assertThat(marker.headers()).isEmpty();
  }

  @Test
  void allRecordsOfAShardShareOneSourcePartition() {
    SourceRecordBuilder builder = new SourceRecordBuilder("s", "t", "m", null);
    SourceRecord first =
        builder.build(SHARD, new PositionedRecord.Marker(ShardPosition.end(null), "SHARD_END"));
    SourceRecord second =
        builder.build(
            SHARD,
            new PositionedRecord.Data(
                KINESIS_RECORD, "k", null, new byte[0], ShardPosition.after("100")));
    assertThat(second.sourcePartition()).isSameAs(first.sourcePartition());
  }
}
