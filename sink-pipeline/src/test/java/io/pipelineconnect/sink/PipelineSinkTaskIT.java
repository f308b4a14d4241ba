package io.pipelineconnect.sink;

import static io.pipelineconnect.sink.SinkTestSupport.count;
import static io.pipelineconnect.sink.SinkTestSupport.execute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The task driven directly (as WorkerSinkTask would) against a real PostgreSQL, for the cases a
 * Connect cluster cannot stage on demand: a zombie task writing partitions it lost, and the
 * database going away mid-batch.
 */
class PipelineSinkTaskIT {
  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();
  private static final TopicPartition P0 = new TopicPartition("t", 0);

  private final List<PipelineSinkTask> tasks = new ArrayList<>();
  private PostgresServer server;
  private String db;

  @BeforeEach
  void table() throws Exception {
    server = PG.server();
    db = PG.createDatabase();
    execute(server, db, "CREATE TABLE rows (id int, v text)");
  }

  @AfterEach
  void stopTasks() {
    tasks.forEach(PipelineSinkTask::stop);
  }

  private Map<String, String> config() {
    Map<String, String> props = new HashMap<>();
    props.put("name", "direct");
    props.put("connection.url", server.jdbcUrl(db));
    props.put("connection.user", server.user());
    props.put("stream", "rows");
    props.put("start_offset", "-2");
    props.put("batchsize", "1000");
    props.put("linger.ms", "600000");
    props.put("retry.backoff.ms", "10");
    return props;
  }

  private RecordingSinkTaskContext startTask(PipelineSinkTask task) {
    return startTask(task, config());
  }

  private RecordingSinkTaskContext startTask(PipelineSinkTask task, Map<String, String> props) {
    RecordingSinkTaskContext context = new RecordingSinkTaskContext(props, Set.of(P0));
    task.initialize(context);
    task.start(props);
    task.open(List.of(P0));
    tasks.add(task);
    return context;
  }

  private static List<SinkRecord> records(int from, int to) {
    List<SinkRecord> records = new ArrayList<>();
    for (int i = from; i < to; i++) {
      byte[] value = (i + "\tv" + i).getBytes(StandardCharsets.UTF_8);
      records.add(new SinkRecord("t", 0, null, null, null, value, i));
    }
    return records;
  }

  @Test
  void rowsCyclesAndBadRecordsShowInTheWorkersPluginMetrics() {
    Metrics worker = new Metrics();
    Map<String, String> taskTags = Map.of("connector", "direct", "task", "0");
    RecordingSinkTaskContext context = new RecordingSinkTaskContext(config(), Set.of(P0));
    context.pluginMetrics = new PluginMetricsImpl(worker, taskTags);
    List<SinkRecord> reported = new ArrayList<>();
    context.reporter =
        (record, error) -> {
          reported.add(record);
          return CompletableFuture.completedFuture(null);
        };
    PipelineSinkTask task = new PipelineSinkTask();
    task.initialize(context);
    task.start(config());
    task.open(List.of(P0));
    tasks.add(task);

    task.put(records(0, 10));
    task.put(List.of());
    List<SinkRecord> withBadRow = records(10, 15);
    withBadRow.set(2, new SinkRecord("t", 0, null, null, null, "not-a-number\tx".getBytes(), 12));
    task.put(withBadRow);
    task.put(List.of());

    assertThat(reported).extracting(SinkRecord::kafkaOffset).containsExactly(12L);
    assertThat(metric(worker, taskTags, SinkTaskMetrics.ROWS_TOTAL)).isEqualTo(14.0);
    assertThat(metric(worker, taskTags, SinkTaskMetrics.BATCHES_TOTAL)).isEqualTo(2.0);
    assertThat(metric(worker, taskTags, SinkTaskMetrics.BAD_RECORDS_TOTAL)).isEqualTo(1.0);
    assertThat((Double) metric(worker, taskTags, SinkTaskMetrics.BATCH_TIME_MAX)).isPositive();
    assertThat((Double) metric(worker, taskTags, SinkTaskMetrics.ROWS_RATE)).isPositive();
    worker.close();
  }

  private static Object metric(Metrics worker, Map<String, String> tags, String name) {
    return worker.metric(new MetricName(name, "plugins", "", tags)).metricValue();
  }

  @Test
  void aZombieTaskBacksOffInsteadOfWritingTwice() {
    PipelineSinkTask owner = new PipelineSinkTask();
    PipelineSinkTask zombie = new PipelineSinkTask();
    startTask(owner);
    RecordingSinkTaskContext zombieContext = startTask(zombie);
    zombieContext.rewinds.clear();

    owner.put(records(0, 10));
    owner.put(List.of()); // quiet topic: flush
    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(10);

    // The zombie still believes offset 0 is where the table stands, and writes records again.
    zombie.put(records(0, 8));
    zombie.put(List.of());
    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(10);
    assertThat(zombieContext.rewinds).containsEntry(P0, 10L);

    // Rewound, it continues from where the table stands.
    zombie.put(records(10, 15));
    zombie.put(List.of());
    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(15);
    assertThat(count(server, db, "SELECT count(DISTINCT id) FROM rows")).isEqualTo(15);
    assertThat(zombie.preCommit(Map.of(P0, new OffsetAndMetadata(15))))
        .containsEntry(P0, new OffsetAndMetadata(15));
  }

  @Test
  void aBatchFoundAlreadyCommittedIsNotWrittenAgain() {
    PipelineSinkTask first = new PipelineSinkTask();
    PipelineSinkTask second = new PipelineSinkTask();
    startTask(first);
    startTask(second);
    first.put(records(0, 10));
    first.put(List.of());
    // As after a COMMIT whose answer was lost: the same batch, and the table already has it.
    second.put(records(0, 10));
    second.put(List.of());
    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(10);
  }

  @Test
  void aDatabaseOutageIsRetriedAndRedeliveredRecordsAreWrittenOnce() {
    PipelineSinkTask task = new PipelineSinkTask();
    RecordingSinkTaskContext context = startTask(task);
    task.put(records(0, 10));

    server.stop();
    try {
      assertThatThrownBy(() -> task.put(List.of())).isInstanceOf(RetriableException.class);
      assertThat(context.timeout).isPositive();
      // Connect redelivers; records already buffered are not taken twice, new ones are buffered
      // without touching the database, and the next flush fails again while it is down.
      task.put(records(5, 12));
      assertThatThrownBy(() -> task.put(List.of())).isInstanceOf(RetriableException.class);
    } finally {
      server.start();
    }
    task.put(records(5, 12));
    task.put(List.of());

    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(12);
    assertThat(count(server, db, "SELECT count(DISTINCT id) FROM rows")).isEqualTo(12);
    assertThat(count(server, db, "SELECT next_offset FROM pipeline_connect.sink_offsets"))
        .isEqualTo(12);
  }

  /**
   * A batch that fills at the end of a put() is written while put() returns: preCommit() waits for
   * it and reports it; with the database down, the next put() raises the failure as a retriable
   * one, the batch stays buffered, and the redelivery writes every row once.
   */
  @Test
  void aBatchFullAtTheEndOfAPutIsWrittenBehindPutAndItsFailureRaisedByTheNextPut() {
    Map<String, String> props = config();
    props.put("batchsize", "10");
    RecordingSinkTaskContext context = new RecordingSinkTaskContext(props, Set.of(P0));
    PipelineSinkTask task = new PipelineSinkTask();
    task.initialize(context);
    task.start(props);
    task.open(List.of(P0));
    tasks.add(task);

    task.put(records(0, 10));
    assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(10))))
        .containsEntry(P0, new OffsetAndMetadata(10));
    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(10);

    server.stop();
    try {
      task.put(records(10, 20)); // full at its end: written behind put(), against a dead server
      assertThatThrownBy(() -> task.put(List.of())).isInstanceOf(RetriableException.class);
      assertThat(context.timeout).isPositive();
    } finally {
      server.start();
    }
    task.put(records(10, 20)); // redelivered: already buffered
    task.put(List.of());

    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(20);
    assertThat(count(server, db, "SELECT count(DISTINCT id) FROM rows")).isEqualTo(20);
    assertThat(count(server, db, "SELECT next_offset FROM pipeline_connect.sink_offsets"))
        .isEqualTo(20);
  }

  /**
   * A batch written on the writer thread finds that another writer moved its partition. The worker
   * reads the rewinds a task asks for without synchronization, on its own thread, so the rewind is
   * asked for when the task thread next waits for the batch (preCommit, here), and the records
   * Connect delivers after the seek are written from the new position.
   */
  @Test
  void aRewindFoundByABatchWrittenInTheBackgroundIsAskedForOnTheTaskThread() {
    Map<String, String> props = config();
    props.put("batchsize", "10");
    PipelineSinkTask owner = new PipelineSinkTask();
    PipelineSinkTask zombie = new PipelineSinkTask();
    startTask(owner, props);
    RecordingSinkTaskContext zombieContext = startTask(zombie, props);
    owner.put(records(0, 5));
    owner.put(List.of());
    zombieContext.rewinds.clear();

    zombie.put(records(0, 10)); // full at its end: written behind put(), and fenced
    assertThat(zombie.preCommit(Map.of(P0, new OffsetAndMetadata(10))))
        .containsEntry(P0, new OffsetAndMetadata(5));
    assertThat(zombieContext.rewinds).containsEntry(P0, 5L);
    assertThat(zombieContext.rewindingThreads)
        .as("asked on the task's own thread, not the batch writer's")
        .containsOnly(Thread.currentThread().getName());
    // After the seek, as Connect delivers them.
    zombie.put(records(5, 20));
    zombie.put(List.of());

    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(20);
    assertThat(count(server, db, "SELECT count(DISTINCT id) FROM rows")).isEqualTo(20);
  }

  @Test
  void aFenceFoundWhilePartitionsMoveAsksForNoSeekOfAPartitionThatLeaves() {
    PipelineSinkTask owner = new PipelineSinkTask();
    PipelineSinkTask zombie = new PipelineSinkTask();
    startTask(owner);
    RecordingSinkTaskContext zombieContext = startTask(zombie);
    owner.put(records(0, 5));
    owner.put(List.of());
    zombie.put(records(0, 3)); // buffered: written when its partition is revoked, and fenced
    zombieContext.rewinds.clear();

    zombie.close(List.of(P0));

    // The worker would seek P0 after the rebalance, which the consumer refuses for a partition
    // it no longer has: the task would fail.
    assertThat(zombieContext.rewinds).isEmpty();
    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(5);
    assertThat(count(server, db, "SELECT count(DISTINCT id) FROM rows")).isEqualTo(5);
  }

  @Test
  void rowsStreamedIntoACopyThatBreaksAreWrittenAfterTheRetry() throws Exception {
    PipelineSinkTask task = new PipelineSinkTask();
    startTask(task);
    task.put(records(0, 10)); // streamed into an open COPY, not committed

    execute(
        server,
        db,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE datname = current_database() AND pid <> pg_backend_pid()");
    task.put(records(10, 20)); // the send fails; the rows stay buffered
    assertThatThrownBy(() -> task.put(List.of())).isInstanceOf(RetriableException.class);
    task.put(List.of());

    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(20);
    assertThat(count(server, db, "SELECT count(DISTINCT id) FROM rows")).isEqualTo(20);
  }

  @Test
  void rowsStreamedInATransactionThatDiesBeforeCommitAreWrittenAgain() throws Exception {
    PipelineSinkTask task = new PipelineSinkTask();
    startTask(task);
    // The first offsets update after the rows were streamed kills its own connection, once:
    // the streamed COPY had succeeded, so only a reset of what it marked written saves the rows.
    execute(
        server,
        db,
        "CREATE SEQUENCE kill_once;"
            + " CREATE FUNCTION kill_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " IF nextval('kill_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid());"
            + " END IF; RETURN NEW; END $$;"
            + " CREATE TRIGGER kill_once BEFORE INSERT OR UPDATE ON pipeline_connect.sink_offsets"
            + " FOR EACH ROW EXECUTE FUNCTION kill_once()");
    task.put(records(0, 10));
    assertThatThrownBy(() -> task.put(List.of())).isInstanceOf(RetriableException.class);
    assertThat(count(server, db, "SELECT count(*) FROM rows")).isZero();
    task.put(List.of());

    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(10);
    assertThat(count(server, db, "SELECT count(DISTINCT id) FROM rows")).isEqualTo(10);
  }

  @Test
  void interleavedPartitionsWithBatchesEndingMidPutAreWrittenOnceAcrossARedelivery() {
    TopicPartition p1 = new TopicPartition("t", 1);
    Map<String, String> props = config();
    props.put("batchsize", "4");
    RecordingSinkTaskContext context = new RecordingSinkTaskContext(props, Set.of(P0, p1));
    PipelineSinkTask task = new PipelineSinkTask();
    task.initialize(context);
    task.start(props);
    task.open(List.of(P0, p1));
    tasks.add(task);

    // Runs of one partition, as a consumer hands them over; batches of 4 end inside runs.
    task.put(runs(new int[][] {{0, 0, 3}, {1, 0, 3}, {0, 3, 5}, {1, 3, 4}}));
    // Down while a batch fills up in the middle of a run: the flush there fails.
    List<SinkRecord> next = runs(new int[][] {{0, 5, 7}, {1, 4, 6}});
    server.stop();
    try {
      assertThatThrownBy(() -> task.put(next)).isInstanceOf(RetriableException.class);
    } finally {
      server.start();
    }
    // Connect redelivers the same records; then older ones, as after a rewind.
    task.put(next);
    task.put(runs(new int[][] {{1, 0, 4}, {0, 0, 5}}));
    task.put(List.of());

    assertThat(count(server, db, "SELECT count(*) FROM rows")).isEqualTo(13);
    assertThat(count(server, db, "SELECT count(DISTINCT id) FROM rows")).isEqualTo(13);
    assertThat(
            task.preCommit(
                Map.of(
                    P0, new OffsetAndMetadata(0),
                    p1, new OffsetAndMetadata(0))))
        .containsEntry(P0, new OffsetAndMetadata(7))
        .containsEntry(p1, new OffsetAndMetadata(6));
  }

  /** Records of partition {@code run[0]}, offsets {@code run[1]} to {@code run[2]}, per run. */
  private static List<SinkRecord> runs(int[][] runs) {
    List<SinkRecord> records = new ArrayList<>();
    for (int[] run : runs) {
      for (int offset = run[1]; offset < run[2]; offset++) {
        int id = run[0] * 100 + offset;
        byte[] value = (id + "\tv" + id).getBytes(StandardCharsets.UTF_8);
        records.add(new SinkRecord("t", run[0], null, null, null, value, offset));
      }
    }
    return records;
  }

  @Test
  void nonFiniteDoublesLandInNumericColumnsInBinaryFormat() throws Exception {
    execute(server, db, "CREATE TABLE measures (id int, amount numeric)");
    Map<String, String> props = config();
    props.put("stream", "measures");
    props.put("format", "binary");
    RecordingSinkTaskContext context = new RecordingSinkTaskContext(props, Set.of(P0));
    PipelineSinkTask task = new PipelineSinkTask();
    task.initialize(context);
    task.start(props);
    task.open(List.of(P0));
    tasks.add(task);
    org.apache.kafka.connect.data.Schema schema =
        org.apache.kafka.connect.data.SchemaBuilder.struct()
            .field("id", org.apache.kafka.connect.data.Schema.INT32_SCHEMA)
            .field("amount", org.apache.kafka.connect.data.Schema.FLOAT64_SCHEMA)
            .build();
    double[] amounts = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 2.5};
    List<SinkRecord> records = new ArrayList<>();
    for (int i = 0; i < amounts.length; i++) {
      org.apache.kafka.connect.data.Struct value =
          new org.apache.kafka.connect.data.Struct(schema).put("id", i).put("amount", amounts[i]);
      records.add(new SinkRecord("t", 0, null, null, schema, value, i));
    }
    task.put(records);
    task.put(List.of());

    assertThat(SinkTestSupport.rows(server, db, "SELECT id, amount FROM measures ORDER BY id"))
        .containsExactly("0|NaN", "1|Infinity", "2|-Infinity", "3|2.5");
  }

  @Test
  void preCommitReportsOnlyWhatTheDatabaseHolds() {
    PipelineSinkTask task = new PipelineSinkTask();
    startTask(task);
    task.put(records(0, 5));
    var current = Map.of(P0, new OffsetAndMetadata(5));
    assertThat(task.preCommit(current)).containsEntry(P0, new OffsetAndMetadata(0));
    task.put(List.of());
    assertThat(task.preCommit(current)).containsEntry(P0, new OffsetAndMetadata(5));
  }
}
