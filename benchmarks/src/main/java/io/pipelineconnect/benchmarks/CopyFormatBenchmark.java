package io.pipelineconnect.benchmarks;

import io.pipelineconnect.testsupport.PostgresServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Locale;
import org.postgresql.PGConnection;

/**
 * What PostgreSQL spends on the same rows in text and in binary COPY: wall time and the backend's
 * own CPU seconds, three rounds each. Tells whether a binary COPY path for structured records would
 * pay (the sink's text and csv formats pass messages through as they are and stay text). Prints
 * figures; asserts nothing.
 *
 * <p>{@code ./mvnw -B -ntp -Pbenchmark -DskipTests -pl benchmarks -am verify
 * -Dbenchmark.main=io.pipelineconnect.benchmarks.CopyFormatBenchmark}
 */
public final class CopyFormatBenchmark {
  /** PostgreSQL's epoch, 2000-01-01, in microseconds after the Unix epoch. */
  private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    byte[] text = textRows(rows);
    byte[] binary = binaryRows(rows);
    try (PostgresServer postgres = PostgresServer.builder().start()) {
      String db = postgres.createDatabase();
      try (Connection c = postgres.connect(db);
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE rows (id bigint, at timestamptz, name text, value float8)");
        int backend;
        try (ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
          rs.next();
          backend = rs.getInt(1);
        }
        System.out.println();
        System.out.printf(
            Locale.ROOT,
            "COPY format benchmark: %,d narrow rows (bigint, timestamptz, text, float8);"
                + " text %,d bytes, binary %,d bytes%n",
            rows,
            text.length,
            binary.length);
        for (int round = 1; round <= 3; round++) {
          copy(c, backend, "text", "COPY rows FROM STDIN", text, rows);
          copy(c, backend, "binary", "COPY rows FROM STDIN (FORMAT binary)", binary, rows);
        }
      }
    }
    System.exit(0);
  }

  private static void copy(
      Connection c, int backend, String format, String sql, byte[] data, int rows)
      throws SQLException, IOException {
    try (Statement s = c.createStatement()) {
      s.execute("TRUNCATE rows");
    }
    long cpuBefore = cpuTicks(backend);
    long start = System.nanoTime();
    long copied =
        c.unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn(sql, new ByteArrayInputStream(data), 1 << 16);
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpu = (cpuTicks(backend) - cpuBefore) / 100.0;
    if (copied != rows) {
      throw new IllegalStateException(format + " COPY wrote " + copied + " rows");
    }
    System.out.printf(
        Locale.ROOT,
        "  %-6s %6.2f s  %,10.0f rows/s  backend CPU %5.2f s%n",
        format,
        seconds,
        rows / seconds,
        cpu);
  }

  private static byte[] textRows(int rows) {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < rows; i++) {
      String line =
          i + "\t" + start.plusSeconds(i) + "\tname-" + (i % 1000) + "\t" + (i * 0.25) + "\n";
      out.writeBytes(line.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  /** The same rows in COPY's binary format: header, per row a field count and sized fields. */
  private static byte[] binaryRows(int rows) throws IOException {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1));
    out.writeInt(0); // flags
    out.writeInt(0); // header extension length
    for (int i = 0; i < rows; i++) {
      out.writeShort(4);
      out.writeInt(8);
      out.writeLong(i);
      out.writeInt(8);
      out.writeLong(start.plusSeconds(i).getEpochSecond() * 1_000_000L - POSTGRES_EPOCH_MICROS);
      byte[] name = ("name-" + (i % 1000)).getBytes(StandardCharsets.UTF_8);
      out.writeInt(name.length);
      out.write(name);
      out.writeInt(8);
      out.writeDouble(i * 0.25);
    }
    out.writeShort(-1); // trailer
    return bytes.toByteArray();
  }

  /** The process's user and system CPU time in clock ticks (1/100 s), from /proc. */
  private static long cpuTicks(int pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }
}
