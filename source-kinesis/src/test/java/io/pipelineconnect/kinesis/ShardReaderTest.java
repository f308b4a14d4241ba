package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.management.ObjectName;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/** One shard's reader against a scripted Kinesis: iterators, pages, pacing and failures. */
class ShardReaderTest {
  private static final long NOW = 1_000_000L;
  private static final ShardInfo SHARD = new ShardInfo("shard-0", List.of(), false);

  private final FakeKinesis kinesis = new FakeKinesis();
  private final KinesisTaskMetrics metrics =
      KinesisTaskMetrics.create(new FakeTaskContext(), "shard-reader-test", 0);

  @AfterEach
  void closeMetrics() {
    metrics.close();
  }

  private ShardReader reader(String startOffset, ShardInfo shard, ShardPosition saved) {
    return reader(Map.of(), startOffset, shard, saved, false);
  }

  private ShardReader reader(
      Map<String, String> extra,
      String startOffset,
      ShardInfo shard,
      ShardPosition saved,
      boolean child) {
    Map<String, String> props = new HashMap<>(extra);
    props.put("kinesis.stream", "s");
    props.put("topic", "t");
    props.put("start_offset", startOffset);
    props.put("kinesis.max.backoff.ms", "100");
    props.put("kinesis.idle.wait.ms", "700");
    KinesisSourceConfig config = new KinesisSourceConfig(props);
    return new ShardReader(shard, saved, child, kinesis, config, new Deaggregator(config), metrics);
  }

  private static Record record(String sequence, String data) {
    return Record.builder()
        .sequenceNumber(sequence)
        .partitionKey("k")
        .data(SdkBytes.fromUtf8String(data))
        .approximateArrivalTimestamp(Instant.ofEpochMilli(5))
        .build();
  }

  private static GetRecordsResponse page(String next, long millisBehind, Record... records) {
    return GetRecordsResponse.builder()
        .records(records)
        .nextShardIterator(next)
        .millisBehindLatest(millisBehind)
        .build();
  }

  private static List<Object> sequences(ShardReader.Page page) {
    List<Object> out = new ArrayList<>();
    for (PositionedRecord read : page.records()) {
      out.add(
          read instanceof PositionedRecord.Data data
              ? data.record().sequenceNumber()
              : ((PositionedRecord.Marker) read).event());
    }
    return out;
  }

  @Test
  void aPageHoldsTheRecordsInOrderEachWithThePositionAfterIt() {
    ShardReader reader = reader("-2", SHARD, null);
    kinesis.getRecords.add(() -> page("it-2", 5, record("1", "a"), record("2", "b")));
    ShardReader.Page page = reader.read(NOW);
    assertThat(sequences(page)).containsExactly("1", "2");
    assertThat(page.records())
        .extracting(PositionedRecord::position)
        .containsExactly(ShardPosition.after("1"), ShardPosition.after("2"));
    assertThat(page.children()).isEmpty();
    assertThat(reader.position()).isEqualTo(ShardPosition.after("2"));
    assertThat(kinesis.iteratorRequests)
        .singleElement()
        .satisfies(
            r -> assertThat(r.shardIteratorType()).isEqualTo(ShardIteratorType.TRIM_HORIZON));
  }

  @Test
  void aStreamGivenByArnIsNamedByNameAndArnInEveryRequest() {
    String arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/s";
    Map<String, String> props = new HashMap<>();
    props.put("kinesis.stream", arn);
    props.put("topic", "t");
    props.put("start_offset", "-2");
    KinesisSourceConfig config = new KinesisSourceConfig(props);
    ShardReader reader =
        new ShardReader(SHARD, null, false, kinesis, config, new Deaggregator(config), metrics);
    kinesis.getRecords.add(() -> page("it-2", 5, record("1", "a")));
    reader.read(NOW);
    reader.read(NOW + 1000);
    ShardReader resumed =
        new ShardReader(
            SHARD,
            ShardPosition.after("1"),
            false,
            kinesis,
            config,
            new Deaggregator(config),
            metrics);
    resumed.read(NOW);

    assertThat(kinesis.iteratorRequests)
        .hasSize(2)
        .allSatisfy(
            r -> {
              assertThat(r.streamName()).isEqualTo("s");
              assertThat(r.streamARN()).isEqualTo(arn);
            });
    assertThat(kinesis.recordsRequests)
        .hasSize(3)
        .allSatisfy(r -> assertThat(r.streamARN()).isEqualTo(arn));
  }

  @Test
  void theNextPageIsReadWithTheIteratorTheLastOneReturned() {
    ShardReader reader = reader("-2", SHARD, null);
    kinesis.getRecords.add(() -> page("it-2", 5, record("1", "a")));
    kinesis.getRecords.add(() -> page("it-3", 5, record("2", "b")));
    reader.read(NOW);
    reader.read(NOW + 1000);
    assertThat(kinesis.iteratorRequests).hasSize(1);
    assertThat(kinesis.recordsRequests)
        .extracting(r -> r.shardIterator())
        .containsExactly("iterator-1", "it-2");
    assertThat(kinesis.recordsRequests).allSatisfy(r -> assertThat(r.limit()).isEqualTo(10_000));
  }

  @Test
  void aSavedPositionResumesAfterItsSequenceNumberAndInsideAnAggregateAtIt() {
    reader("-1", SHARD, ShardPosition.after("41")).read(NOW);
    reader("-1", SHARD, ShardPosition.afterSubRecord("50", 1, false)).read(NOW);
    reader("-1", SHARD, ShardPosition.latestAt(Instant.ofEpochMilli(9_000))).read(NOW);
    assertThat(kinesis.iteratorRequests)
        .extracting(
            r -> r.shardIteratorType() + " " + r.startingSequenceNumber() + " " + r.timestamp())
        .containsExactly(
            "AFTER_SEQUENCE_NUMBER 41 null",
            "AT_SEQUENCE_NUMBER 50 null",
            "AT_TIMESTAMP null " + Instant.ofEpochMilli(9_000));
  }

  @Test
  void withoutAPositionStartOffsetDecidesAndAChildStartsAtItsBeginning() {
    reader("2026-01-31T12:00:00Z", SHARD, null).read(NOW);
    reader(Map.of(), "-1", new ShardInfo("child", List.of("parent"), false), null, true).read(NOW);
    assertThat(kinesis.iteratorRequests)
        .extracting(r -> r.shardId() + " " + r.shardIteratorType() + " " + r.timestamp())
        .containsExactly("shard-0 AT_TIMESTAMP 2026-01-31T12:00:00Z", "child TRIM_HORIZON null");
  }

  @Test
  void latestIsResolvedToAnInstantWhoseMarkerComesBeforeTheRecords() {
    ShardReader reader = reader("-1", SHARD, null);
    kinesis.getRecords.add(() -> page("it-2", 0, record("7", "a")));
    Instant before = Instant.now();
    ShardReader.Page page = reader.read(NOW);
    assertThat(kinesis.iteratorRequests.get(0).shardIteratorType())
        .isEqualTo(ShardIteratorType.LATEST);
    assertThat(page.records()).hasSize(2);
    PositionedRecord.Marker marker = (PositionedRecord.Marker) page.records().get(0);
    assertThat(marker.event()).startsWith("LATEST resolved at ");
    assertThat(marker.position().latestResolvedAt()).isAfterOrEqualTo(before);
    assertThat(page.records().get(1).position()).isEqualTo(ShardPosition.after("7"));
  }

  @Test
  void aClosedShardStartedAtLatestIsFinishedWithoutAskingKinesis() {
    ShardReader reader = reader("-1", new ShardInfo("old", List.of(), true), null);
    ShardReader.Page page = reader.read(NOW);
    assertThat(sequences(page)).containsExactly("SHARD_END (closed before start at LATEST)");
    assertThat(reader.finished()).isTrue();
    assertThat(reader.position()).isEqualTo(ShardPosition.end(null));
    assertThat(kinesis.iteratorRequests).isEmpty();
    assertThat(kinesis.recordsRequests).isEmpty();
  }

  @Test
  void theShardsEndIsAMarkerAfterItsLastRecordsAndNamesTheChildren() {
    ShardReader reader = reader("-2", SHARD, null);
    ChildShard child = ChildShard.builder().shardId("c").parentShards("shard-0").build();
    kinesis.getRecords.add(
        () -> page(null, 0, record("9", "a")).toBuilder().childShards(child).build());
    ShardReader.Page page = reader.read(NOW);
    assertThat(sequences(page)).containsExactly("9", "SHARD_END");
    assertThat(page.records().get(1).position()).isEqualTo(ShardPosition.end("9"));
    assertThat(page.children()).containsExactly(child);
    assertThat(reader.finished()).isTrue();
  }

  @Test
  void aCaughtUpShardWaitsTheIdleWaitAndABusyOneOnlyTheCallInterval() {
    ShardReader idle = reader("-2", SHARD, null);
    kinesis.getRecords.add(() -> page("it-2", 0, record("1", "a")));
    idle.read(NOW);
    assertThat(idle.nextCallAtMs()).isEqualTo(NOW + 700);

    ShardReader busy = reader("-2", SHARD, null);
    kinesis.getRecords.add(() -> page("it-2", 5_000, record("1", "a")));
    busy.read(NOW);
    assertThat(busy.nextCallAtMs()).isEqualTo(NOW + ShardReader.MIN_CALL_INTERVAL_MS);
  }

  /** kinesalite always reports MillisBehindLatest 0: a full page must not pass for caught up. */
  @Test
  void aFullPageIsFollowedByTheNextCallAtOnceEvenAtMillisBehindZero() {
    ShardReader reader = reader(Map.of("batchsize", "2"), "-2", SHARD, null, false);
    kinesis.getRecords.add(() -> page("it-2", 0, record("1", "a"), record("2", "b")));
    reader.read(NOW);
    assertThat(reader.nextCallAtMs()).isEqualTo(NOW + ShardReader.MIN_CALL_INTERVAL_MS);
    kinesis.getRecords.add(() -> page("it-3", 0, record("3", "c")));
    reader.read(NOW + 1000);
    assertThat(reader.nextCallAtMs()).isEqualTo(NOW + 1000 + 700);
  }

  @Test
  void aLargePageIsFollowedByAPauseThatKeepsTheShardUnderTwoMebibytesPerSecond() {
    ShardReader reader = reader("-2", SHARD, null);
    String mebibyte = "x".repeat(1024 * 1024);
    kinesis.getRecords.add(() -> page("it-2", 5_000, record("1", mebibyte)));
    reader.read(NOW);
    assertThat(reader.nextCallAtMs()).isEqualTo(NOW + 500);
  }

  @Test
  void anExpiredIteratorIsRenewedAfterTheLastRecordRead() {
    ShardReader reader = reader("-2", SHARD, null);
    kinesis.getRecords.add(() -> page("it-2", 5, record("10", "a"), record("11", "b")));
    kinesis.getRecords.add(
        () -> {
          throw ExpiredIteratorException.builder().message("expired").build();
        });
    kinesis.getRecords.add(() -> page("it-4", 5, record("12", "c")));
    reader.read(NOW);
    ShardReader.Page expired = reader.read(NOW + 1000);
    assertThat(expired.records()).isEmpty();
    assertThat(reader.nextCallAtMs()).isEqualTo(NOW + 1000 + ShardReader.MIN_CALL_INTERVAL_MS);
    assertThat(sequences(reader.read(NOW + 2000))).containsExactly("12");
    assertThat(kinesis.iteratorRequests).hasSize(2);
    assertThat(kinesis.iteratorRequests.get(1).shardIteratorType())
        .isEqualTo(ShardIteratorType.AFTER_SEQUENCE_NUMBER);
    assertThat(kinesis.iteratorRequests.get(1).startingSequenceNumber()).isEqualTo("11");
  }

  @Test
  void throttlingAndTransientErrorsBackOffAndKeepThePosition() {
    List<RuntimeException> transients =
        List.of(
            ProvisionedThroughputExceededException.builder().message("slow down").build(),
            LimitExceededException.builder().message("too many").build(),
            (KinesisException)
                KinesisException.builder()
                    .statusCode(500)
                    .awsErrorDetails(AwsErrorDetails.builder().errorCode("InternalFailure").build())
                    .build(),
            SdkClientException.create("connection refused"));
    for (RuntimeException failure : transients) {
      ShardReader reader = reader("-2", SHARD, ShardPosition.after("3"));
      kinesis.getRecords.add(
          () -> {
            throw failure;
          });
      assertThat(reader.read(NOW).records()).as(failure.toString()).isEmpty();
      assertThat(reader.position()).isEqualTo(ShardPosition.after("3"));
      // At least the call interval, at most that plus the ceiling (max backoff 100 ms).
      assertThat(reader.nextCallAtMs())
          .as(failure.toString())
          .isBetween(NOW + ShardReader.MIN_CALL_INTERVAL_MS, NOW + 300);
    }
  }

  @Test
  void aLatestMarkerResolvedBeforeAThrottledCallIsStillHandedOver() {
    ShardReader reader = reader("-1", SHARD, null);
    kinesis.getRecords.add(
        () -> {
          throw ProvisionedThroughputExceededException.builder().message("slow down").build();
        });
    assertThat(reader.read(NOW).records())
        .singleElement()
        .isInstanceOf(PositionedRecord.Marker.class);
  }

  @Test
  void aVanishedStreamAndRefusedCredentialsFailTheRead() {
    ShardReader vanished = reader("-2", SHARD, null);
    kinesis.getRecords.add(
        () -> {
          throw ResourceNotFoundException.builder().message("Stream s not found").build();
        });
    assertThatThrownBy(() -> vanished.read(NOW))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("Kinesis stream s or shard shard-0 no longer exists");

    for (String code :
        List.of(
            "UnrecognizedClientException",
            "AccessDeniedException",
            "InvalidSignatureException",
            "ExpiredTokenException")) {
      ShardReader refused = reader("-2", SHARD, null);
      kinesis.getRecords.add(
          () -> {
            throw (KinesisException)
                KinesisException.builder()
                    .statusCode(400)
                    .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).build())
                    .build();
          });
      assertThatThrownBy(() -> refused.read(NOW))
          .as(code)
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("Kinesis refused the credentials (" + code + ")");
    }

    // A 403 without error details (a proxy's, say) is refused credentials too, not an NPE.
    ShardReader bare = reader("-2", SHARD, null);
    kinesis.getRecords.add(
        () -> {
          throw (KinesisException) KinesisException.builder().statusCode(403).build();
        });
    assertThatThrownBy(() -> bare.read(NOW))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("Kinesis refused the credentials (HTTP 403)");
  }

  @Test
  void anIteratorKinesisRefusesFailsForASavedPositionAndIsRetriedForAStart() {
    kinesis.iteratorFailure =
        InvalidArgumentException.builder().message("did not come from this stream").build();
    ShardReader saved = reader("-2", SHARD, ShardPosition.after("41"));
    assertThatThrownBy(() -> saved.read(NOW))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("refuses the saved position of shard shard-0 of s")
        .hasMessageContaining("did not come from this stream");

    ShardReader fresh = reader("-2", SHARD, null);
    assertThat(fresh.read(NOW).records()).isEmpty();
    assertThat(fresh.nextCallAtMs()).isGreaterThanOrEqualTo(NOW + ShardReader.MIN_CALL_INTERVAL_MS);
  }

  @Test
  void subRecordsOutsideTheShardAreDroppedAndCounted() throws Exception {
    BigInteger a = new KplAggregate.UserRecord("a", null, new byte[0]).hashKey();
    ShardInfo onlyA = new ShardInfo("shard-0", List.of(), false, new ShardInfo.HashKeyRange(a, a));
    ShardReader reader = reader("-2", onlyA, null);
    byte[] aggregate = new KplAggregates().add("a", "a1").add("b", "b1").build();
    kinesis.getRecords.add(
        () ->
            page(
                "it-2",
                5,
                Record.builder()
                    .sequenceNumber("100")
                    .partitionKey("agg")
                    .data(SdkBytes.fromByteArray(aggregate))
                    .build()));
    ShardReader.Page page = reader.read(NOW);
    assertThat(page.records())
        .singleElement()
        .satisfies(
            r ->
                assertThat(new String(((PositionedRecord.Data) r).value(), StandardCharsets.UTF_8))
                    .isEqualTo("a1"));
    assertThat(reader.position()).isEqualTo(ShardPosition.afterSubRecord("100", 1, true));
    assertThat(
            ManagementFactory.getPlatformMBeanServer()
                .getAttribute(
                    new ObjectName("kafka.connect:type=plugins,connector=shard-reader-test,task=0"),
                    KinesisTaskMetrics.OUTSIDE_SHARD_TOTAL))
        .isEqualTo(1.0);
  }
}
