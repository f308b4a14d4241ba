package io.pipelineconnect.benchmarks;

import io.pipelineconnect.emitter.EmitterSourceConnector;
import io.pipelineconnect.testsupport.ForkedConnectWorker;
import io.pipelineconnect.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;

/**
 * The emitter's commit→Kafka latency at a steady rate of single-row transactions, and the rate at
 * which it drains a backlog. PostgreSQL, broker and worker share this machine.
 *
 * <p>First, what the emitter costs the application: single-message autocommit transactions from
 * {@link #CAPACITY_WRITERS} writers as fast as the database commits them, for {@link #CAPACITY_RUN}
 * each: plain INSERTs into a table shaped like the outbox (the baseline), then produce_message with
 * the relay running, then with it paused.
 *
 * <p>Commit time is PostgreSQL's own ({@code pg_xact_commit_timestamp}, {@code
 * track_commit_timestamp=on}); arrival is the broker's LogAppendTime. Prints figures; asserts
 * nothing.
 */
public final class EmitterBenchmark {
  private static final int RATE = 5_000;
  private static final Duration STEADY = Duration.ofSeconds(15);
  private static final int WRITERS = 4;
  private static final int BACKLOG = 200_000;
  private static final Duration WARM_UP = Duration.ofSeconds(3);
  private static final int CAPACITY_WRITERS = 8;
  private static final Duration CAPACITY_RUN = Duration.ofSeconds(10);
  private static final String PAYLOAD = "x".repeat(200);

  public static void main(String[] args) throws Exception {
    EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, new java.util.Properties());
    kafka.start();
    try (PostgresServer postgres =
            PostgresServer.builder().setting("track_commit_timestamp", "on").start();
        ForkedConnectWorker worker = BenchmarkWorker.start(kafka.bootstrapServers())) {
      String db = postgres.createDatabase();
      Map<String, String> logAppendTime = Map.of("message.timestamp.type", "LogAppendTime");
      kafka.createTopic("steady", 4, 1, logAppendTime);
      kafka.createTopic("backlog", 4, 1, logAppendTime);
      String config =
          "{\"connector.class\": \""
              + EmitterSourceConnector.class.getName()
              + "\", \"tasks.max\": \"2\", \"connection.url\": \""
              + postgres.jdbcUrl(db)
              + "\", \"connection.user\": \"postgres\","
              + " \"producer.override.linger.ms\": \"0\""
              // e.g. -Dbenchmark.emitter.config=', "emitter.notify": "false"' to compare settings
              + System.getProperty("benchmark.emitter.config", "")
              + "}";
      BenchmarkWorker.put(worker, "connectors/emitter-bench/config", config);
      awaitOutbox(postgres, db);
      kafka.createTopic("capacity", 4, 1, logAppendTime);
      double plain = capacity(postgres, db, plainOutbox(postgres, db));
      double relayed =
          capacity(postgres, db, "SELECT pipeline_kafka.produce_message('capacity', ?::bytea)");
      BenchmarkWorker.put(worker, "connectors/emitter-bench/pause", "");
      Thread.sleep(2000);
      double paused =
          capacity(postgres, db, "SELECT pipeline_kafka.produce_message('capacity', ?::bytea)");
      BenchmarkWorker.put(worker, "connectors/emitter-bench/resume", "");
      awaitNothingUnclaimed(postgres, db);

      // Steady load: RATE single-row transactions per second, each remembering its xid.
      Map<Long, Long> xidOfMessage = new ConcurrentHashMap<>();
      int total = (int) (RATE * STEADY.toSeconds());
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
      List<Future<?>> writers = new ArrayList<>();
      Map<Long, String> processes =
          Map.of(ProcessHandle.current().pid(), "broker+driver", worker.pid(), "worker");
      CpuTime steadyCpuBefore = CpuTime.snapshot(processes);
      long startNanos = System.nanoTime();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        writers.add(
            pool.submit(
                () -> writeSteadily(postgres, db, writer, total, startNanos, xidOfMessage)));
      }
      for (Future<?> f : writers) {
        f.get(5, TimeUnit.MINUTES);
      }
      pool.shutdown();
      double writeSeconds = (System.nanoTime() - startNanos) / 1e9;
      Map<Long, Long> arrival = consume(kafka, "steady", total);
      CpuTime steadyCpu = CpuTime.snapshot(processes);
      Map<Long, Long> commit = commitTimes(postgres, db, xidOfMessage);
      long[] latencies = new long[total];
      int n = 0;
      for (Map.Entry<Long, Long> e : arrival.entrySet()) {
        Long committed = commit.get(e.getKey());
        if (committed != null) {
          latencies[n++] = e.getValue() - committed;
        }
      }
      latencies = Arrays.copyOf(latencies, n);
      Arrays.sort(latencies);
      String perSecond = latencyPerSecond(arrival, commit);
      long[] warmed = latenciesAfterWarmUp(arrival, commit);

      // Backlog: the connector paused, 200k messages committed, then resumed.
      BenchmarkWorker.put(worker, "connectors/emitter-bench/pause", "");
      Thread.sleep(2000);
      try (Connection c = postgres.connect(db);
          Statement s = c.createStatement()) {
        s.execute(
            "SELECT pipeline_kafka.produce_message('backlog', convert_to(g::text, 'UTF8'))"
                + " FROM generate_series(1, "
                + BACKLOG
                + ") g");
      }
      CpuTime drainCpuBefore = CpuTime.snapshot(processes);
      long drainStart = System.nanoTime();
      BenchmarkWorker.put(worker, "connectors/emitter-bench/resume", "");
      consume(kafka, "backlog", BACKLOG);
      double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
      CpuTime drainCpu = CpuTime.snapshot(processes);

      System.out.println();
      System.out.printf(
          Locale.ROOT,
          "Emitter commit capacity, %d writers of single-message autocommit transactions for %d s"
              + " each:%n  plain INSERT into an outbox-shaped table %,.0f tx/s | produce_message,"
              + " relay running %,.0f tx/s (%.2f of plain) | relay paused %,.0f tx/s (%.2f of"
              + " plain)%n",
          CAPACITY_WRITERS,
          CAPACITY_RUN.toSeconds(),
          plain,
          relayed,
          relayed / plain,
          paused,
          paused / plain);
      System.out.printf(
          Locale.ROOT,
          "Emitter benchmark: %d single-row transactions at %d/s target (%.0f/s achieved), 4 writers%n",
          total,
          RATE,
          total / writeSeconds);
      System.out.printf(
          Locale.ROOT,
          "  commit -> Kafka latency: p50 %d ms, p99 %d ms, max %d ms (%d messages)%n",
          percentile(latencies, 50),
          percentile(latencies, 99),
          latencies.length == 0 ? -1 : latencies[latencies.length - 1],
          latencies.length);
      System.out.printf(
          Locale.ROOT,
          "  the same after the first %d s (JIT warm-up): p50 %d ms, p99 %d ms, max %d ms (%d"
              + " messages)%n",
          WARM_UP.toSeconds(),
          percentile(warmed, 50),
          percentile(warmed, 99),
          warmed.length == 0 ? -1 : warmed[warmed.length - 1],
          warmed.length);
      System.out.println("  per second of the run (by commit time), p50/p99/max ms: " + perSecond);
      System.out.printf(
          Locale.ROOT,
          "  backlog of %d drained in %.2f s: %,.0f rows/s (from resume, includes task restart)%n",
          BACKLOG,
          drainSeconds,
          BACKLOG / drainSeconds);
      // The worker's CPU is the relay's cost (target: at most 60 µs per message); the broker's
      // runs in this JVM with the benchmark's own consumer and writers, so it is not split out.
      System.out.printf(
          Locale.ROOT,
          "  worker CPU per message: %.0f µs steady, %.0f µs draining the backlog%n",
          steadyCpu.secondsOf("worker", steadyCpuBefore) * 1e6 / total,
          drainCpu.secondsOf("worker", drainCpuBefore) * 1e6 / BACKLOG);
      System.out.println("  CPU seconds, steady phase: " + steadyCpu.since(steadyCpuBefore));
      System.out.println("  CPU seconds, backlog drain: " + drainCpu.since(drainCpuBefore));
    } finally {
      kafka.stop();
    }
    System.exit(0);
  }

  /**
   * Latencies of the messages committed after the warm-up: the worker's first seconds of relaying
   * run in the interpreter and say little about the steady state.
   */
  private static long[] latenciesAfterWarmUp(Map<Long, Long> arrival, Map<Long, Long> commit) {
    long first = commit.values().stream().mapToLong(Long::longValue).min().orElse(0);
    long warmedAt = first + WARM_UP.toMillis();
    return arrival.entrySet().stream()
        .filter(e -> commit.containsKey(e.getKey()) && commit.get(e.getKey()) >= warmedAt)
        .mapToLong(e -> e.getValue() - commit.get(e.getKey()))
        .sorted()
        .toArray();
  }

  /** p50/p99/max per second of commit time: tells a warm-up transient from a steady cost. */
  private static String latencyPerSecond(Map<Long, Long> arrival, Map<Long, Long> commit) {
    long first = commit.values().stream().mapToLong(Long::longValue).min().orElse(0);
    Map<Long, List<Long>> bySecond = new java.util.TreeMap<>();
    arrival.forEach(
        (message, arrived) -> {
          Long committed = commit.get(message);
          if (committed != null) {
            bySecond
                .computeIfAbsent((committed - first) / 1000, k -> new ArrayList<>())
                .add(arrived - committed);
          }
        });
    StringBuilder out = new StringBuilder();
    bySecond.forEach(
        (second, values) -> {
          long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
          out.append(
              String.format(
                  Locale.ROOT,
                  "%n    %2ds %4d/%4d/%4d",
                  second,
                  percentile(sorted, 50),
                  percentile(sorted, 99),
                  sorted[sorted.length - 1]));
        });
    return out.toString();
  }

  /**
   * A table of the outbox's shape, indexes and id sequence (CACHE 1), and the INSERT an application
   * would run into it: what an outbox costs without our functions and relay.
   */
  private static String plainOutbox(PostgresServer postgres, String db) throws Exception {
    try (Connection c = postgres.connect(db);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE plain_outbox (LIKE pipeline_kafka.outbox INCLUDING DEFAULTS"
              + " INCLUDING CONSTRAINTS INCLUDING INDEXES)");
      s.execute("CREATE SEQUENCE plain_outbox_id_seq CACHE 1");
      s.execute("ALTER TABLE plain_outbox ALTER id SET DEFAULT nextval('plain_outbox_id_seq')");
    }
    return "INSERT INTO plain_outbox (bucket, topic, key, message) VALUES (0, 'capacity', NULL,"
        + " ?::bytea)";
  }

  /** Transactions per second: {@link #CAPACITY_WRITERS} writers running {@code sql} in a loop. */
  private static double capacity(PostgresServer postgres, String db, String sql) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CAPACITY_WRITERS);
    List<Future<Long>> writers = new ArrayList<>();
    long end = System.nanoTime() + CAPACITY_RUN.toNanos();
    long start = System.nanoTime();
    for (int w = 0; w < CAPACITY_WRITERS; w++) {
      writers.add(
          pool.submit(
              () -> {
                long done = 0;
                try (Connection c = postgres.connect(db);
                    PreparedStatement statement = c.prepareStatement(sql)) {
                  statement.setString(1, PAYLOAD);
                  while (System.nanoTime() < end) {
                    statement.execute();
                    done++;
                  }
                }
                return done;
              }));
    }
    long total = 0;
    for (Future<Long> writer : writers) {
      total += writer.get(5, TimeUnit.MINUTES);
    }
    pool.shutdown();
    return total / ((System.nanoTime() - start) / 1e9);
  }

  private static void awaitNothingUnclaimed(PostgresServer postgres, String db) throws Exception {
    try (Connection c = postgres.connect(db);
        Statement s = c.createStatement()) {
      for (int i = 0; i < 3000; i++) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pipeline_kafka.outbox WHERE relay_batch IS NULL"
                    + " AND failed_reason IS NULL")) {
          rs.next();
          if (rs.getLong(1) == 0) {
            return;
          }
        }
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("The relay did not claim the capacity runs' messages");
  }

  private static void awaitOutbox(PostgresServer postgres, String db) throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      try (Connection c = postgres.connect(db);
          Statement s = c.createStatement()) {
        s.executeQuery("SELECT 1 FROM pipeline_kafka.outbox LIMIT 1").close();
        Thread.sleep(2000); // let the tasks start and LISTEN
        return;
      } catch (java.sql.SQLException notYet) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("The connector did not install the outbox");
  }

  private static void writeSteadily(
      PostgresServer postgres,
      String db,
      int writer,
      int total,
      long startNanos,
      Map<Long, Long> xids) {
    try (Connection c = postgres.connect(db);
        PreparedStatement produce =
            c.prepareStatement(
                "SELECT pipeline_kafka.produce_message('steady', ?), txid_current() % 4294967296")) {
      for (long i = writer; i < total; i += WRITERS) {
        long due = startNanos + i * 1_000_000_000L / RATE;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        produce.setBytes(1, Long.toString(i).getBytes(StandardCharsets.UTF_8));
        try (ResultSet rs = produce.executeQuery()) {
          rs.next();
          xids.put(i, rs.getLong(2));
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Message number → LogAppendTime in ms, for {@code count} messages of the topic. */
  private static Map<Long, Long> consume(EmbeddedKafkaCluster kafka, String topic, int count) {
    Map<Long, Long> arrival = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        kafka.createConsumer(Map.of("auto.offset.reset", "earliest", "max.poll.records", 5000))) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < 4; p++) {
        partitions.add(new TopicPartition(topic, p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (arrival.size() < count && System.nanoTime() < deadline) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<byte[], byte[]> record : records) {
          arrival.put(
              Long.parseLong(new String(record.value(), StandardCharsets.UTF_8)),
              record.timestamp());
        }
      }
    }
    if (arrival.size() < count) {
      throw new IllegalStateException(
          "Only " + arrival.size() + " of " + count + " arrived in " + topic);
    }
    return arrival;
  }

  private static Map<Long, Long> commitTimes(
      PostgresServer postgres, String db, Map<Long, Long> xids) throws Exception {
    Map<Long, Long> commit = new HashMap<>();
    try (Connection c = postgres.connect(db);
        PreparedStatement query =
            c.prepareStatement(
                "SELECT (extract(epoch FROM pg_xact_commit_timestamp(x::text::xid)) * 1000)::bigint"
                    + " FROM unnest(?::bigint[]) AS x")) {
      List<Long> messages = new ArrayList<>(xids.keySet());
      Long[] xidArray = messages.stream().map(xids::get).toArray(Long[]::new);
      query.setArray(1, c.createArrayOf("int8", xidArray));
      try (ResultSet rs = query.executeQuery()) {
        int i = 0;
        while (rs.next()) {
          commit.put(messages.get(i++), rs.getLong(1));
        }
      }
    }
    return commit;
  }

  private static long percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return -1;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }
}
