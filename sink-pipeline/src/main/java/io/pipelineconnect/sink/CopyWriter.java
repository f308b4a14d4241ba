package io.pipelineconnect.sink;

import io.pipelineconnect.sink.copy.RowBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies one target's buffered rows with COPY, inside the caller's transaction, leaving out rows
 * the database refuses.
 *
 * <p>Rows go in chunks, each under a savepoint. When a chunk fails on a data error, the row to
 * blame is found from the error's {@code CONTEXT} ("COPY t, line N"), or by bisection where that
 * line cannot be read (its wording follows {@code lc_messages}); it is handed to the {@link
 * RejectedRowHandler} and the chunk is copied again without it. Into a PipelineDB stream, which
 * ignores transactions, chunks are never larger than {@code pipelinedb.batch_size}: a failed COPY
 * that small leaves nothing behind, so the retry adds no duplicates.
 */
final class CopyWriter {
  private static final Logger log = LoggerFactory.getLogger(CopyWriter.class);
  private static final Pattern COPY_LINE = Pattern.compile("COPY .*?, line (\\d+)");
  private static final int WRITE_SLICE = 1 << 20;

  /** Receives each row the database refused, with the database's reason. */
  interface RejectedRowHandler {
    void rejected(TargetRows target, int row, String reason);
  }

  private final RowEncoder encoder;
  private final int streamChunkLimit;

  /**
   * @param streamChunkLimit the most rows one COPY may send into a PipelineDB stream
   */
  CopyWriter(RowEncoder encoder, int streamChunkLimit) {
    this.encoder = encoder;
    this.streamChunkLimit = streamChunkLimit;
  }

  /** Runs an empty COPY into the target: checks the column list and COPY options up front. */
  void check(Connection connection, TargetTable target) throws SQLException {
    CopyIn in = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(copyStatement(target));
    writeHeader(in);
    end(in);
  }

  /** Sends what the encoder's COPY needs before its rows (binary COPY's signature): call first. */
  void writeHeader(CopyIn in) throws SQLException {
    writeAll(in, encoder.copyHeader());
  }

  /** Sends what the encoder's COPY needs after its rows and ends it: the rows the server read. */
  long end(CopyIn in) throws SQLException {
    writeAll(in, encoder.copyTrailer());
    return in.endCopy();
  }

  private static void writeAll(CopyIn in, byte[] bytes) throws SQLException {
    if (bytes.length > 0) {
      in.writeToCopy(bytes, 0, bytes.length);
    }
  }

  /** The COPY statement for the target, with the encoder's options. */
  String copyStatement(TargetTable target) {
    return target.copyStatement(encoder.withClause(target));
  }

  /**
   * Copies the target's rows that are not rejected yet, rejecting any the database refuses.
   *
   * @return the number of rows written
   * @throws SQLException for anything but a refused row (connection lost, permissions ...): the
   *     caller rolls back and retries or fails
   */
  long write(Connection connection, TargetRows target, RejectedRowHandler onRejected)
      throws SQLException {
    return write(connection, target, target.target(), onRejected);
  }

  /** The same, copying the rows into {@code into} (a staging table of the rows' target) instead. */
  long write(
      Connection connection, TargetRows target, TargetTable into, RejectedRowHandler onRejected)
      throws SQLException {
    String sql = copyStatement(into);
    CopyManager copy = connection.unwrap(PGConnection.class).getCopyAPI();
    List<Integer> rows = target.candidateRows();
    int chunkLimit = target.target().pipelineDbStream() ? streamChunkLimit : Integer.MAX_VALUE;
    long written = 0;
    for (int from = 0; from < rows.size(); from += chunkLimit) {
      List<Integer> chunk =
          new ArrayList<>(rows.subList(from, Math.min(rows.size(), from + chunkLimit)));
      written += writeChunk(connection, copy, sql, target, chunk, onRejected);
    }
    return written;
  }

  private long writeChunk(
      Connection connection,
      CopyManager copy,
      String sql,
      TargetRows target,
      List<Integer> chunk,
      RejectedRowHandler onRejected)
      throws SQLException {
    while (!chunk.isEmpty()) {
      Savepoint savepoint = connection.setSavepoint();
      Attempt attempt = attempt(copy, sql, target.rows(), chunk);
      if (attempt.ok()) {
        connection.releaseSavepoint(savepoint);
        return attempt.rows();
      }
      connection.rollback(savepoint);
      failUnlessRecordsFault(connection, target, attempt);
      Optional<Integer> blamed =
          attempt
              .error()
              .flatMap(e -> lineOf(e, Integer.MAX_VALUE))
              .flatMap(line -> indexAtLine(target.rows(), chunk, line));
      if (blamed.isPresent()) {
        int row = chunk.remove((int) blamed.get());
        target.reject(row);
        onRejected.rejected(target, row, attempt.reason());
      } else if (target.target().pipelineDbStream()) {
        // A stream keeps whatever a successful COPY sent, so probes would duplicate rows: send
        // the rest one row at a time, for real, and reject the ones that fail.
        return writeRowByRow(connection, copy, sql, target, chunk, onRejected);
      } else {
        List<Integer> bad = bisect(connection, copy, sql, target, chunk);
        if (bad.isEmpty()) {
          // Every row is fine alone and the chunk fails as a whole: rows that fail together (the
          // same key twice, say). The first row whose prefix fails is the later of them.
          int prefix = firstFailingPrefix(connection, copy, sql, target, chunk);
          if (prefix == 0) {
            continue; // the chunk passes now: copy it for real
          }
          int row = chunk.remove(prefix - 1);
          target.reject(row);
          onRejected.rejected(
              target,
              row,
              "refused together with an earlier row of the batch: " + attempt.reason());
          continue;
        }
        for (int row : bad) {
          chunk.remove(Integer.valueOf(row));
          target.reject(row);
          onRejected.rejected(target, row, reasonFor(connection, copy, sql, target, row));
        }
      }
    }
    return 0;
  }

  private long writeRowByRow(
      Connection connection,
      CopyManager copy,
      String sql,
      TargetRows target,
      List<Integer> chunk,
      RejectedRowHandler onRejected)
      throws SQLException {
    long written = 0;
    for (int row : chunk) {
      Savepoint savepoint = connection.setSavepoint();
      Attempt attempt = attempt(copy, sql, target.rows(), List.of(row));
      if (attempt.ok()) {
        connection.releaseSavepoint(savepoint);
        written += attempt.rows();
      } else {
        connection.rollback(savepoint);
        failUnlessRecordsFault(connection, target, attempt);
        target.reject(row);
        onRejected.rejected(target, row, attempt.reason());
      }
    }
    chunk.clear();
    return written;
  }

  /** The rows of {@code chunk} that fail on their own (each probe rolled back). */
  private List<Integer> bisect(
      Connection connection, CopyManager copy, String sql, TargetRows target, List<Integer> chunk)
      throws SQLException {
    List<Integer> bad = new ArrayList<>();
    if (chunk.isEmpty()) {
      return bad;
    }
    Savepoint savepoint = connection.setSavepoint();
    Attempt attempt = attempt(copy, sql, target.rows(), chunk);
    connection.rollback(savepoint);
    if (attempt.ok()) {
      return bad;
    }
    failUnlessRecordsFault(connection, target, attempt);
    if (chunk.size() == 1) {
      bad.add(chunk.get(0));
      return bad;
    }
    int half = chunk.size() / 2;
    bad.addAll(bisect(connection, copy, sql, target, new ArrayList<>(chunk.subList(0, half))));
    bad.addAll(
        bisect(connection, copy, sql, target, new ArrayList<>(chunk.subList(half, chunk.size()))));
    return bad;
  }

  /**
   * The length of the shortest prefix of the chunk that COPY refuses (each probe rolled back), or 0
   * if the whole chunk passes. The empty prefix passes, and a failing prefix keeps failing when
   * rows are added, so a binary search finds it in about log2(n) probes.
   */
  private int firstFailingPrefix(
      Connection connection, CopyManager copy, String sql, TargetRows target, List<Integer> chunk)
      throws SQLException {
    int passes = 0;
    int fails = chunk.size();
    Savepoint whole = connection.setSavepoint();
    Attempt all = attempt(copy, sql, target.rows(), chunk);
    connection.rollback(whole);
    if (all.ok()) {
      return 0;
    }
    failUnlessRecordsFault(connection, target, all);
    while (fails - passes > 1) {
      int middle = (passes + fails) >>> 1;
      Savepoint savepoint = connection.setSavepoint();
      Attempt attempt = attempt(copy, sql, target.rows(), chunk.subList(0, middle));
      connection.rollback(savepoint);
      if (attempt.ok()) {
        passes = middle;
      } else {
        failUnlessRecordsFault(connection, target, attempt);
        fails = middle;
      }
    }
    return fails;
  }

  private String reasonFor(
      Connection connection, CopyManager copy, String sql, TargetRows target, int row)
      throws SQLException {
    Savepoint savepoint = connection.setSavepoint();
    Attempt attempt = attempt(copy, sql, target.rows(), List.of(row));
    connection.rollback(savepoint);
    return attempt.reason();
  }

  /** One COPY of the given rows; a data error or a row count other than expected is a failure. */
  private Attempt attempt(CopyManager copy, String sql, RowBuffer buffer, List<Integer> rows)
      throws SQLException {
    CopyIn in = copy.copyIn(sql);
    try {
      writeHeader(in);
      int i = 0;
      while (i < rows.size()) {
        // Send runs of adjacent rows as one slice: the common case is one run, the whole buffer.
        int first = rows.get(i);
        int last = first;
        while (i + 1 < rows.size() && rows.get(i + 1) == last + 1) {
          last = rows.get(++i);
        }
        i++;
        int start = buffer.rowStart(first);
        int end = buffer.rowEnd(last);
        for (int at = start; at < end; at += WRITE_SLICE) {
          in.writeToCopy(buffer.array(), at, Math.min(WRITE_SLICE, end - at));
        }
      }
      long copied = end(in);
      if (copied != rows.size()) {
        return new Attempt(
            false,
            copied,
            Optional.empty(),
            "COPY read " + copied + " rows from " + rows.size() + " records");
      }
      return new Attempt(true, copied, Optional.empty(), null);
    } catch (PSQLException e) {
      if (in.isActive()) {
        try {
          in.cancelCopy();
        } catch (SQLException ignored) {
          // The COPY already failed; the connection reports the first error.
        }
      }
      return new Attempt(false, 0, Optional.of(e), e.getMessage());
    }
  }

  private record Attempt(boolean ok, long rows, Optional<SQLException> error, String reason) {}

  /**
   * Throws the attempt's error unless a row is to blame for it ({@link DatabaseErrors}): then the
   * caller rolls back and retries the batch, or fails. A short row count is a row's fault.
   */
  private static void failUnlessRecordsFault(
      Connection connection, TargetRows target, Attempt attempt) throws SQLException {
    if (attempt.error().isPresent()
        && !DatabaseErrors.isRecordsFault(attempt.error().get(), connection, target.target())) {
      throw attempt.error().get();
    }
  }

  /**
   * The index in {@code chunk} of the row holding the 1-based COPY input line, or empty if the
   * chunk has fewer lines. PostgreSQL counts each line break inside csv quotes as a line, so a row
   * spans one line plus the line breaks before its own terminating one; binary rows are one each.
   */
  Optional<Integer> indexAtLine(RowBuffer rows, List<Integer> chunk, int line) {
    if (!encoder.rowsAreLines()) {
      return line <= chunk.size() ? Optional.of(line - 1) : Optional.empty();
    }
    byte[] bytes = rows.array();
    int lastLine = 0;
    for (int index = 0; index < chunk.size(); index++) {
      int row = chunk.get(index);
      int end = rows.rowEnd(row) - 1; // the terminating line break
      lastLine++;
      for (int at = rows.rowStart(row); at < end; at++) {
        if (bytes[at] == '\n') {
          lastLine++;
        }
      }
      if (line <= lastLine) {
        return Optional.of(index);
      }
    }
    return Optional.empty();
  }

  /**
   * The 1-based line of the COPY input the error blames, if the message says and it is in range.
   */
  static Optional<Integer> lineOf(SQLException e, int lines) {
    if (!(e instanceof PSQLException psql) || psql.getServerErrorMessage() == null) {
      return Optional.empty();
    }
    String where = psql.getServerErrorMessage().getWhere();
    if (where == null) {
      return Optional.empty();
    }
    Matcher matcher = COPY_LINE.matcher(where);
    if (!matcher.find()) {
      return Optional.empty();
    }
    try {
      int line = Integer.parseInt(matcher.group(1));
      if (line >= 1 && line <= lines) {
        return Optional.of(line);
      }
    } catch (NumberFormatException ignored) {
      // Fall back to bisection.
    }
    log.debug("COPY error names line outside the chunk: {}", where);
    return Optional.empty();
  }
}
