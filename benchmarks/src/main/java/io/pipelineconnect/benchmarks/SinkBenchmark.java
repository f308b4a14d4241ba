package io.pipelineconnect.benchmarks;

import io.pipelineconnect.sink.PipelineSinkConnector;
import io.pipelineconnect.testsupport.ForkedConnectWorker;
import io.pipelineconnect.testsupport.PostgresServer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.postgresql.PGConnection;

/**
 * The sink's throughput against plain COPY, in the same run, on the same PostgreSQL.
 *
 * <p>Writes N narrow rows (bigint, timestamptz, text, float8) in text format to a file and to two
 * topics, then measures, on one Connect worker in its own JVM (512 MiB heap, G1, the worker's
 * default 60 s commit interval, the plugin unzipped from the Hub archive onto its plugin.path: see
 * {@link BenchmarkWorker}) with the connector's and the consumer's defaults (batchsize 20,000,
 * max.poll.records 500):
 *
 * <ol>
 *   <li>baseline: {@code COPY ... FROM STDIN} of the file over pgjdbc, before and after the sink;
 *   <li>cold: a new connector on a loaded topic, from its creation until the offsets table says
 *       every row is committed (connector start, group join and JIT warm-up included);
 *   <li>warm, {@code -Dbenchmark.rounds} times: a connector that is running but paused while its
 *       table is emptied and its topic loaded, from resume until every row is committed: the path a
 *       running sink takes for a burst of data.
 * </ol>
 *
 * With {@code -Dbenchmark.sink.format=json} or {@code binary} the topics hold the rows as
 * JsonConverter messages with schemas, so the sink gets Structs, and the peer runs on the same
 * worker after the sink: Debezium's JDBC sink (its plugin archive from Maven Central, beside ours
 * on the plugin.path), cold and warm on the same messages, timed until its table holds every row.
 * Each run checks that the table holds the baseline's values.
 *
 * <p>Prints rows/s and the ratios; asserts nothing.
 */
public final class SinkBenchmark {
  private static final int PARTITIONS = 4;

  /**
   * The sink's format: text (raw lines, the default), or json / binary, for which the topic holds
   * each row as a JsonConverter message with its schema, so the sink gets Structs.
   */
  private static final String FORMAT = System.getProperty("benchmark.sink.format", "text");

  /**
   * With format=json: {@code json} (the default) has the worker's JsonConverter build Structs;
   * {@code bytes} hands the sink the same messages through the ByteArrayConverter, for its reader
   * of JsonConverter's envelope (no Struct).
   */
  private static final boolean ENVELOPE_FROM_BYTES =
      System.getProperty("benchmark.sink.converter", "json").equals("bytes");

  /**
   * {@code append} (the default), or {@code upsert}: every table gets a primary key on id, the sink
   * runs with insert.mode=upsert keyed on the value's id and the peer with Debezium's upsert mode
   * on the same key; cold runs insert every row, and each warm round starts with half the keys in
   * the table (the even ids), so it inserts half the rows and updates the other half. The baseline
   * stays a plain COPY into the same keyed table.
   */
  private static final boolean UPSERT =
      System.getProperty("benchmark.sink.insert", "append").equals("upsert");

  private static final String TASKS = System.getProperty("benchmark.sink.tasks", "2");

  /**
   * Whether the peer runs too: Debezium's JDBC sink on the same worker, reading the same
   * JsonConverter messages (so only for the json and binary formats), in the same insert mode, with
   * the settings that made it fastest here (batch.size 10,000, pgjdbc's reWriteBatchedInserts).
   */
  private static final boolean PEER = !FORMAT.equals("text");

  private static final String COLUMNS =
      "(id bigint" + (UPSERT ? " PRIMARY KEY" : "") + ", at timestamptz, name text, value float8)";

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = Integer.getInteger("benchmark.rounds", 3);
    Path data = Files.createTempFile("sink-benchmark-", ".tsv");
    writeRows(data, rows);

    Properties broker = new Properties();
    EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, broker);
    kafka.start();
    try (PostgresServer postgres = PostgresServer.builder().start()) {
      String db = postgres.createDatabase();
      try (Connection c = postgres.connect(db);
          Statement s = c.createStatement()) {
        for (String table : List.of("baseline", "cold", "warm", "peer")) {
          s.execute("CREATE TABLE " + table + " " + COLUMNS);
        }
      }

      kafka.createTopic("cold", PARTITIONS);
      kafka.createTopic("warm", PARTITIONS);
      loadTopic(kafka, data, "cold");
      boolean withPeer = PEER && BenchmarkWorker.peerPlugin() != null;
      if (withPeer) {
        kafka.createTopic("peer", PARTITIONS);
      }
      Result baseline = baseline(postgres, db, data, rows);
      Result cold;
      List<Result> warm;
      List<Result> peer;
      try (ForkedConnectWorker connect = BenchmarkWorker.start(kafka.bootstrapServers())) {
        cold = cold(connect, postgres, db, rows);
        warm = warm(connect, kafka, data, postgres, db, rows, rounds);
        // The sink's connectors are paused or done: the peer has the worker to itself.
        peer = withPeer ? peer(connect, kafka, data, postgres, db, rows, rounds) : List.of();
        // Gracefully, so a flight recording given in benchmark.worker.jvm is written on exit.
        connect.stop();
      }
      Result baselineAgain = baseline(postgres, db, data, rows);
      // Upserts cost PostgreSQL more than COPY whoever sends them: the same staging and
      // INSERT ... ON CONFLICT by hand, into an empty table and then one holding half the keys, is
      // the
      // ceiling the sink's upserts are measured against.
      Result handInsert = UPSERT ? handStagedUpsert(postgres, db, data, rows, true) : null;
      Result handHalf = UPSERT ? handStagedUpsert(postgres, db, data, rows, false) : null;

      System.out.println();
      System.out.println(
          "Sink benchmark: "
              + rows
              + " narrow rows (bigint, timestamptz, text, float8), sink format "
              + FORMAT
              + (FORMAT.equals("text")
                  ? " (raw lines)"
                  : ENVELOPE_FROM_BYTES
                      ? " (JsonConverter messages read from bytes, no Struct)"
                      : " (Structs from JsonConverter)")
              + ", topics "
              + System.getProperty("benchmark.compression", "lz4")
              + "-compressed"
              + (UPSERT
                  ? "; insert.mode=upsert on a primary key (cold runs insert every row; each warm"
                      + " round starts with half the keys in the table)"
                  : ""));
      print("plain COPY FROM STDIN (before)", baseline, rows);
      print("sink cold: create connector -> committed", cold, rows);
      for (int round = 0; round < warm.size(); round++) {
        print("sink warm, round " + (round + 1) + ": resume -> committed", warm.get(round), rows);
      }
      print("plain COPY FROM STDIN (after)", baselineAgain, rows);
      for (int round = 0; round < peer.size(); round++) {
        print(
            round == 0 ? "peer cold: create connector -> all rows" : "peer warm, round " + round,
            peer.get(round),
            rows);
      }
      if (UPSERT) {
        print("staged upsert by hand, inserting", handInsert, rows);
        print("staged upsert by hand, half the keys there", handHalf, rows);
      }
      System.out.println("CPU seconds per process kind during each run (2 cores):");
      System.out.println("  plain COPY (before): " + baseline.cpu());
      System.out.println("  sink cold:           " + cold.cpu());
      for (int round = 0; round < warm.size(); round++) {
        System.out.println("  sink warm, round " + (round + 1) + ":  " + warm.get(round).cpu());
      }
      for (int round = 0; round < peer.size(); round++) {
        System.out.println(
            (round == 0 ? "  peer cold:           " : "  peer warm, round " + round + ":  ")
                + peer.get(round).cpu());
      }
      double base = Math.max(rate(baseline, rows), rate(baselineAgain, rows));
      double[] warmRates = warm.stream().mapToDouble(r -> rate(r, rows)).sorted().toArray();
      System.out.printf(
          Locale.ROOT,
          "ratio sink / best plain COPY: cold %.2f, warm median %.2f (best %.2f, worst %.2f)%n",
          rate(cold, rows) / base,
          warmRates[warmRates.length / 2] / base,
          warmRates[warmRates.length - 1] / base,
          warmRates[0] / base);
      if (peer.size() > 1) {
        double[] peerWarm =
            peer.subList(1, peer.size()).stream()
                .mapToDouble(r -> rate(r, rows))
                .sorted()
                .toArray();
        double peerMedian = peerWarm[peerWarm.length / 2];
        System.out.printf(
            Locale.ROOT,
            "peer (Debezium JDBC sink %s, %s tasks, same messages): cold %.2f, warm median %.2f of"
                + " the best plain COPY; sink / peer: cold %.2f, warm median %.2f%n",
            System.getProperty("benchmark.peer.version", "?"),
            TASKS,
            rate(peer.get(0), rows) / base,
            peerMedian / base,
            rate(cold, rows) / rate(peer.get(0), rows),
            warmRates[warmRates.length / 2] / peerMedian);
      }
      if (UPSERT) {
        System.out.printf(
            Locale.ROOT,
            "ratio sink / staged upsert by hand: inserting, cold %.2f; half the keys there, warm"
                + " median %.2f%n",
            rate(cold, rows) / rate(handInsert, rows),
            warmRates[warmRates.length / 2] / rate(handHalf, rows));
      }
    } finally {
      kafka.stop();
      Files.deleteIfExists(data);
    }
    System.exit(0);
  }

  /** The elapsed time of a run, and where the machine's CPU went meanwhile. */
  private record Result(Duration elapsed, String cpu) {}

  /** Names the JVMs in CPU figures; PostgreSQL backends are named by their command. */
  private static Map<Long, String> processNames(ForkedConnectWorker connect) {
    Map<Long, String> names = new java.util.HashMap<>();
    names.put(ProcessHandle.current().pid(), "broker+driver");
    if (connect != null) {
      names.put(connect.pid(), "worker");
    }
    return names;
  }

  private static double rate(Result result, int rows) {
    return rows / (result.elapsed().toNanos() / 1e9);
  }

  private static void print(String what, Result result, int rows) {
    System.out.printf(
        Locale.ROOT,
        "  %-40s %8.2f s  %,12.0f rows/s%n",
        what,
        result.elapsed().toNanos() / 1e9,
        rate(result, rows));
  }

  private static void writeRows(Path file, int rows) throws IOException {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      for (int i = 0; i < rows; i++) {
        String line =
            i + "\t" + start.plusSeconds(i) + "\tname-" + (i % 1000) + "\t" + (i * 0.25) + "\n";
        out.write(line.getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private static void loadTopic(EmbeddedKafkaCluster kafka, Path data, String topic)
      throws IOException {
    Map<String, Object> settings =
        Map.of(
            "linger.ms",
            20,
            "batch.size",
            262144,
            "compression.type",
            System.getProperty("benchmark.compression", "lz4"));
    try (KafkaProducer<byte[], byte[]> producer = kafka.createProducer(settings);
        var lines = Files.lines(data)) {
      int[] n = {0};
      boolean structs = !FORMAT.equals("text");
      lines.forEach(
          line ->
              producer.send(
                  new ProducerRecord<>(
                      topic,
                      n[0]++ % PARTITIONS,
                      null,
                      (structs ? withSchema(line) : line).getBytes(StandardCharsets.UTF_8))));
      producer.flush();
    }
  }

  /** The schema of a row as JsonConverter (schemas.enable=true) reads it into a Struct. */
  private static final String ROW_SCHEMA =
      "{\"type\":\"struct\",\"fields\":["
          + "{\"field\":\"id\",\"type\":\"int64\"},"
          + "{\"field\":\"at\",\"type\":\"int64\","
          + "\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1},"
          + "{\"field\":\"name\",\"type\":\"string\"},"
          + "{\"field\":\"value\",\"type\":\"double\"}]}";

  /** A text row as a JsonConverter message with its schema: what a Struct-producing topic holds. */
  private static String withSchema(String line) {
    String[] fields = line.split("\t");
    return "{\"schema\":"
        + ROW_SCHEMA
        + ",\"payload\":{\"id\":"
        + fields[0]
        + ",\"at\":"
        + Instant.parse(fields[1]).toEpochMilli()
        + ",\"name\":\""
        + fields[2]
        + "\",\"value\":"
        + fields[3]
        + "}}";
  }

  private static Result baseline(PostgresServer postgres, String db, Path data, int rows)
      throws SQLException, IOException {
    try (Connection c = postgres.connect(db);
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE baseline");
      CpuTime cpuBefore = CpuTime.snapshot(processNames(null));
      long start = System.nanoTime();
      try (InputStream in = Files.newInputStream(data)) {
        long copied =
            c.unwrap(PGConnection.class)
                .getCopyAPI()
                .copyIn("COPY baseline (id, at, name, value) FROM STDIN", in, 1 << 16);
        if (copied != rows) {
          throw new IllegalStateException("baseline copied " + copied);
        }
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      return new Result(elapsed, CpuTime.snapshot(processNames(null)).since(cpuBefore));
    }
  }

  /**
   * The sink's upsert done by hand over pgjdbc: each 20,000 rows COPYed into a temporary table and
   * applied with INSERT ... ON CONFLICT in their own transaction, into an empty table or (as the
   * warm rounds) one holding the even ids. The baseline table holds every row again afterwards.
   */
  private static Result handStagedUpsert(
      PostgresServer postgres, String db, Path data, int rows, boolean empty)
      throws SQLException, IOException {
    try (Connection c = postgres.connect(db);
        Statement s = c.createStatement()) {
      if (empty) {
        s.execute("TRUNCATE baseline");
      } else {
        s.execute("DELETE FROM baseline WHERE id % 2 = 1");
        s.execute("VACUUM ANALYZE baseline");
      }
      s.execute(
          "CREATE TEMPORARY TABLE IF NOT EXISTS stage (id bigint, at timestamptz, name text,"
              + " value float8) ON COMMIT DELETE ROWS");
      c.setAutoCommit(false);
      List<String> lines = Files.readAllLines(data, StandardCharsets.UTF_8);
      CpuTime cpuBefore = CpuTime.snapshot(processNames(null));
      long start = System.nanoTime();
      for (int from = 0; from < lines.size(); from += 20_000) {
        StringBuilder chunk = new StringBuilder();
        for (String line : lines.subList(from, Math.min(lines.size(), from + 20_000))) {
          chunk.append(line).append('\n');
        }
        c.unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn(
                "COPY stage FROM STDIN",
                new java.io.ByteArrayInputStream(
                    chunk.toString().getBytes(StandardCharsets.UTF_8)));
        s.execute(
            "INSERT INTO baseline SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET"
                + " at = EXCLUDED.at, name = EXCLUDED.name, value = EXCLUDED.value");
        c.commit();
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      if (countRows(postgres, db, "SELECT count(*) FROM baseline") != rows) {
        throw new IllegalStateException("the staged upsert by hand lost rows");
      }
      return new Result(elapsed, CpuTime.snapshot(processNames(null)).since(cpuBefore));
    }
  }

  private static String connectorConfig(PostgresServer postgres, String db, String topic) {
    return "{\"connector.class\": \""
        + PipelineSinkConnector.class.getName()
        + "\", \"tasks.max\": \""
        + TASKS
        + "\", \"topics\": \""
        + topic
        + "\", \"stream\": \""
        + topic
        + "\", \"connection.url\": \""
        + postgres.jdbcUrl(db)
        // The connector's and the consumer's defaults (batchsize, max.poll.records 500): what a
        // user runs. -Dbenchmark.sink.config adds settings to try.
        + "\", \"connection.user\": \"postgres\", \"start_offset\": \"-2\""
        + (UPSERT
            ? ", \"insert.mode\": \"upsert\", \"pk.mode\": \"record_value\","
                + " \"pk.fields\": \"id\""
            : "")
        + (FORMAT.equals("text")
            ? ""
            : ", \"format\": \""
                + FORMAT
                + (ENVELOPE_FROM_BYTES
                    ? "\", \"value.converter\":"
                        + " \"org.apache.kafka.connect.converters.ByteArrayConverter\""
                    : "\", \"value.converter\": \"org.apache.kafka.connect.json.JsonConverter\","
                        + " \"value.converter.schemas.enable\": \"true\""))
        + System.getProperty("benchmark.sink.config", "")
        + "}";
  }

  private static Result cold(
      ForkedConnectWorker connect, PostgresServer postgres, String db, int rows) throws Exception {
    CpuTime cpuBefore = CpuTime.snapshot(processNames(connect));
    long start = System.nanoTime();
    BenchmarkWorker.put(
        connect, "connectors/sink-cold/config", connectorConfig(postgres, db, "cold"));
    long firstCommit = awaitCommitted(postgres, db, "cold", rows);
    long end = System.nanoTime();
    System.out.printf(
        Locale.ROOT,
        "  (cold: %.2f s from creating the connector to its first commit, then %.2f s)%n",
        (firstCommit - start) / 1e9,
        (end - firstCommit) / 1e9);
    String cpu = CpuTime.snapshot(processNames(connect)).since(cpuBefore);
    checkRows(postgres, db, "cold", rows);
    return new Result(Duration.ofNanos(end - start), cpu);
  }

  /**
   * Warm rounds on one connector: each empties the table and loads the topic while the connector is
   * paused, then times resume until the offsets cover every row so far. One round alone varies by
   * tens of percent on a shared 2-core machine (a collector cycle, the broker's own work), so
   * several are printed.
   */
  private static List<Result> warm(
      ForkedConnectWorker connect,
      EmbeddedKafkaCluster kafka,
      Path data,
      PostgresServer postgres,
      String db,
      int rows,
      int rounds)
      throws Exception {
    BenchmarkWorker.put(
        connect, "connectors/sink-warm/config", connectorConfig(postgres, db, "warm"));
    // Running once every partition has its start saved; then paused while the topic fills.
    while (savedStarts(postgres, db, "warm") < PARTITIONS) {
      Thread.sleep(20);
    }
    List<Result> results = new java.util.ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      pause(connect, "sink-warm");
      prepareRound(postgres, db, "warm");
      loadTopic(kafka, data, "warm");
      CpuTime cpuBefore = CpuTime.snapshot(processNames(connect));
      long start = System.nanoTime();
      BenchmarkWorker.put(connect, "connectors/sink-warm/resume", "");
      awaitCommitted(postgres, db, "warm", rows * round);
      long end = System.nanoTime();
      String cpu = CpuTime.snapshot(processNames(connect)).since(cpuBefore);
      checkRows(postgres, db, "warm", rows);
      results.add(new Result(Duration.ofNanos(end - start), cpu));
    }
    return results;
  }

  /**
   * Debezium's JDBC sink on the same messages: a cold connector on the loaded topic, then warm
   * rounds as the sink's (paused, table emptied, topic loaded, resumed), each timed until the table
   * holds every row (the peer keeps no offsets in the database). The first result is the cold one.
   */
  private static List<Result> peer(
      ForkedConnectWorker connect,
      EmbeddedKafkaCluster kafka,
      Path data,
      PostgresServer postgres,
      String db,
      int rows,
      int rounds)
      throws Exception {
    List<Result> results = new java.util.ArrayList<>();
    loadTopic(kafka, data, "peer");
    results.add(
        peerRun(connect, postgres, db, rows, "connectors/peer/config", peerConfig(postgres, db)));
    for (int round = 1; round <= rounds; round++) {
      pause(connect, "peer");
      prepareRound(postgres, db, "peer");
      loadTopic(kafka, data, "peer");
      results.add(peerRun(connect, postgres, db, rows, "connectors/peer/resume", ""));
    }
    return results;
  }

  /**
   * Empties a warm round's table, as the baseline's (a growing table drew autovacuum in); for
   * upserts it then holds half the keys, the even ids, with the baseline's values.
   */
  private static void prepareRound(PostgresServer postgres, String db, String table)
      throws SQLException {
    try (Connection c = postgres.connect(db);
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE " + table);
      if (UPSERT) {
        s.execute("INSERT INTO " + table + " SELECT * FROM baseline WHERE id % 2 = 0");
        s.execute("VACUUM ANALYZE " + table);
      }
    }
  }

  /** One peer run: the REST call that starts it, timed until its table holds every row. */
  private static Result peerRun(
      ForkedConnectWorker connect,
      PostgresServer postgres,
      String db,
      int rows,
      String path,
      String body)
      throws Exception {
    CpuTime cpuBefore = CpuTime.snapshot(processNames(connect));
    long start = System.nanoTime();
    BenchmarkWorker.put(connect, path, body);
    awaitRows(postgres, db, "peer", rows);
    long end = System.nanoTime();
    Result result =
        new Result(
            Duration.ofNanos(end - start),
            CpuTime.snapshot(processNames(connect)).since(cpuBefore));
    checkPeerRows(postgres, db, rows);
    return result;
  }

  /** Pauses the connector and waits until it and its tasks say PAUSED. */
  private static void pause(ForkedConnectWorker connect, String connector) throws Exception {
    BenchmarkWorker.put(connect, "connectors/" + connector + "/pause", "");
    while (true) {
      String status = BenchmarkWorker.get(connect, "connectors/" + connector + "/status");
      if (status.contains("PAUSED") && !status.contains("RUNNING")) {
        return;
      }
      Thread.sleep(20);
    }
  }

  private static String peerConfig(PostgresServer postgres, String db) {
    String url = postgres.jdbcUrl(db);
    return "{\"connector.class\": \"io.debezium.connector.jdbc.JdbcSinkConnector\","
        + " \"tasks.max\": \""
        + TASKS
        + "\", \"topics\": \"peer\", \"connection.url\": \""
        + url
        + (url.contains("?") ? "&" : "?")
        + "reWriteBatchedInserts=true\", \"connection.username\": \"postgres\","
        + " \"connection.password\": \"\", "
        + (UPSERT
            ? "\"insert.mode\": \"upsert\", \"primary.key.mode\": \"record_value\","
                + " \"primary.key.fields\": \"id\","
            : "\"insert.mode\": \"insert\", \"primary.key.mode\": \"none\",")
        + " \"schema.evolution\": \"none\","
        + " \"collection.name.format\": \"peer\", \"batch.size\": \"10000\","
        + " \"use.time.zone\": \"UTC\", \"consumer.override.max.poll.records\": \"10000\","
        + " \"consumer.override.fetch.max.bytes\": \"52428800\","
        + " \"value.converter\": \"org.apache.kafka.connect.json.JsonConverter\","
        + " \"value.converter.schemas.enable\": \"true\"}";
  }

  /** The peer's rows: counted, and their values printed if they differ from the baseline's. */
  private static void checkPeerRows(PostgresServer postgres, String db, int rows)
      throws SQLException {
    try {
      checkRows(postgres, db, "peer", rows);
    } catch (IllegalStateException e) {
      System.out.println("  (peer: " + e.getMessage() + ")");
    }
  }

  /** Waits until the table holds at least {@code rows} rows, asking on one connection. */
  private static void awaitRows(PostgresServer postgres, String db, String table, int rows)
      throws Exception {
    try (Connection c = postgres.connect(db);
        Statement s = c.createStatement()) {
      while (true) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
          rs.next();
          if (rs.getLong(1) >= rows) {
            return;
          }
        }
        Thread.sleep(100);
      }
    }
  }

  /**
   * Waits until the connector's offsets cover {@code rows} rows; returns the first commit time.
   * Asks on one connection: a new one every 10 ms would fork a PostgreSQL backend each time and
   * take the CPU the run is measuring.
   */
  private static long awaitCommitted(PostgresServer postgres, String db, String topic, int rows)
      throws Exception {
    long firstCommit = 0;
    Connection c = null;
    try {
      while (true) {
        long committed;
        try {
          if (c == null) {
            c = postgres.connect(db);
          }
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "SELECT coalesce(sum(next_offset), 0) FROM pipeline_connect.sink_offsets"
                          + " WHERE topic = '"
                          + topic
                          + "'")) {
            rs.next();
            committed = rs.getLong(1);
          }
        } catch (SQLException notYetCreated) {
          // The first task creates the offsets table.
          committed = -1;
        }
        if (firstCommit == 0 && committed > 0) {
          firstCommit = System.nanoTime();
        }
        if (committed >= rows) {
          return firstCommit;
        }
        Thread.sleep(10);
      }
    } finally {
      if (c != null) {
        c.close();
      }
    }
  }

  private static long savedStarts(PostgresServer postgres, String db, String topic) {
    try {
      return countRows(
          postgres,
          db,
          "SELECT count(*) FROM pipeline_connect.sink_offsets WHERE topic = '" + topic + "'");
    } catch (SQLException notYetCreated) {
      return 0;
    }
  }

  private static void checkRows(PostgresServer postgres, String db, String table, int rows)
      throws SQLException {
    long written = countRows(postgres, db, "SELECT count(*) FROM " + table);
    if (written != rows) {
      throw new IllegalStateException("sink wrote " + written + " rows into " + table);
    }
    // The same values as the baseline's, whatever the format took them through.
    String sums = "SELECT sum(id), sum(value), min(at), max(at), count(DISTINCT name) FROM ";
    List<String> expected = firstRow(postgres, db, sums + "baseline");
    List<String> actual = firstRow(postgres, db, sums + table);
    if (!expected.equals(actual)) {
      throw new IllegalStateException(table + " holds " + actual + ", baseline " + expected);
    }
  }

  /** The first row of a query, each column as text. */
  private static List<String> firstRow(PostgresServer postgres, String db, String sql)
      throws SQLException {
    try (Connection c = postgres.connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      List<String> row = new java.util.ArrayList<>();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        row.add(rs.getString(i));
      }
      return row;
    }
  }

  private static long countRows(PostgresServer postgres, String db, String sql)
      throws SQLException {
    return Long.parseLong(firstRow(postgres, db, sql).get(0));
  }
}
