package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.testsupport.CapturedLog;
import io.pipelineconnect.testsupport.ConnectClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The emitter through a real Connect cluster (two workers) from a real PostgreSQL. */
class EmitterSourceIT {
  @RegisterExtension
  static final ConnectClusterExtension CONNECT = ConnectClusterExtension.withWorkers(2);

  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  private KafkaConnectCluster cluster;
  private PostgresServer server;
  private String db;

  @BeforeEach
  void fresh() {
    cluster = CONNECT.cluster();
    server = PG.server();
    db = PG.createDatabase();
  }

  private Map<String, String> emitterConfig() {
    Map<String, String> props = EmitterTestConfigs.emitter(server.jdbcUrl(db), server.user(), 2);
    return props;
  }

  private void startEmitter(String name, Map<String, String> props) throws InterruptedException {
    cluster.connect().configureConnector(name, props);
    cluster
        .connect()
        .assertions()
        .assertConnectorAndAtLeastNumTasksAreRunning(name, 1, "not running");
  }

  private void sql(String... statements) throws SQLException {
    server.execute(db, statements);
  }

  private long outboxSize() {
    return count("SELECT count(*) FROM pipeline_kafka.outbox");
  }

  private long count(String sql) {
    return server.queryLong(db, sql);
  }

  /** Waits until the connector has installed the outbox in the schema. */
  private void awaitOutboxInstalled(String schema) {
    Awaitility.await("the outbox installed in " + schema)
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> count("SELECT count(*) FROM " + schema + ".outbox") == 0);
  }

  /** The topic's values, once it holds any; each look reads the topic from its start. */
  private List<String> awaitValues(String topic) {
    List<String> values = new ArrayList<>();
    Awaitility.await("messages in " + topic)
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              values.clear();
              cluster.kafka().consumeAll(5_000, topic).forEach(r -> values.add(text(r.value())));
              return !values.isEmpty();
            });
    return values;
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void messagesArriveWithTopicPartitionAndKeyOnlyWhenCommitted() throws Exception {
    cluster.kafka().createTopic("greetings", 3);
    startEmitter("emit-basic", emitterConfig());
    sql(
        "SELECT pipeline_kafka.produce_message('greetings', 'hello'::bytea, 2, 'k'::bytea)",
        "BEGIN; SELECT pipeline_kafka.produce_message('greetings', 'rolled back'::bytea); ROLLBACK",
        "SELECT pipeline_kafka.produce_message('greetings', 'any partition'::bytea)",
        "CREATE TABLE users (id int PRIMARY KEY, name text)",
        "CREATE TRIGGER emit AFTER INSERT OR UPDATE ON users FOR EACH ROW"
            + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('greetings', '1', 'id')",
        "INSERT INTO users VALUES (1, 'ann')",
        "UPDATE users SET name = 'bob'");

    ConsumerRecords<byte[], byte[]> records = cluster.kafka().consume(4, 60_000, "greetings");
    List<String> seen = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      seen.add(record.partition() + "|" + text(record.key()) + "|" + text(record.value()));
    }
    assertThat(seen)
        .hasSize(4)
        .contains("2|k|hello", "1|1|{\"id\":1,\"name\":\"ann\"}", "1|1|{\"id\":1,\"name\":\"bob\"}")
        .anyMatch(s -> s.endsWith("|null|any partition"))
        .noneMatch(s -> s.contains("rolled back"));
    // Once Connect has committed the offsets, the relayed messages leave the outbox.
    Awaitility.await("outbox emptied")
        .atMost(Duration.ofSeconds(60))
        .until(() -> outboxSize() == 0);
  }

  /**
   * With a poll interval of ten minutes, only a NOTIFY can bring these messages within the minute:
   * the relay listens once the outbox has been quiet for a second (at the start, and again after a
   * burst, during which it polls instead).
   */
  @Test
  void aQuietRelayIsWokenByNotify() throws Exception {
    cluster.kafka().createTopic("woken", 1);
    Map<String, String> props = emitterConfig();
    props.put("emitter.notify", "true");
    props.put("emitter.poll.interval.ms", "600000");
    startEmitter("emit-woken", props);
    awaitRelaysWaitingForNotify(2);
    sql("SELECT pipeline_kafka.produce_message('woken', 'first'::bytea)");
    assertThat(cluster.kafka().consume(1, 60_000, "woken")).hasSize(1);
    for (int i = 0; i < 20; i++) {
      sql("SELECT pipeline_kafka.produce_message('woken', 'burst'::bytea)");
    }
    assertThat(cluster.kafka().consume(21, 60_000, "woken")).hasSize(21);
    awaitRelaysWaitingForNotify(2);
    sql("SELECT pipeline_kafka.produce_message('woken', 'after a pause'::bytea)");
    List<String> values = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : cluster.kafka().consume(22, 60_000, "woken")) {
      values.add(text(record.value()));
    }
    assertThat(values).hasSize(22).startsWith("first").endsWith("after a pause");
  }

  /**
   * By default there is no NOTIFY (it serializes the database's commits) and a quiet relay looks at
   * the outbox every poll interval with a read-only probe: it claims, drawing a batch number and
   * locking rows, only what the probe found. Twenty looks at an empty outbox draw no batch number;
   * a message still arrives, and its claim draws one.
   */
  @Test
  void aQuietRelayLooksWithoutWritingAndStillRelaysPromptly() throws Exception {
    cluster.kafka().createTopic("probed", 1);
    Map<String, String> props = emitterConfig();
    props.put("emitter.poll.interval.ms", "50");
    startEmitter("emit-probed", props);
    awaitOutboxInstalled("pipeline_kafka");
    sql("SELECT pipeline_kafka.produce_message('probed', 'first'::bytea)");
    assertThat(cluster.kafka().consume(1, 60_000, "probed")).hasSize(1);
    // A second of an empty outbox holds some 20 looks by each of the 2 tasks: none may draw a
    // batch number (a look that claimed would move the sequence, and it would not move back).
    long batchesBefore = count("SELECT last_value FROM pipeline_kafka.outbox_batch_seq");
    Awaitility.await("no relay batch drawn while the outbox was empty")
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> count("SELECT last_value FROM pipeline_kafka.outbox_batch_seq") == batchesBefore);
    sql("SELECT pipeline_kafka.produce_message('probed', 'second'::bytea)");
    assertThat(cluster.kafka().consume(2, 60_000, "probed")).hasSize(2);
    assertThat(count("SELECT last_value FROM pipeline_kafka.outbox_batch_seq"))
        .isGreaterThan(batchesBefore);
  }

  /**
   * Waits until each relay session (one holding bucket locks) has sent no query for over a second:
   * while messages come it claims every few milliseconds, so such a relay is waiting for a NOTIFY.
   */
  private void awaitRelaysWaitingForNotify(int relays) {
    Awaitility.await("relays waiting for a NOTIFY")
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                count(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                            + " AND state = 'idle' AND now() - state_change > interval '1 second'"
                            + " AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory')")
                    == relays);
  }

  /**
   * The interleaving that breaks an xid-horizon relay: T2 (older xid) writes elsewhere, T0 stays
   * open, T1 updates r and commits, T2 then updates r and commits, T0 commits last. Kafka must end
   * on T2's version of r.
   */
  @Test
  void updatesOfOneRowArriveInCommitOrderAcrossOverlappingTransactions() throws Exception {
    cluster.kafka().createTopic("rows", 1);
    startEmitter("emit-order", emitterConfig());
    sql(
        "CREATE TABLE r (id int PRIMARY KEY, version int)",
        "CREATE TABLE elsewhere (n int)",
        "INSERT INTO r VALUES (1, 0)",
        "CREATE TRIGGER emit AFTER INSERT OR UPDATE ON r FOR EACH ROW"
            + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('rows', '-1', 'id')",
        "CREATE TRIGGER emit AFTER INSERT ON elsewhere FOR EACH ROW"
            + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('rows')");

    try (Connection t2 = server.connect(db);
        Connection t0 = server.connect(db);
        Connection t1 = server.connect(db)) {
      for (Connection c : List.of(t0, t1, t2)) {
        c.setAutoCommit(false);
      }
      t2.createStatement().execute("INSERT INTO elsewhere VALUES (2)"); // T2 takes the older xid
      t0.createStatement().execute("INSERT INTO elsewhere VALUES (0)"); // T0 stays open
      t1.createStatement().execute("UPDATE r SET version = 1 WHERE id = 1");
      t1.commit();
      t2.createStatement().execute("UPDATE r SET version = 2 WHERE id = 1");
      t2.commit();
      // The relay must not wait for T0, nor reorder r's versions.
      List<String> versions = versionsOfRow(cluster.kafka().consume(3, 60_000, "rows"));
      assertThat(versions).containsExactly("1", "2");
      t0.commit();
    }
    assertThat(cluster.kafka().consume(4, 60_000, "rows").count()).isEqualTo(4);
  }

  private static List<String> versionsOfRow(ConsumerRecords<byte[], byte[]> records) {
    List<String> versions = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      String value = text(record.value());
      if (value.startsWith("{\"id\":1,")) {
        versions.add(value.replaceAll(".*\"version\":(\\d+).*", "$1"));
      }
    }
    return versions;
  }

  @Test
  void concurrentWritersEveryCommittedChangeOnceInPerRowAndPerKeyOrder() throws Exception {
    cluster.kafka().createTopic("counters", 4);
    cluster.kafka().createTopic("keyed", 4);
    Map<String, String> props = emitterConfig();
    props.put("tasks.max", "3");
    props.put("emitter.key.lock", "true");
    startEmitter("emit-concurrent", props);
    sql(
        "CREATE TABLE counters (id int PRIMARY KEY, version int NOT NULL)",
        "INSERT INTO counters SELECT g, 0 FROM generate_series(1, 5) g",
        "CREATE TRIGGER emit AFTER UPDATE ON counters FOR EACH ROW"
            + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('counters', '-1', 'id')",
        "CREATE TABLE key_versions (k int PRIMARY KEY, v int NOT NULL)",
        "INSERT INTO key_versions SELECT g, 0 FROM generate_series(1, 3) g");

    int writers = 8;
    int transactionsPerWriter = 150;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<?>> done = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int seed = w;
      done.add(pool.submit(() -> write(seed, transactionsPerWriter)));
    }
    for (Future<?> f : done) {
      f.get(5, TimeUnit.MINUTES);
    }
    pool.shutdown();

    Map<Integer, Integer> finalVersions = new HashMap<>();
    long expectedCounters = 0;
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("SELECT id, version FROM counters")) {
      while (rs.next()) {
        finalVersions.put(rs.getInt(1), rs.getInt(2));
        expectedCounters += rs.getInt(2);
      }
    }
    long expectedKeyed = 0;
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("SELECT sum(v) FROM key_versions")) {
      rs.next();
      expectedKeyed = rs.getLong(1);
    }

    // Every committed update of a row, exactly once, in commit (= version) order.
    Map<String, List<Integer>> perRow =
        collect("counters", expectedCounters, "\"id\":(\\d+)", "\"version\":(\\d+)");
    for (Map.Entry<Integer, Integer> row : finalVersions.entrySet()) {
      List<Integer> expected = new ArrayList<>();
      for (int v = 1; v <= row.getValue(); v++) {
        expected.add(v);
      }
      assertThat(perRow.getOrDefault(row.getKey().toString(), List.of()))
          .as("row " + row.getKey())
          .isEqualTo(expected);
    }
    // produce_message with a shared key and the per-key lock: per-key commit order.
    Map<String, List<Integer>> perKey = collect("keyed", expectedKeyed, "^k(\\d+)", "v(\\d+)$");
    for (List<Integer> versions : perKey.values()) {
      for (int i = 0; i < versions.size(); i++) {
        assertThat(versions.get(i)).isEqualTo(i + 1);
      }
    }
    Awaitility.await("outbox emptied")
        .atMost(Duration.ofSeconds(60))
        .until(() -> outboxSize() == 0);
  }

  /** Random short and long transactions, some rolled back, over a few rows and keys. */
  private void write(int seed, int transactions) {
    Random random = new Random(seed);
    try (Connection connection = server.connect(db)) {
      connection.setAutoCommit(false);
      for (int t = 0; t < transactions; t++) {
        try (Statement statement = connection.createStatement()) {
          if (random.nextBoolean()) {
            int id = 1 + random.nextInt(5);
            statement.execute("UPDATE counters SET version = version + 1 WHERE id = " + id);
          } else {
            int k = 1 + random.nextInt(3);
            // The key's version is read after the per-key lock is held (inside produce_message
            // the lock is taken first; take the row lock for the counter right after it).
            statement.execute(
                "SELECT pipeline_kafka.produce_message('keyed', 'placeholder'::bytea, NULL, 'k"
                    + k
                    + "'::bytea)");
            statement.execute("UPDATE key_versions SET v = v + 1 WHERE k = " + k + " RETURNING v");
            statement.execute(
                "UPDATE pipeline_kafka.outbox SET message = convert_to('k"
                    + k
                    + " v' || (SELECT v FROM key_versions WHERE k = "
                    + k
                    + "), 'UTF8')"
                    + " WHERE id = currval('pipeline_kafka.outbox_id_seq')");
          }
          if (random.nextInt(10) < 3) {
            statement.execute(
                "SELECT pg_sleep(" + random.nextInt(20) / 1000.0 + ")"); // a long transaction
          }
          if (random.nextInt(10) == 0) {
            connection.rollback();
          } else {
            connection.commit();
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Consumes {@code expected} records of the topic; groups a number from each value by another. */
  private Map<String, List<Integer>> collect(
      String topic, long expected, String groupRegex, String valueRegex) {
    ConsumerRecords<byte[], byte[]> records =
        cluster.kafka().consume((int) expected, 120_000, topic);
    assertThat((long) records.count()).isEqualTo(expected);
    Map<String, List<Integer>> grouped = new HashMap<>();
    java.util.regex.Pattern group = java.util.regex.Pattern.compile(groupRegex);
    java.util.regex.Pattern value = java.util.regex.Pattern.compile(valueRegex);
    // Within a partition records are in offset order; one key always lands in one partition.
    List<ConsumerRecord<byte[], byte[]>> ordered = new ArrayList<>();
    records.forEach(ordered::add);
    ordered.sort(
        java.util.Comparator.comparingInt((ConsumerRecord<byte[], byte[]> r) -> r.partition())
            .thenComparingLong(ConsumerRecord::offset));
    for (ConsumerRecord<byte[], byte[]> record : ordered) {
      String text = text(record.value());
      java.util.regex.Matcher g = group.matcher(text);
      java.util.regex.Matcher v = value.matcher(text);
      if (g.find() && v.find()) {
        grouped
            .computeIfAbsent(g.group(1), x -> new ArrayList<>())
            .add(Integer.parseInt(v.group(1)));
      }
    }
    return grouped;
  }

  @Test
  void aRestartedConnectorLosesNothingAndOversizedMessagesStayMarkedFailed() throws Exception {
    cluster.kafka().createTopic("restart", 1);
    Map<String, String> props = emitterConfig();
    props.put("emitter.max.message.bytes", "100");
    startEmitter("emit-restart", props);
    for (int i = 0; i < 50; i++) {
      sql("SELECT pipeline_kafka.produce_message('restart', 'm" + i + "'::bytea)");
    }
    sql("SELECT pipeline_kafka.produce_message('restart', convert_to(repeat('x', 500), 'UTF8'))");
    cluster.connect().restartConnectorAndTasks("emit-restart", false, true, false);
    for (int i = 50; i < 100; i++) {
      sql("SELECT pipeline_kafka.produce_message('restart', 'm" + i + "'::bytea)");
    }
    Awaitility.await("all relayed").atMost(Duration.ofSeconds(90)).until(() -> outboxSize() == 1);
    ConsumerRecords<byte[], byte[]> records = cluster.kafka().consumeAll(30_000, "restart");
    List<String> values = new ArrayList<>();
    records.forEach(r -> values.add(text(r.value())));
    for (int i = 0; i < 100; i++) {
      assertThat(values).contains("m" + i);
    }
    assertThat(values).noneMatch(v -> v.startsWith("xxx"));
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("SELECT failed_reason FROM pipeline_kafka.outbox")) {
      rs.next();
      assertThat(rs.getString(1)).contains("larger than emitter.max.message.bytes");
    }
  }

  /**
   * Claimed, undelivered messages (what a relay leaves when its worker dies) are relayed again a
   * page of emitter.batch.size at a time, in relay order per bucket, before anything new: six pages
   * here, with relay batches that interleave the buckets so a page cursor on id alone would reorder
   * them.
   */
  @Test
  void claimedMessagesLeftBehindGoFirstAPageAtATimeInRelayOrder() throws Exception {
    cluster.kafka().createTopic("backlog", 1);
    Map<String, String> props = emitterConfig();
    props.put("tasks.max", "1");
    props.put("emitter.batch.size", "7");
    startEmitter("emit-backlog", props);
    awaitOutboxInstalled("pipeline_kafka");
    cluster.connect().deleteConnector("emit-backlog");
    Awaitility.await("the relay stopped")
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                count(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database"
                            + " = (SELECT oid FROM pg_database WHERE datname = current_database())")
                    == 0);
    for (int i = 0; i < 40; i++) {
      sql(
          "SELECT pipeline_kafka.produce_message('backlog', 'b"
              + i
              + "'::bytea, NULL, 'k"
              + (i % 5)
              + "'::bytea)");
    }
    // As a dead relay leaves them: claimed into batches, newest ids in the oldest batches.
    sql(
        "UPDATE pipeline_kafka.outbox SET relay_batch = 1000 - id / 3",
        // Batches come from this sequence: later claims must get higher numbers.
        "SELECT setval('pipeline_kafka.outbox_batch_seq', 2000)");
    Map<Integer, List<String>> expected = new HashMap<>();
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT bucket, convert_from(message, 'UTF8') FROM pipeline_kafka.outbox"
                    + " ORDER BY relay_batch, id")) {
      while (rs.next()) {
        expected.computeIfAbsent(rs.getInt(1), b -> new ArrayList<>()).add(rs.getString(2));
      }
    }
    assertThat(expected).hasSizeGreaterThan(1);
    startEmitter("emit-backlog-2", props);
    for (int i = 40; i < 45; i++) {
      sql(
          "SELECT pipeline_kafka.produce_message('backlog', 'b"
              + i
              + "'::bytea, NULL, 'k"
              + (i % 5)
              + "'::bytea)");
    }
    Awaitility.await("all relayed").atMost(Duration.ofSeconds(90)).until(() -> outboxSize() == 0);
    List<String> values = new ArrayList<>();
    cluster.kafka().consumeAll(30_000, "backlog").forEach(r -> values.add(text(r.value())));
    assertThat(values).hasSize(45).doesNotHaveDuplicates();
    for (List<String> bucket : expected.values()) {
      assertThat(values.stream().filter(bucket::contains).toList())
          .containsExactlyElementsOf(bucket);
    }
    // The new messages come after every claimed one.
    assertThat(values.subList(40, 45)).containsExactlyInAnyOrder("b40", "b41", "b42", "b43", "b44");
  }

  /**
   * A session that is not the task holds the lock of the only bucket, as a zombie relay would: the
   * task owns nothing and relays nothing, and says so, in its lag metric and in a warning naming
   * the session that holds the lock. Once that session ends, the task takes the bucket over,
   * relays, and the metric falls back to 0.
   */
  @Test
  void aTaskThatOwnsNoBucketIsSeenBehindInItsMetricAndLogNamingTheLockHolder() throws Exception {
    cluster.kafka().createTopic("behind", 1);
    Map<String, String> props = emitterConfig();
    props.put("tasks.max", "1");
    props.put("emitter.buckets", "1");
    props.put("emitter.schema", "lagging");
    props.put("emitter.lag.warn.ms", "1000");
    ObjectName task = new ObjectName("kafka.connect:type=plugins,connector=emit-behind,task=0");
    try (Connection zombie = server.connect(db);
        Statement statement = zombie.createStatement();
        CapturedLog log = CapturedLog.start()) {
      int zombiePid;
      try (ResultSet rs =
          statement.executeQuery(
              "SELECT pg_advisory_lock(hashtext('lagging.outbox'), 0), pg_backend_pid()")) {
        rs.next();
        zombiePid = rs.getInt(2);
      }
      startEmitter("emit-behind", props);
      awaitOutboxInstalled("lagging");
      sql("SELECT lagging.produce_message('behind', 'waiting'::bytea)");

      Awaitility.await("the lag metric over a second")
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () ->
                  (Long)
                          ManagementFactory.getPlatformMBeanServer()
                              .getAttribute(task, EmitterTaskMetrics.OLDEST_UNRELAYED_AGE)
                      >= 1000);
      Awaitility.await("a warning naming the session that holds the bucket")
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  log.text()
                      .contains(
                          "Emitter task for buckets [0] is behind: the oldest message not relayed"
                              + " yet (bucket 0)"));
      assertThat(log.text())
          .contains("Buckets [0] are not owned by this task")
          .contains("Held: [0] by pid " + zombiePid + " (");
      assertThat(count("SELECT count(*) FROM lagging.outbox WHERE relay_batch IS NULL"))
          .isEqualTo(1);
      assertThat(
              (Long)
                  ManagementFactory.getPlatformMBeanServer()
                      .getAttribute(task, EmitterTaskMetrics.OUTBOX_DEPTH))
          .as("the outbox depth, as of the look that saw the lag")
          .isEqualTo(1);
    }

    assertThat(awaitValues("behind")).containsExactly("waiting");
    // Claimed once the zombie let go, over a second after it was written.
    assertThat(
            (Double)
                ManagementFactory.getPlatformMBeanServer()
                    .getAttribute(task, EmitterTaskMetrics.CLAIM_LATENCY_MAX))
        .isGreaterThanOrEqualTo(1000.0);
    Awaitility.await("the lag metric back to 0 once the message is relayed")
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                (Long)
                        ManagementFactory.getPlatformMBeanServer()
                            .getAttribute(task, EmitterTaskMetrics.OLDEST_UNRELAYED_AGE)
                    == 0);
    assertThat(
            (Long)
                ManagementFactory.getPlatformMBeanServer()
                    .getAttribute(task, EmitterTaskMetrics.OUTBOX_DEPTH))
        .isZero();
  }

  @Test
  void aMessageForAPartitionTheTopicLacksIsMarkedFailedAndTheRestFlow() throws Exception {
    cluster.kafka().createTopic("narrow", 1);
    Map<String, String> props = emitterConfig();
    props.put("kafka.bootstrap.servers", cluster.kafka().bootstrapServers());
    startEmitter("emit-narrow", props);
    sql(
        "SELECT pipeline_kafka.produce_message('narrow', 'before'::bytea)",
        "SELECT pipeline_kafka.produce_message('narrow', 'nowhere'::bytea, partition := 5)",
        "SELECT pipeline_kafka.produce_message('narrow', 'after'::bytea, partition := 0)");

    Awaitility.await("good messages relayed, the bad one left")
        .atMost(Duration.ofSeconds(60))
        .until(() -> outboxSize() == 1);
    List<String> values = new ArrayList<>();
    cluster.kafka().consumeAll(30_000, "narrow").forEach(r -> values.add(text(r.value())));
    assertThat(values).containsExactlyInAnyOrder("before", "after");
    assertThat(queryText("SELECT failed_reason FROM pipeline_kafka.outbox"))
        .isEqualTo("partition 5 does not exist: topic narrow has 1 partition");
    cluster
        .connect()
        .assertions()
        .assertConnectorAndAtLeastNumTasksAreRunning("emit-narrow", 1, "task failed");
  }

  @Test
  void messagesForConnectsInternalTopicsOrOutsideTheAllowListAreMarkedFailedAndTheRestFlow()
      throws Exception {
    cluster.kafka().createTopic("orders.eu", 1);
    startEmitter("emit-guarded", emitterConfig());
    sql(
        "SELECT pipeline_kafka.produce_message('orders.eu', 'first'::bytea)",
        "SELECT pipeline_kafka.produce_message('connect-configs', 'forged'::bytea)",
        "SELECT pipeline_kafka.produce_message('__consumer_offsets', 'forged'::bytea)",
        "SELECT pipeline_kafka.produce_message('_schemas', 'forged'::bytea)",
        "SELECT pipeline_kafka.produce_message('orders.eu', 'last'::bytea)");
    Awaitility.await("allowed messages relayed, refused ones left")
        .atMost(Duration.ofSeconds(60))
        .until(() -> outboxSize() == 3);
    assertThat(
            count(
                "SELECT count(*) FROM pipeline_kafka.outbox WHERE failed_reason LIKE"
                    + " 'topic % is not allowed by emitter.topics.allowed%'"))
        .isEqualTo(3);
    List<String> values = new ArrayList<>();
    cluster.kafka().consumeAll(30_000, "orders.eu").forEach(r -> values.add(text(r.value())));
    assertThat(values).containsExactly("first", "last");

    // An operator's own pattern replaces the default.
    cluster.kafka().createTopic("audit", 1);
    Map<String, String> props = emitterConfig();
    props.put("emitter.topics.allowed", "orders\\..*");
    cluster.connect().deleteConnector("emit-guarded");
    startEmitter("emit-orders-only", props);
    sql(
        "SELECT pipeline_kafka.produce_message('audit', 'not-for-kafka'::bytea)",
        "SELECT pipeline_kafka.produce_message('orders.eu', 'again'::bytea)");
    Awaitility.await("orders relayed, audit left")
        .atMost(Duration.ofSeconds(60))
        .until(() -> outboxSize() == 4);
    assertThat(queryText("SELECT failed_reason FROM pipeline_kafka.outbox WHERE topic = 'audit'"))
        .isEqualTo("topic audit is not allowed by emitter.topics.allowed (orders\\..*)");
  }

  /**
   * The documented least-privilege set-up end to end: the connector logs in as a dedicated role
   * that owns the schema a DBA made for it, installs the outbox there and relays it; an application
   * role holding only USAGE and EXECUTE sends a message.
   */
  @Test
  void aDedicatedRoleRunsTheEmitterAndAnApplicationRoleSendsThroughTheFunctions() throws Exception {
    String owner = db + "_emitter";
    String app = db + "_app";
    sql(
        "CREATE ROLE " + owner + " LOGIN",
        "CREATE SCHEMA least AUTHORIZATION " + owner,
        "CREATE ROLE " + app + " LOGIN");
    cluster.kafka().createTopic("least-out", 1);
    Map<String, String> props = emitterConfig();
    props.put("connection.user", owner);
    props.put("emitter.schema", "least");
    startEmitter("emit-least", props);
    awaitOutboxInstalled("least");
    try (Connection connection = server.connectAs(db, owner);
        Statement statement = connection.createStatement()) {
      statement.execute("GRANT USAGE ON SCHEMA least TO " + app);
      statement.execute(
          "GRANT EXECUTE ON FUNCTION least.produce_message(text, bytea, integer, bytea) TO " + app);
    }
    try (Connection connection = server.connectAs(db, app);
        Statement statement = connection.createStatement()) {
      statement.execute("SELECT least.produce_message('least-out', 'from-app'::bytea)");
    }
    List<String> values = awaitValues("least-out");
    assertThat(values).containsExactly("from-app");
    Awaitility.await("the relayed message deleted")
        .atMost(Duration.ofSeconds(90))
        .until(() -> count("SELECT count(*) FROM least.outbox") == 0);
  }

  /**
   * A message for a topic that does not exist (the broker creates none): Connect's producer would
   * retry it forever with the task RUNNING. After emitter.missing.topic.timeout.ms it is marked
   * failed with the reason, counted, and everything else is delivered.
   */
  @Test
  void aMessageForATopicThatDoesNotExistIsMarkedFailedAfterATimeoutAndTheRestFlow()
      throws Exception {
    cluster.kafka().createTopic("present", 1);
    Map<String, String> props = emitterConfig();
    props.put("kafka.bootstrap.servers", cluster.kafka().bootstrapServers());
    props.put("emitter.missing.topic.timeout.ms", "3000");
    props.put("emitter.buckets", "1"); // one bucket: the later messages wait behind the missing one
    props.put("tasks.max", "1");
    props.put("emitter.schema", "missing_topic");
    startEmitter("emit-missing", props);
    awaitOutboxInstalled("missing_topic");
    sql(
        "SELECT missing_topic.produce_message('present', 'before'::bytea)",
        "SELECT missing_topic.produce_message('no-such-topic', 'lost?'::bytea)",
        "SELECT missing_topic.produce_message('present', 'after'::bytea)");

    Awaitility.await("the rest delivered, the missing topic's message marked failed")
        .atMost(Duration.ofSeconds(60))
        .until(() -> count("SELECT count(*) FROM missing_topic.outbox") == 1);
    assertThat(queryText("SELECT failed_reason FROM missing_topic.outbox"))
        .startsWith("topic no-such-topic does not exist (waited ");
    List<String> values = new ArrayList<>();
    cluster.kafka().consumeAll(30_000, "present").forEach(r -> values.add(text(r.value())));
    assertThat(values).containsExactly("before", "after");
    ObjectName task = new ObjectName("kafka.connect:type=plugins,connector=emit-missing,task=0");
    assertThat(
            ManagementFactory.getPlatformMBeanServer()
                .getAttribute(task, EmitterTaskMetrics.FAILED_TOTAL))
        .isEqualTo(1.0);
    cluster
        .connect()
        .assertions()
        .assertConnectorAndAtLeastNumTasksAreRunning("emit-missing", 1, "task failed");
  }

  /**
   * GET /offsets shows each bucket's position, a PATCH that would move one is refused (it would
   * delete undelivered messages), and DELETE resets them.
   */
  @Test
  void theRestOffsetsApiShowsPositionsRefusesMovesAndResets() throws Exception {
    cluster.kafka().createTopic("positions", 1);
    Map<String, String> props = emitterConfig();
    props.put("emitter.buckets", "1");
    props.put("tasks.max", "1");
    props.put("emitter.schema", "positions");
    startEmitter("emit-positions", props);
    awaitOutboxInstalled("positions");
    sql("SELECT positions.produce_message('positions', 'one'::bytea)");
    Awaitility.await("the bucket's position shown by GET /offsets")
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(
            () -> {
              var offsets = cluster.connect().connectorOffsets("emit-positions").offsets();
              return offsets.size() == 1
                  && offsets.get(0).offset() != null
                  && offsets.get(0).offset().get("id") != null;
            });
    cluster.connect().stopConnector("emit-positions");
    cluster.connect().assertions().assertConnectorIsStopped("emit-positions", "not stopped");
    Map<String, Object> partition = new java.util.LinkedHashMap<>();
    partition.put("schema", "positions");
    partition.put("bucket", 0);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                cluster
                    .connect()
                    .alterSourceConnectorOffset(
                        "emit-positions", partition, Map.of("batch", 999, "id", 999)))
        .hasMessageContaining("cannot be moved, only reset");
    cluster.connect().resetConnectorOffsets("emit-positions");
    Awaitility.await("no positions after DELETE")
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cluster.connect().connectorOffsets("emit-positions").offsets().stream()
                    .allMatch(o -> o.offset() == null));
  }

  /**
   * kafka.bootstrap.servers pointing nowhere (the examples' localhost:9092 on a machine without
   * that broker): the topic checks cannot run, and messages are relayed without them rather than
   * every bucket stalling on a describe timeout.
   */
  @Test
  void anUnreachableKafkaBootstrapServersDoesNotStopTheRelay() throws Exception {
    cluster.kafka().createTopic("unchecked", 1);
    Map<String, String> props = emitterConfig();
    props.put("kafka.bootstrap.servers", "127.0.0.1:1");
    props.put("emitter.schema", "unchecked");
    startEmitter("emit-unchecked", props);
    awaitOutboxInstalled("unchecked");
    sql("SELECT unchecked.produce_message('unchecked', 'sent anyway'::bytea)");
    List<String> values = awaitValues("unchecked");
    assertThat(values).containsExactly("sent anyway");
  }

  @Test
  void withRetentionRelayedMessagesStayMarkedNeverRelayedAgainAndExpire() throws Exception {
    cluster.kafka().createTopic("kept", 1);
    Map<String, String> props = emitterConfig();
    props.put("emitter.retention.ms", "3600000");
    startEmitter("emit-kept", props);
    for (int i = 0; i < 20; i++) {
      sql("SELECT pipeline_kafka.produce_message('kept', 'm" + i + "'::bytea)");
    }
    Awaitility.await("all marked relayed")
        .atMost(Duration.ofSeconds(60))
        .until(() -> relayedCount() == 20);
    assertThat(outboxSize()).isEqualTo(20);

    // Kept rows are history, not work: a restart does not relay them again.
    cluster.connect().restartConnectorAndTasks("emit-kept", false, true, false);
    sql("SELECT pipeline_kafka.produce_message('kept', 'm20'::bytea)");
    Awaitility.await("the new one marked relayed")
        .atMost(Duration.ofSeconds(60))
        .until(() -> relayedCount() == 21);
    List<String> values = new ArrayList<>();
    cluster.kafka().consumeAll(30_000, "kept").forEach(r -> values.add(text(r.value())));
    assertThat(values).hasSize(21).doesNotHaveDuplicates();

    // Once older than the retention, they go.
    sql("UPDATE pipeline_kafka.outbox SET relayed_at = now() - interval '2 hours'");
    sql("SELECT pipeline_kafka.produce_message('kept', 'm21'::bytea)");
    Awaitility.await("expired rows deleted, the newest kept")
        .atMost(Duration.ofSeconds(60))
        .until(() -> outboxSize() == 1 && relayedCount() == 1);
    assertThat(queryText("SELECT convert_from(message, 'UTF8') FROM pipeline_kafka.outbox"))
        .isEqualTo("m21");
  }

  private long relayedCount() {
    return Long.parseLong(
        queryText("SELECT count(*) FROM pipeline_kafka.outbox WHERE relayed_at IS NOT NULL"));
  }

  private String queryText(String sql) {
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * validate() asks the database, read only: an unreachable server, an outbox that is not there
   * with emitter.install=false, and a role that may not create the outbox's schema are each named
   * on the key to change; once a DBA made the schema for the role, the config validates.
   */
  @Test
  void validationAsksTheDatabaseAndNamesTheKeyToChange() throws Exception {
    Map<String, String> props = emitterConfig();
    props.put("emitter.schema", "checked");
    assertThat(validationErrors(props)).isEmpty();
    assertThat(count("SELECT count(*) FROM pg_namespace WHERE nspname = 'checked'"))
        .as("validating installs nothing")
        .isZero();

    props.put("emitter.install", "false");
    assertThat(validationErrors(props)).containsOnlyKeys("emitter.install");
    assertThat(validationErrors(props).get("emitter.install"))
        .contains("No outbox in schema checked");

    props.put("emitter.install", "true");
    String role = "relay_" + db;
    sql("CREATE ROLE " + role + " LOGIN");
    props.put("connection.user", role);
    Map<String, String> errors = validationErrors(props);
    assertThat(errors).containsOnlyKeys("connection.user");
    assertThat(errors.get("connection.user"))
        .contains("may not create schema checked", "CREATE SCHEMA checked AUTHORIZATION " + role);
    sql("CREATE SCHEMA checked AUTHORIZATION " + role);
    assertThat(validationErrors(props)).isEmpty();

    props.put("connection.url", "jdbc:postgresql://127.0.0.1:1/" + db);
    assertThat(validationErrors(props)).containsOnlyKeys("connection.url");
  }

  private Map<String, String> validationErrors(Map<String, String> props) {
    props.put("name", "emit-validate");
    return cluster.validationErrors(EmitterSourceConnector.class.getSimpleName(), props);
  }

  @Test
  void errorsToleranceAllIsRejectedAtValidation() {
    Map<String, String> props = emitterConfig();
    props.put("name", "emit-tolerant");
    props.put("errors.tolerance", "all");
    var result =
        cluster
            .connect()
            .validateConnectorConfig(EmitterSourceConnector.class.getSimpleName(), props);
    assertThat(result.errorCount()).isPositive();
    assertThat(result.configs().stream().flatMap(c -> c.configValue().errors().stream()))
        .anyMatch(e -> e.contains("errors.tolerance"));
  }
}
