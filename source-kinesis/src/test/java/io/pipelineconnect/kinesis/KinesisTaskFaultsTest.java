package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.SequenceNumberRange;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/** The task and the shard listing against a scripted Kinesis: faults kinesalite never shows. */
class KinesisTaskFaultsTest {
  private final FakeKinesis kinesis = new FakeKinesis();
  private final FakeTaskContext context = new FakeTaskContext();

  private final List<KinesisSourceTask> started = new ArrayList<>();

  @AfterEach
  void stopTasks() {
    started.forEach(KinesisSourceTask::stop);
  }

  private KinesisSourceTask startTask(String startOffset, ShardInfo... shards) {
    return startTask(Map.of(), startOffset, shards);
  }

  private KinesisSourceTask startTask(
      Map<String, String> extra, String startOffset, ShardInfo... shards) {
    Map<String, String> props = new HashMap<>(extra);
    props.put("kinesis.stream", "s");
    props.put("topic", "t");
    props.put("start_offset", startOffset);
    props.put("kinesis.max.backoff.ms", "100");
    props.put("kinesis.idle.wait.ms", "200");
    props.put(KinesisSourceConfig.TASK_SHARDS, ShardInfo.encodeAll(List.of(shards)));
    KinesisSourceTask task = new KinesisSourceTask(config -> kinesis);
    task.initialize(context);
    task.start(props);
    started.add(task);
    return task;
  }

  private static GetRecordsResponse records(String next, String... sequences) {
    List<Record> records = new ArrayList<>();
    for (String sequence : sequences) {
      records.add(
          Record.builder()
              .sequenceNumber(sequence)
              .partitionKey("k")
              .data(SdkBytes.fromUtf8String("v" + sequence))
              .approximateArrivalTimestamp(Instant.now())
              .build());
    }
    return GetRecordsResponse.builder()
        .records(records)
        .nextShardIterator(next)
        .millisBehindLatest(5L)
        .build();
  }

  private static List<SourceRecord> pollUntilRecords(KinesisSourceTask task) {
    List<SourceRecord> out = new ArrayList<>();
    Awaitility.await("records from the task")
        .atMost(java.time.Duration.ofSeconds(10))
        .until(
            () -> {
              List<SourceRecord> polled = task.poll();
              if (polled != null) {
                out.addAll(polled);
              }
              return !out.isEmpty();
            });
    return out;
  }

  @Test
  void positionsSavedForAnEarlierStreamOfTheSameNameFailTheTaskWithTheFix() {
    Map<String, Object> offset = new HashMap<>(ShardPosition.end("77").toOffset(1_000L));
    context.savedOffsets.put(ShardPosition.partition("s", "shard-0"), offset);
    KinesisSourceTask task =
        startTask(
            Map.of(KinesisSourceConfig.TASK_STREAM_CREATED, "2000"),
            "-2",
            new ShardInfo("shard-0", List.of(), false));
    assertThat(failureOf(task))
        .hasMessageContaining("was deleted and created again")
        .hasMessageContaining("DELETE /connectors/<name>/offsets");
    assertThat(kinesis.iteratorRequests).isEmpty();
  }

  @Test
  void positionsOfTheSameStreamAreStampedAndResumed() throws Exception {
    context.savedOffsets.put(
        ShardPosition.partition("s", "shard-0"), ShardPosition.after("41").toOffset(2_000L));
    KinesisSourceTask task =
        startTask(
            Map.of(KinesisSourceConfig.TASK_STREAM_CREATED, "2000"),
            "-2",
            new ShardInfo("shard-0", List.of(), false));
    kinesis.getRecords.add(() -> records("it-2", "42"));
    List<SourceRecord> records = pollUntilRecords(task);
    Map<String, ?> offset = records.get(0).sourceOffset();
    assertThat(offset.get("sequence")).isEqualTo("42");
    assertThat(offset.get("stream_created")).isEqualTo(2_000L);
    assertThat(kinesis.iteratorRequests.get(0).startingSequenceNumber()).isEqualTo("41");
  }

  @Test
  void aSavedSequenceNumberKinesisRefusesFailsTheTaskInsteadOfRetryingForever() {
    // An offset from before positions were stamped: only Kinesis can tell it is foreign.
    context.savedOffsets.put(
        ShardPosition.partition("s", "shard-0"), ShardPosition.after("41").toOffset());
    kinesis.iteratorFailure =
        software.amazon.awssdk.services.kinesis.model.InvalidArgumentException.builder()
            .message(
                "StartingSequenceNumber 41 ... is invalid because it did not come from this stream.")
            .build();
    KinesisSourceTask task = startTask("-2", new ShardInfo("shard-0", List.of(), false));
    assertThat(failureOf(task))
        .hasMessageContaining("refuses the saved position of shard shard-0")
        .hasMessageContaining("did not come from this stream");
  }

  @Test
  void throttlingBacksOffAndThenReads() throws Exception {
    KinesisSourceTask task = startTask("-2", new ShardInfo("shard-0", List.of(), false));
    kinesis.getRecords.add(
        () -> {
          throw ProvisionedThroughputExceededException.builder().message("slow down").build();
        });
    kinesis.getRecords.add(() -> records("it-2", "1", "2"));
    List<SourceRecord> records = pollUntilRecords(task);
    assertThat(records)
        .extracting(r -> (Object) r.sourceOffset().get("sequence"))
        .containsExactly("1", "2");
    assertThat(kinesis.iteratorRequests.get(0).shardIteratorType())
        .isEqualTo(ShardIteratorType.TRIM_HORIZON);
  }

  @Test
  void anExpiredIteratorIsReplacedAfterTheLastDeliveredSequenceNumber() throws Exception {
    KinesisSourceTask task = startTask("-2", new ShardInfo("shard-0", List.of(), false));
    kinesis.getRecords.add(() -> records("it-2", "10", "11"));
    kinesis.getRecords.add(
        () -> {
          throw ExpiredIteratorException.builder().message("expired").build();
        });
    kinesis.getRecords.add(() -> records("it-4", "12"));
    assertThat(pollUntilRecords(task)).hasSize(2);
    assertThat(pollUntilRecords(task))
        .extracting(r -> (Object) r.sourceOffset().get("sequence"))
        .containsExactly("12");
    assertThat(kinesis.iteratorRequests).hasSize(2);
    assertThat(kinesis.iteratorRequests.get(1).shardIteratorType())
        .isEqualTo(ShardIteratorType.AFTER_SEQUENCE_NUMBER);
    assertThat(kinesis.iteratorRequests.get(1).startingSequenceNumber()).isEqualTo("11");
  }

  @Test
  void aSavedPositionWinsAndAChildWaitsForItsParentsEnd() throws Exception {
    context.savedOffsets.put(
        ShardPosition.partition("s", "parent"), ShardPosition.after("41").toOffset());
    KinesisSourceTask task =
        startTask(
            "-1",
            new ShardInfo("parent", List.of(), true),
            new ShardInfo("child", List.of("parent"), false));
    kinesis.getRecords.add(() -> records(null, "42")); // the parent's last records, then its end
    List<SourceRecord> records = pollUntilRecords(task);
    assertThat(records).extracting(SourceRecord::topic).containsExactly("t", "t.kinesis-markers");
    assertThat(new HashMap<String, Object>(records.get(1).sourceOffset()))
        .containsEntry("shard_end", true)
        .containsEntry("sequence", "42");
    assertThat(kinesis.iteratorRequests.get(0).startingSequenceNumber()).isEqualTo("41");
    // Only now the child is read, from its beginning, whatever start_offset says.
    kinesis.getRecords.add(() -> records("c-2", "100"));
    assertThat(pollUntilRecords(task)).extracting(SourceRecord::topic).containsExactly("t");
    assertThat(kinesis.iteratorRequests.get(1).shardId()).isEqualTo("child");
    assertThat(kinesis.iteratorRequests.get(1).shardIteratorType())
        .isEqualTo(ShardIteratorType.TRIM_HORIZON);
  }

  @Test
  void aChildHandedOutWithoutItsEndedParentIsReadFromItsBeginning() throws Exception {
    context.savedOffsets.put(
        ShardPosition.partition("s", "parent"), ShardPosition.end("42").toOffset());
    // The connector left the ended parent out; its other child went to another task.
    KinesisSourceTask task = startTask("-1", new ShardInfo("child", List.of("parent"), false));
    kinesis.getRecords.add(() -> records("c-2", "100"));
    assertThat(pollUntilRecords(task)).extracting(SourceRecord::topic).containsExactly("t");
    assertThat(kinesis.iteratorRequests.get(0).shardId()).isEqualTo("child");
    assertThat(kinesis.iteratorRequests.get(0).shardIteratorType())
        .isEqualTo(ShardIteratorType.TRIM_HORIZON);
  }

  @Test
  void aShardWhoseParentWasNeverReadToItsEndStartsAtStartOffset() throws Exception {
    // A parent read only halfway (or expired unread) is no reason to read from the beginning.
    context.savedOffsets.put(
        ShardPosition.partition("s", "parent"), ShardPosition.after("41").toOffset());
    KinesisSourceTask task = startTask("-1", new ShardInfo("orphan", List.of("parent"), false));
    kinesis.getRecords.add(() -> records("o-2", "100"));
    assertThat(pollUntilRecords(task)).extracting(SourceRecord::topic).contains("t");
    assertThat(kinesis.iteratorRequests.get(0).shardIteratorType())
        .isEqualTo(ShardIteratorType.LATEST);
  }

  @Test
  void childShardsNamedAtShardEndAreReadWithoutWaitingForTheMonitor() throws Exception {
    context.savedOffsets.put(
        ShardPosition.partition("s", "parent"), ShardPosition.after("41").toOffset());
    context.savedOffsets.put(
        ShardPosition.partition("s", "split-b"), ShardPosition.after("207").toOffset());
    KinesisSourceTask task = startTask("-1", new ShardInfo("parent", List.of(), false));
    // The parent ends, split in two; a merge child also has a parent this task does not read.
    kinesis.getRecords.add(
        () ->
            records(null, "42").toBuilder()
                .childShards(
                    child("split-a", "parent"),
                    child("split-b", "parent"),
                    child("merged", "parent", "elsewhere"))
                .build());
    // The children are read in the order GetRecords named them.
    kinesis.getRecords.add(() -> records("a-2", "100"));
    kinesis.getRecords.add(() -> records("b-2", "208"));
    assertThat(pollUntilRecords(task))
        .extracting(SourceRecord::topic)
        .containsExactly("t", "t.kinesis-markers");

    List<SourceRecord> children = new ArrayList<>();
    Awaitility.await("records of both children")
        .atMost(java.time.Duration.ofSeconds(10))
        .until(
            () -> {
              List<SourceRecord> polled = task.poll();
              if (polled != null) {
                children.addAll(polled);
              }
              return children.size() >= 2;
            });
    assertThat(children)
        .extracting(r -> (Object) r.sourcePartition().get("shard"))
        .containsExactly("split-a", "split-b");
    // A new child from its beginning, one read before from after its saved sequence number;
    // the merge child is left to the connector, which sees both its parents.
    assertThat(kinesis.iteratorRequests)
        .extracting(r -> r.shardId() + " " + r.shardIteratorType())
        .containsExactly(
            "parent AFTER_SEQUENCE_NUMBER",
            "split-a TRIM_HORIZON",
            "split-b AFTER_SEQUENCE_NUMBER");
    assertThat(kinesis.iteratorRequests.get(2).startingSequenceNumber()).isEqualTo("207");
  }

  private static ChildShard child(String id, String... parents) {
    return ChildShard.builder().shardId(id).parentShards(parents).build();
  }

  @Test
  void aShardIsReadAtNoMoreThanTwoMebibytesPerSecond() {
    assertThat(ShardReader.readPause(0)).isZero();
    assertThat(ShardReader.readPause(1024 * 1024)).isEqualTo(500);
    // Kinesis: after a GetRecords call that returned 10 MB, none for 5 seconds.
    assertThat(ShardReader.readPause(10L * 1024 * 1024)).isEqualTo(5000);
  }

  @Test
  void latestIsResolvedAndSavedThroughAMarker() throws Exception {
    KinesisSourceTask task = startTask("-1", new ShardInfo("shard-0", List.of(), false));
    List<SourceRecord> records = pollUntilRecords(task);
    assertThat(records)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.topic()).isEqualTo("t.kinesis-markers");
              assertThat(new HashMap<String, Object>(r.sourceOffset())).containsKey("latest_at");
            });
    assertThat(kinesis.iteratorRequests.get(0).shardIteratorType())
        .isEqualTo(ShardIteratorType.LATEST);
  }

  @Test
  void badCredentialsAndAMissingStreamFailLoudly() {
    KinesisSourceTask task = startTask("-2", new ShardInfo("shard-0", List.of(), false));
    kinesis.getRecords.add(
        () -> {
          throw (KinesisException)
              KinesisException.builder()
                  .statusCode(400)
                  .awsErrorDetails(
                      AwsErrorDetails.builder().errorCode("UnrecognizedClientException").build())
                  .build();
        });
    assertThat(failureOf(task))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("credentials");
    task.stop();

    KinesisSourceTask another = startTask("-2", new ShardInfo("shard-0", List.of(), false));
    kinesis.getRecords.add(
        () -> {
          throw ResourceNotFoundException.builder().message("Stream s not found").build();
        });
    assertThat(failureOf(another))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("no longer exists");
    // The failure stays: every later poll throws it, none returns as if all were well.
    assertThatThrownBy(another::poll).isInstanceOf(ConnectException.class);
  }

  /** Polls until the task fails; returns what poll() threw. */
  private static Throwable failureOf(KinesisSourceTask task) {
    Throwable[] failure = new Throwable[1];
    Awaitility.await("the task's failure")
        .atMost(java.time.Duration.ofSeconds(10))
        .until(
            () -> {
              try {
                task.poll();
                return false;
              } catch (RuntimeException e) {
                failure[0] = e;
                return true;
              }
            });
    return failure[0];
  }

  @Test
  void listShardsFollowsNextTokenPagesWithoutTheStreamName() {
    kinesis.listShards.add(
        () ->
            ListShardsResponse.builder()
                .shards(
                    Shard.builder()
                        .shardId("a")
                        .sequenceNumberRange(
                            SequenceNumberRange.builder()
                                .startingSequenceNumber("1")
                                .endingSequenceNumber("9")
                                .build())
                        .build())
                .nextToken("page-2")
                .build());
    kinesis.listShards.add(
        () ->
            ListShardsResponse.builder()
                .shards(
                    Shard.builder()
                        .shardId("b")
                        .parentShardId("a")
                        .sequenceNumberRange(
                            SequenceNumberRange.builder().startingSequenceNumber("10").build())
                        .build())
                .build());
    String arn = "arn:aws:kinesis:us-east-1:123456789012:stream/s";
    List<ShardInfo> shards = ShardLister.list(kinesis, StreamRef.parse(arn));
    assertThat(shards)
        .containsExactly(
            new ShardInfo("a", List.of(), true), new ShardInfo("b", List.of("a"), false));
    assertThat(kinesis.listRequests.get(0).streamName()).isEqualTo("s");
    assertThat(kinesis.listRequests.get(0).streamARN()).isEqualTo(arn);
    assertThat(kinesis.listRequests.get(1).streamName()).isNull();
    assertThat(kinesis.listRequests.get(1).streamARN()).isNull();
    assertThat(kinesis.listRequests.get(1).nextToken()).isEqualTo("page-2");
  }
}
