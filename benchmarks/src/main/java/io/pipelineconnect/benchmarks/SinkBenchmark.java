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
 * <p>Loads a topic with N narrow rows (bigint, timestamptz, text, float8) in text format, then
 * measures: (1) baseline, {@code COPY ... FROM STDIN} of the same rows from a file over pgjdbc; (2)
 * the whole sink path, from creating the connector on a loaded topic until the offsets table says
 * every row is committed, on a Connect worker in its own JVM with a 512 MiB heap, at batchsize
 * 10,000. Prints rows/s and the ratio; asserts nothing.
 */
public final class SinkBenchmark {
  private static final int PARTITIONS = 4;

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    Path data = Files.createTempFile("sink-benchmark-", ".tsv");
    writeRows(data, rows);

    Properties broker = new Properties();
    EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, broker);
    kafka.start();
    try (PostgresServer postgres = PostgresServer.builder().start()) {
      String db = postgres.createDatabase();
      try (Connection c = postgres.connect(db);
          Statement s = c.createStatement()) {
        for (String table : List.of("baseline", "sink")) {
          s.execute(
              "CREATE TABLE " + table + " (id bigint, at timestamptz, name text, value float8)");
        }
      }

      loadTopic(kafka, data, "bench");
      Result baseline = baseline(postgres, db, data, rows);
      Result sink = sink(kafka, postgres, db, rows);
      Result baselineAgain = baseline(postgres, db, data, rows);

      System.out.println();
      System.out.println(
          "Sink benchmark: "
              + rows
              + " narrow rows (bigint, timestamptz, text, float8), text format");
      print("plain COPY FROM STDIN (before)", baseline, rows);
      print("sink, batchsize 10000, 512 MiB worker", sink, rows);
      print("plain COPY FROM STDIN (after)", baselineAgain, rows);
      double base = Math.max(rate(baseline, rows), rate(baselineAgain, rows));
      System.out.printf(
          Locale.ROOT, "ratio sink / best plain COPY: %.2f%n", rate(sink, rows) / base);
    } finally {
      kafka.stop();
      Files.deleteIfExists(data);
    }
    System.exit(0);
  }

  private record Result(Duration elapsed) {}

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
    kafka.createTopic(topic, PARTITIONS);
    Map<String, Object> settings =
        Map.of("linger.ms", 20, "batch.size", 262144, "compression.type", "lz4");
    try (KafkaProducer<byte[], byte[]> producer = kafka.createProducer(settings);
        var lines = Files.lines(data)) {
      int[] n = {0};
      lines.forEach(
          line ->
              producer.send(
                  new ProducerRecord<>(
                      topic, n[0]++ % PARTITIONS, null, line.getBytes(StandardCharsets.UTF_8))));
      producer.flush();
    }
  }

  private static Result baseline(PostgresServer postgres, String db, Path data, int rows)
      throws SQLException, IOException {
    try (Connection c = postgres.connect(db);
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE baseline");
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
      return new Result(Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private static Result sink(
      EmbeddedKafkaCluster kafka, PostgresServer postgres, String db, int rows) throws Exception {
    try (ForkedConnectWorker connect =
        BenchmarkWorker.start(
            kafka.bootstrapServers(),
            System.getProperty("benchmark.worker.jvm", "-Dbenchmark=true"))) {
      String config =
          "{\"connector.class\": \""
              + PipelineSinkConnector.class.getName()
              + "\", \"tasks.max\": \"2\", \"topics\": \"bench\", \"stream\": \"sink\","
              + " \"connection.url\": \""
              + postgres.jdbcUrl(db)
              + "\", \"connection.user\": \"postgres\", \"start_offset\": \"-2\","
              + " \"batchsize\": \"10000\", \"consumer.override.max.poll.records\": \"10000\","
              + " \"consumer.override.fetch.max.bytes\": \"52428800\"}";
      long start = System.nanoTime();
      BenchmarkWorker.put(connect, "connectors/sink-bench/config", config);
      long firstCommit = 0;
      try (Connection c = postgres.connect(db);
          Statement s = c.createStatement()) {
        while (true) {
          try (ResultSet rs =
              s.executeQuery(
                  "SELECT coalesce(sum(next_offset), 0) FROM pipeline_connect.sink_offsets")) {
            rs.next();
            if (firstCommit == 0 && rs.getLong(1) > 0) {
              firstCommit = System.nanoTime();
            }
            if (rs.getLong(1) >= rows) {
              break;
            }
          } catch (SQLException notYetCreated) {
            // The first task creates the offsets table.
          }
          Thread.sleep(20);
        }
      }
      long end = System.nanoTime();
      Duration elapsed = Duration.ofNanos(end - start);
      System.out.printf(
          Locale.ROOT,
          "  (sink: %.2f s from creating the connector to its first commit, then %.2f s)%n",
          (firstCommit - start) / 1e9,
          (end - firstCommit) / 1e9);
      try (Connection c = postgres.connect(db);
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM sink")) {
        rs.next();
        if (rs.getLong(1) != rows) {
          throw new IllegalStateException("sink wrote " + rs.getLong(1) + " rows");
        }
      }
      return new Result(elapsed);
    }
  }
}
