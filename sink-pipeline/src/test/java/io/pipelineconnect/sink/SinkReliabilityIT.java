package io.pipelineconnect.sink;

import static io.pipelineconnect.sink.SinkTestSupport.awaitCount;
import static io.pipelineconnect.sink.SinkTestSupport.count;
import static io.pipelineconnect.sink.SinkTestSupport.execute;
import static io.pipelineconnect.sink.SinkTestSupport.rows;
import static io.pipelineconnect.sink.SinkTestSupport.sinkConfig;
import static io.pipelineconnect.sink.SinkTestSupport.withDeadLetterQueue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.testsupport.ConnectClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Ordinary operations and ordinary bad input that once lost, duplicated or skipped data without an
 * error: a refused row under errors.tolerance=none, REST offset changes naming some partitions, and
 * partitions without a saved offset opened by a second task.
 */
class SinkReliabilityIT {
  /** A worker as users run it: offsets committed every 60 s (the worker default), not every 1 s. */
  @RegisterExtension
  static final ConnectClusterExtension CONNECT =
      ConnectClusterExtension.configured(
          cluster -> cluster.workers(1).workerProperty("offset.flush.interval.ms", "60000"));

  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  private final List<PipelineSinkTask> directTasks = new ArrayList<>();
  private KafkaConnectCluster cluster;
  private PostgresServer server;
  private String db;

  @BeforeEach
  void freshDatabase() {
    cluster = CONNECT.cluster();
    server = PG.server();
    db = PG.createDatabase();
  }

  @AfterEach
  void stopDirectTasks() {
    directTasks.forEach(PipelineSinkTask::stop);
  }

  /**
   * 1,005 records on two partitions with batchsize 1,000: the last 5 fill no batch. With linger.ms
   * at five minutes they are committed as soon as the topics go quiet, neither after linger.ms nor
   * at the worker's first offset commit, 60 s after the task started.
   */
  @Test
  void aPartialBatchIsCommittedWhenTheTopicsGoQuietNotAfterLinger() throws Exception {
    execute(server, db, "CREATE TABLE tail_end (v text)");
    cluster.kafka().createTopic("tail-end-in", 2);
    for (int i = 0; i < 1005; i++) {
      cluster.kafka().produce("tail-end-in", i % 2, null, "v" + i);
    }
    Map<String, String> props = sinkConfig(cluster, server, db, "tail-end-in", "tail_end");
    props.put("tasks.max", "1");
    props.put("batchsize", "1000");
    props.put("linger.ms", "300000");
    cluster.connect().configureConnector("tail-end-sink", props);
    Awaitility.await("all 1,005 rows, well before linger.ms or the first offset commit")
        .atMost(Duration.ofSeconds(25))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> count(server, db, "SELECT count(*) FROM tail_end") == 1005);
  }

  /**
   * d0, d1, d2, a row the database refuses at offset 3, d4, d5, with the default tolerance: the
   * task fails and nothing at or after offset 3 is committed, now or after a restart, which stops
   * on the same record again.
   */
  @Test
  void withToleranceNoneARefusedRowFailsTheTaskAndNothingAtOrAfterItIsCommitted() throws Exception {
    execute(server, db, "CREATE TABLE strict (id int PRIMARY KEY, n int NOT NULL)");
    cluster.kafka().createTopic("strict-in", 1);
    for (String message : List.of("0\t0", "1\t1", "2\t2", "3\tnot-a-number", "4\t4", "5\t5")) {
      cluster.kafka().produce("strict-in", 0, null, message);
    }
    Map<String, String> props = sinkConfig(cluster, server, db, "strict-in", "strict");
    props.put("tasks.max", "1");
    cluster.connect().configureConnector("strict-sink", props);
    cluster
        .connect()
        .assertions()
        .assertConnectorIsRunningAndTasksHaveFailed("strict-sink", 1, "task did not fail");
    assertNothingCommittedFromOffset3();

    cluster.connect().restartConnectorAndTasks("strict-sink", false, true, false);
    Awaitility.await("the restarted task fails on offset 3 again")
        .atMost(Duration.ofSeconds(60))
        .until(() -> taskState("strict-sink").equals("FAILED") && traceNames("strict-in-0@3"));
    Awaitility.await("nothing at or after offset 3 committed")
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                count(server, db, "SELECT count(*) FROM strict WHERE id >= 3") == 0
                    && count(
                            server,
                            db,
                            "SELECT count(*) FROM pipeline_connect.sink_offsets"
                                + " WHERE next_offset > 3")
                        == 0);
    assertNothingCommittedFromOffset3();
  }

  private void assertNothingCommittedFromOffset3() throws Exception {
    assertThat(count(server, db, "SELECT count(*) FROM strict WHERE id >= 3")).isZero();
    assertThat(
            count(
                server,
                db,
                "SELECT count(*) FROM pipeline_connect.sink_offsets WHERE next_offset > 3"))
        .isZero();
  }

  /**
   * COPY FROM cannot write a table whose row-level security applies to the connecting role: the
   * task fails at start, naming the table, the role and the ways out, instead of retrying batches.
   */
  @Test
  void aTableWithRowLevelSecurityForTheSinksRoleFailsTheTaskAtStartWithTheFix() throws Exception {
    String role = db + "_rls";
    execute(
        server,
        db,
        "CREATE ROLE " + role + " LOGIN",
        "CREATE TABLE guarded (tenant text, v text)",
        "ALTER TABLE guarded ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY tenant_a ON guarded USING (tenant = 'a')",
        "GRANT INSERT, SELECT ON guarded TO " + role,
        "CREATE SCHEMA " + role + "_state AUTHORIZATION " + role);
    cluster.kafka().createTopic("rls-in", 1);
    Map<String, String> props = sinkConfig(cluster, server, db, "rls-in", "guarded");
    props.put("tasks.max", "1");
    props.put("connection.user", role);
    props.put("offsets.table", role + "_state.offsets");
    // Refused at creation, with the same fix the task gives.
    assertThatThrownBy(() -> cluster.connect().configureConnector("rls-sink", props))
        .hasMessageContaining("row-level security enabled for " + role)
        .hasMessageContaining("BYPASSRLS");

    // Row-level security enabled after the connector was created: the task refuses at start.
    execute(server, db, "ALTER TABLE guarded DISABLE ROW LEVEL SECURITY");
    cluster.connect().configureConnector("rls-sink", props);
    cluster
        .connect()
        .assertions()
        .assertConnectorAndAtLeastNumTasksAreRunning("rls-sink", 1, "task not running");
    cluster.connect().stopConnector("rls-sink");
    cluster.connect().assertions().assertConnectorIsStopped("rls-sink", "not stopped");
    execute(server, db, "ALTER TABLE guarded ENABLE ROW LEVEL SECURITY");
    cluster.kafka().produce("rls-in", 0, null, "a\tv1");
    cluster.connect().resumeConnector("rls-sink");
    cluster
        .connect()
        .assertions()
        .assertConnectorIsRunningAndTasksHaveFailed("rls-sink", 1, "task did not fail");
    String trace = cluster.connect().connectorStatus("rls-sink").tasks().get(0).trace();
    assertThat(trace).contains("row-level security enabled for " + role, "BYPASSRLS");
    assertThat(count(server, db, "SELECT count(*) FROM guarded")).isZero();
  }

  private String taskState(String connector) {
    List<ConnectorStateInfo.TaskState> tasks = cluster.connect().connectorStatus(connector).tasks();
    return tasks.isEmpty() ? "NONE" : tasks.get(0).state();
  }

  private boolean traceNames(String what) {
    String trace = cluster.connect().connectorStatus("strict-sink").tasks().get(0).trace();
    return trace != null && trace.contains(what);
  }

  /**
   * PATCH /offsets names partitions: a null deletes that partition's saved offset and no other, a
   * value sets it; DELETE clears them all.
   */
  @Test
  void offsetChangesThroughRestTouchOnlyThePartitionsTheyName() throws Exception {
    execute(server, db, "CREATE TABLE moved (v text)");
    cluster.kafka().createTopic("moved-in", 2);
    for (int i = 0; i < 10; i++) {
      cluster.kafka().produce("moved-in", i % 2, null, "v" + i);
    }
    Map<String, String> props = sinkConfig(cluster, server, db, "moved-in", "moved");
    props.put("tasks.max", "1");
    cluster.connect().configureConnector("moved-sink", props);
    awaitCount(server, db, "SELECT count(*) FROM moved", 10);
    awaitCount(
        server,
        db,
        "SELECT sum(next_offset) FROM pipeline_connect.sink_offsets WHERE connector = 'moved-sink'",
        10);
    cluster.connect().stopConnector("moved-sink");
    cluster.connect().assertions().assertConnectorIsStopped("moved-sink", "not stopped");

    Map<Integer, Long> one = new LinkedHashMap<>();
    one.put(0, null);
    cluster.connect().alterConnectorOffsets("moved-sink", offsets("moved-in", one));
    assertThat(savedOffsets("moved-sink")).containsExactly("moved-in|1|5");

    Map<Integer, Long> mix = new LinkedHashMap<>();
    mix.put(0, 2L);
    mix.put(1, null);
    cluster.connect().alterConnectorOffsets("moved-sink", offsets("moved-in", mix));
    assertThat(savedOffsets("moved-sink")).containsExactly("moved-in|0|2");

    cluster.connect().resetConnectorOffsets("moved-sink");
    assertThat(savedOffsets("moved-sink")).isEmpty();
  }

  private static ConnectorOffsets offsets(String topic, Map<Integer, Long> byPartition) {
    List<ConnectorOffset> offsets = new ArrayList<>();
    byPartition.forEach(
        (partition, offset) -> {
          Map<String, Object> position = new HashMap<>();
          position.put("kafka_topic", topic);
          position.put("kafka_partition", partition);
          offsets.add(
              new ConnectorOffset(
                  position, offset == null ? null : Map.of("kafka_offset", offset)));
        });
    return new ConnectorOffsets(offsets);
  }

  private List<String> savedOffsets(String connector) throws Exception {
    return rows(
        server,
        db,
        "SELECT topic, kafka_partition, next_offset FROM pipeline_connect.sink_offsets"
            + " WHERE connector = '"
            + connector
            + "' ORDER BY kafka_partition");
  }

  /**
   * start_offset=-1 and two tasks: whichever opens second, its partitions start at their end, not
   * at their beginning because the first task already saved offsets for its own partitions. Only a
   * partition added to the topic later starts at its beginning.
   */
  @Test
  void partitionsWithoutASavedOffsetStartAtTheEndWhicheverTaskOpensThem() throws Exception {
    execute(server, db, "CREATE TABLE tail (v text)");
    cluster.kafka().createTopic("tail-in", 2);
    for (int i = 0; i < 6; i++) {
      cluster.kafka().produce("tail-in", i % 2, null, "old" + i);
    }
    TopicPartition p0 = new TopicPartition("tail-in", 0);
    TopicPartition p1 = new TopicPartition("tail-in", 1);
    RecordingSinkTaskContext first = openDirectTask(p0);
    assertThat(first.rewinds).containsEntry(p0, 3L);
    RecordingSinkTaskContext second = openDirectTask(p1);
    assertThat(second.rewinds).containsEntry(p1, 3L);

    // A partition the topic gains afterwards starts at its beginning: none of it is skipped.
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
      admin.createPartitions(Map.of("tail-in", NewPartitions.increaseTo(3))).all().get();
    }
    TopicPartition p2 = new TopicPartition("tail-in", 2);
    cluster.kafka().produce("tail-in", 2, null, "new-partition");
    RecordingSinkTaskContext third = openDirectTask(p2);
    assertThat(third.rewinds).containsEntry(p2, 0L);
  }

  /**
   * A newline inside csv quotes is a second COPY line: the error's "line N" names the bad record
   * only when each record's lines are counted, not the records.
   */
  @Test
  void aCsvRecordSpanningLinesDoesNotShiftTheBlameToALaterRecord() throws Exception {
    execute(server, db, "CREATE TABLE quoted (id int, v text)");
    cluster.kafka().createTopic("quoted-in", 1);
    for (String message : List.of("0,first", "1,\"x\ny\"", "2,ok", "bad,z", "4,ok2")) {
      cluster.kafka().produce("quoted-in", 0, null, message);
    }
    Map<String, String> props = sinkConfig(cluster, server, db, "quoted-in", "quoted");
    props.put("tasks.max", "1");
    props.put("format", "csv");
    withDeadLetterQueue(props, "quoted-dlq");
    cluster.connect().configureConnector("quoted-sink", props);

    awaitCount(server, db, "SELECT count(*) FROM quoted", 4);
    assertThat(rows(server, db, "SELECT id, v FROM quoted ORDER BY id"))
        .containsExactly("0|first", "1|x\ny", "2|ok", "4|ok2");
    assertThat(deadValues("quoted-dlq", 1)).containsExactly("bad,z");
  }

  /**
   * In text format \\. is COPY's end-of-data marker and a trailing backslash escapes the line
   * break: either would end the COPY early or join two records. Both are bad records.
   */
  @Test
  void textMessagesThatWouldEndTheCopyOrJoinTheNextRowGoToTheDeadLetterQueue() throws Exception {
    execute(server, db, "CREATE TABLE escaped (id int, v text)");
    cluster.kafka().createTopic("escaped-in", 1);
    for (String message :
        List.of("0\tok", "1\tends\\.", "2\tok", "3\tlone\\", "4\tok", "5\t\\.x", "6\tlast")) {
      cluster.kafka().produce("escaped-in", 0, null, message);
    }
    Map<String, String> props = sinkConfig(cluster, server, db, "escaped-in", "escaped");
    props.put("tasks.max", "1");
    withDeadLetterQueue(props, "escaped-dlq");
    cluster.connect().configureConnector("escaped-sink", props);

    awaitCount(server, db, "SELECT count(*) FROM escaped", 4);
    assertThat(rows(server, db, "SELECT id, v FROM escaped ORDER BY id"))
        .containsExactly("0|ok", "2|ok", "4|ok", "6|last");
    assertThat(deadValues("escaped-dlq", 3))
        .containsExactlyInAnyOrder("1\tends\\.", "3\tlone\\", "5\t\\.x");
    cluster
        .connect()
        .assertions()
        .assertConnectorAndAtLeastNumTasksAreRunning("escaped-sink", 1, "task failed");
  }

  /**
   * Rows a trigger raises for, rows that break a key only together with an earlier row of the
   * batch, and rows a deferred constraint refuses at COMMIT (where no row is named) are each routed
   * to the DLQ; the rest is committed and the task keeps running.
   */
  @Test
  void triggerRaisesDuplicatesWithinABatchAndDeferredConstraintsIsolateTheirRows()
      throws Exception {
    execute(
        server,
        db,
        "CREATE TABLE guarded (id int PRIMARY KEY, v text,"
            + " code int UNIQUE DEFERRABLE INITIALLY DEFERRED)",
        "CREATE FUNCTION refuse_forbidden() RETURNS trigger LANGUAGE plpgsql AS $$"
            + " BEGIN IF NEW.v = 'forbidden' THEN RAISE EXCEPTION 'forbidden value'; END IF;"
            + " RETURN NEW; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON guarded FOR EACH ROW"
            + " EXECUTE FUNCTION refuse_forbidden()");
    cluster.kafka().createTopic("guarded-in", 1);
    for (String message :
        List.of(
            "1\ta\t1", "2\tforbidden\t2", "4\tb\t4", "5\tc\t4", "6\td\t6", "6\te\t7", "8\tf\t8")) {
      cluster.kafka().produce("guarded-in", 0, null, message);
    }
    Map<String, String> props = sinkConfig(cluster, server, db, "guarded-in", "guarded");
    props.put("tasks.max", "1");
    props.put("retry.backoff.ms", "100");
    withDeadLetterQueue(props, "guarded-dlq");
    cluster.connect().configureConnector("guarded-sink", props);

    awaitCount(server, db, "SELECT count(*) FROM guarded", 4);
    assertThat(rows(server, db, "SELECT id, v FROM guarded ORDER BY id"))
        .containsExactly("1|a", "4|b", "6|d", "8|f");
    assertThat(deadValues("guarded-dlq", 3))
        .containsExactlyInAnyOrder("2\tforbidden\t2", "5\tc\t4", "6\te\t7");
    awaitCount(
        server,
        db,
        "SELECT next_offset FROM pipeline_connect.sink_offsets WHERE connector = 'guarded-sink'",
        7);
    cluster
        .connect()
        .assertions()
        .assertConnectorAndAtLeastNumTasksAreRunning("guarded-sink", 1, "task failed");
  }

  private List<String> deadValues(String topic, int expected) {
    List<String> values = new ArrayList<>();
    cluster
        .kafka()
        .consume(expected, 60_000, topic)
        .forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
    return values;
  }

  /**
   * The sessions the connectors open carry the defaults that keep a half-open connection from
   * holding locks for hours, and a user's own settings win.
   */
  @Test
  void sessionsProbeIdleClientsAndBoundLockWaitsUnlessTheUserSaysOtherwise() throws Exception {
    Map<String, String> props = sinkConfig(cluster, server, db, "t", "unused");
    try (Connection connection = new PipelineSinkConfig(props).connection().open()) {
      assertThat(show(connection, "tcp_keepalives_idle")).isEqualTo("30");
      assertThat(show(connection, "tcp_keepalives_count")).isEqualTo("3");
      assertThat(show(connection, "lock_timeout")).isEqualTo("30s");
    }
    props.put("connection.properties.options", "-c lock_timeout=5000");
    try (Connection connection = new PipelineSinkConfig(props).connection().open()) {
      assertThat(show(connection, "lock_timeout")).isEqualTo("5s");
      assertThat(show(connection, "tcp_keepalives_count")).isNotEqualTo("3");
    }
  }

  private static String show(Connection connection, String setting) throws Exception {
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private RecordingSinkTaskContext openDirectTask(TopicPartition partition) {
    Map<String, String> props = sinkConfig(cluster, server, db, partition.topic(), "tail");
    props.put("name", "tail-sink");
    props.put("start_offset", "-1");
    RecordingSinkTaskContext context = new RecordingSinkTaskContext(props, Set.of(partition));
    PipelineSinkTask task = new PipelineSinkTask();
    task.initialize(context);
    task.start(props);
    directTasks.add(task);
    task.open(List.of(partition));
    return context;
  }
}
