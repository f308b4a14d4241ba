package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/** KPL de-aggregation in the task, and restarts inside an aggregate, against a scripted shard. */
class KinesisDeaggregationTest {
  private static final ShardInfo SHARD = new ShardInfo("shard-0", List.of(), true);

  /** The shard's records: two aggregates around a plain record, then the shard's end. */
  private static final List<Record> SHARD_LOG =
      List.of(
          record(
              "100",
              "agg-key",
              new KplAggregates().add("a", "a1").add("b", "b1").add("a", "a2").build()),
          record("101", "plain-key", "p1".getBytes(StandardCharsets.UTF_8)),
          record("102", "agg-key", new KplAggregates().add("c", "c1").add("d", "d1").build()));

  private static final List<String> ALL = List.of("a1", "b1", "a2", "p1", "c1", "d1");

  private static Record record(String sequence, String key, byte[] data) {
    return Record.builder()
        .sequenceNumber(sequence)
        .partitionKey(key)
        .data(SdkBytes.fromByteArray(data))
        .approximateArrivalTimestamp(Instant.ofEpochMilli(1_700_000_000_000L))
        .build();
  }

  /** What Kinesis returns for an iterator: the log from the requested position on. */
  private static List<Record> from(List<Record> log, GetShardIteratorRequest request) {
    if (request.shardIteratorType() == ShardIteratorType.TRIM_HORIZON) {
      return log;
    }
    BigInteger start = new BigInteger(request.startingSequenceNumber());
    boolean at = request.shardIteratorType() == ShardIteratorType.AT_SEQUENCE_NUMBER;
    return log.stream()
        .filter(
            r -> {
              int cmp = new BigInteger(r.sequenceNumber()).compareTo(start);
              return at ? cmp >= 0 : cmp > 0;
            })
        .toList();
  }

  /** A task (on a fresh client) that starts from the given saved offset, if any. */
  private static List<SourceRecord> run(Map<String, ?> savedOffset, FakeKinesis kinesis) {
    return run(SHARD_LOG, savedOffset, kinesis, Map.of());
  }

  private static List<SourceRecord> run(
      List<Record> log,
      Map<String, ?> savedOffset,
      FakeKinesis kinesis,
      Map<String, String> extra) {
    FakeTaskContext context = new FakeTaskContext();
    if (savedOffset != null) {
      context.savedOffsets.put(
          ShardPosition.partition("s", SHARD.id()), new HashMap<>(savedOffset));
    }
    kinesis.getRecords.add(
        () ->
            GetRecordsResponse.builder()
                .records(
                    from(log, kinesis.iteratorRequests.get(kinesis.iteratorRequests.size() - 1)))
                .millisBehindLatest(0L)
                .build()); // no next iterator: the shard ends here
    Map<String, String> props = new HashMap<>();
    props.put("kinesis.stream", "s");
    props.put("topic", "t");
    props.put("start_offset", "-2");
    props.put(KinesisSourceConfig.TASK_SHARDS, ShardInfo.encodeAll(List.of(SHARD)));
    props.putAll(extra);
    KinesisSourceTask task = new KinesisSourceTask(config -> kinesis);
    task.initialize(context);
    task.start(props);
    List<SourceRecord> out = new ArrayList<>();
    Awaitility.await("the shard's end")
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              List<SourceRecord> polled = task.poll();
              if (polled != null) {
                out.addAll(polled);
              }
              return out.stream().anyMatch(r -> r.topic().equals("t.kinesis-markers"));
            });
    task.stop();
    return out.stream().filter(r -> r.topic().equals("t")).toList();
  }

  private static String value(SourceRecord record) {
    return new String((byte[]) record.value(), StandardCharsets.UTF_8);
  }

  private static String key(SourceRecord record) {
    return new String((byte[]) record.key(), StandardCharsets.UTF_8);
  }

  private static Object header(SourceRecord record, String key) {
    Header header = record.headers().lastWithName(key);
    return header == null ? null : header.value();
  }

  @Test
  void eachUserRecordBecomesAKafkaRecordWithItsOwnKey() {
    List<SourceRecord> records = run(null, new FakeKinesis());
    assertThat(records).extracting(KinesisDeaggregationTest::value).isEqualTo(ALL);
    assertThat(records)
        .extracting(KinesisDeaggregationTest::key)
        .containsExactly("a", "b", "a", "plain-key", "c", "d");
    assertThat(records)
        .extracting(r -> header(r, "kinesis.sequence.number"))
        .containsExactly("100", "100", "100", "101", "102", "102");
    assertThat(records)
        .extracting(r -> header(r, "kinesis.sub.sequence.number"))
        .containsExactly(0L, 1L, 2L, null, 0L, 1L);
    assertThat(records).allSatisfy(r -> assertThat(r.timestamp()).isEqualTo(1_700_000_000_000L));
    assertThat(new HashMap<>(records.get(1).sourceOffset()))
        .isEqualTo(Map.of("sequence", "100", "sub_sequence", 1L));
    assertThat(new HashMap<>(records.get(2).sourceOffset()))
        .isEqualTo(Map.of("sequence", "100", "sub_sequence", 2L, "sub_last", true));
    assertThat(new HashMap<>(records.get(3).sourceOffset())).isEqualTo(Map.of("sequence", "101"));
  }

  @Test
  void aRestartAfterAnyDeliveredRecordNeitherLosesNorRepeats() {
    List<SourceRecord> first = run(null, new FakeKinesis());
    for (int committed = 0; committed < first.size(); committed++) {
      FakeKinesis kinesis = new FakeKinesis();
      List<SourceRecord> resumed = run(first.get(committed).sourceOffset(), kinesis);
      List<String> delivered = new ArrayList<>();
      first.subList(0, committed + 1).forEach(r -> delivered.add(value(r)));
      resumed.forEach(r -> delivered.add(value(r)));
      assertThat(delivered).as("committed through record " + committed).isEqualTo(ALL);

      GetShardIteratorRequest resume = kinesis.iteratorRequests.get(0);
      boolean insideAggregate = committed == 0 || committed == 1 || committed == 4;
      assertThat(resume.shardIteratorType())
          .as("iterator after record " + committed)
          .isEqualTo(
              insideAggregate
                  ? ShardIteratorType.AT_SEQUENCE_NUMBER
                  : ShardIteratorType.AFTER_SEQUENCE_NUMBER);
      assertThat(resume.startingSequenceNumber())
          .isEqualTo(header(first.get(committed), "kinesis.sequence.number"));
    }
  }

  @Test
  void anOffsetWithoutASubSequenceResumesAfterTheWholeRecord() {
    // Offsets written before de-aggregation existed: only a sequence number.
    FakeKinesis kinesis = new FakeKinesis();
    List<SourceRecord> records = run(Map.of("sequence", "100"), kinesis);
    assertThat(records)
        .extracting(KinesisDeaggregationTest::value)
        .containsExactly("p1", "c1", "d1");
    assertThat(kinesis.iteratorRequests.get(0).shardIteratorType())
        .isEqualTo(ShardIteratorType.AFTER_SEQUENCE_NUMBER);
  }

  @Test
  void turnedOffEachKinesisRecordIsOneKafkaRecord() {
    List<SourceRecord> records =
        run(SHARD_LOG, null, new FakeKinesis(), Map.of(KinesisSourceConfig.DEAGGREGATE, "false"));
    assertThat(records).hasSize(3);
    assertThat((byte[]) records.get(0).value()).isEqualTo(SHARD_LOG.get(0).data().asByteArray());
    assertThat(records)
        .extracting(KinesisDeaggregationTest::key)
        .containsExactly("agg-key", "plain-key", "agg-key");
    assertThat(records)
        .allSatisfy(r -> assertThat(r.sourceOffset()).doesNotContainKey("sub_sequence"));
  }

  @Test
  void aCorruptAggregateGoesThroughWholeAndAnEmptyOneYieldsNothing() {
    byte[] corrupt = new KplAggregates().add("x", "x1").build();
    corrupt[corrupt.length - 1] ^= 1;
    List<Record> log =
        List.of(
            record("200", "corrupt-key", corrupt),
            record("201", "empty-key", new KplAggregates().build()),
            record("202", "agg-key", new KplAggregates().add("y", "y1").build()));
    List<SourceRecord> records = run(log, null, new FakeKinesis(), Map.of());
    assertThat(records).hasSize(2);
    assertThat((byte[]) records.get(0).value()).isEqualTo(corrupt);
    assertThat(key(records.get(0))).isEqualTo("corrupt-key");
    assertThat(new HashMap<>(records.get(0).sourceOffset())).isEqualTo(Map.of("sequence", "200"));
    assertThat(value(records.get(1))).isEqualTo("y1");
    assertThat(key(records.get(1))).isEqualTo("y");
  }
}
