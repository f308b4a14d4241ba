package io.pipelineconnect.sink;

import io.pipelineconnect.sink.copy.RowBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a batch's rows into an open COPY while the batch is still filling, so PostgreSQL parses
 * rows while the task consumes the next ones instead of waiting for the whole batch.
 *
 * <p>It is an optimistic first attempt, not a second write path: the rows stay buffered in their
 * {@link TargetRows}, and when this COPY fails (a bad row, a short row count) it is rolled back to
 * its savepoint and {@link CopyWriter} writes the batch as if nothing had been streamed, isolating
 * the bad rows. Only what {@link #finish()} confirms is marked written.
 *
 * <p>One COPY at a time per connection: it carries the rows of the batch's first target (the common
 * case has only one); other targets are copied at flush. PipelineDB streams are left to {@link
 * CopyWriter}, which caps their COPYs at {@code pipelinedb.batch_size}. Nothing else may run on the
 * connection while the COPY is open, so callers {@link #finish()} before any query.
 */
final class StreamingCopy {
  private static final Logger log = LoggerFactory.getLogger(StreamingCopy.class);

  /** Unsent bytes worth a send: small enough to keep the server busy, large enough to be cheap. */
  private static final int SEND_THRESHOLD = 64 * 1024;

  private final CopyWriter writer;

  private Connection connection;
  private TargetRows target;
  private CopyIn copy;
  private Savepoint savepoint;
  private int sentRows;
  private int sentBytes;
  private SQLException broken;

  /** Set once this batch's COPY ended (or never should start): no more streaming until reset. */
  private boolean doneForBatch;

  StreamingCopy(CopyWriter writer) {
    this.writer = writer;
  }

  /**
   * Sends the rows added to {@code rows} since the last send once enough have gathered, opening the
   * COPY on the first call of a batch. Never throws: a failure is kept for {@link #finish()}, which
   * the flush calls, so the task's retry handling stays in one place.
   */
  void sendIfWorthIt(Connection db, TargetRows rows) {
    if (rows.rows().byteCount() - sentBytes >= SEND_THRESHOLD) {
      send(db, rows);
    }
  }

  /** Sends every row added to {@code rows} since the last send. */
  void send(Connection db, TargetRows rows) {
    if (doneForBatch || broken != null) {
      return;
    }
    try {
      if (copy == null && !open(db, rows)) {
        return;
      }
      if (rows == target) {
        write();
      }
    } catch (SQLException e) {
      // pgjdbc reads the server's answer only at endCopy, so this is the connection failing:
      // finish() rethrows it, and the flush's retry handling takes over.
      broken = e;
    }
  }

  private boolean open(Connection db, TargetRows rows) throws SQLException {
    if (rows.target().pipelineDbStream() || rows.rejectedCount() > 0 || rows.writtenRows() > 0) {
      doneForBatch = true;
      return false;
    }
    savepoint = db.setSavepoint();
    copy = db.unwrap(PGConnection.class).getCopyAPI().copyIn(writer.copyStatement(rows.target()));
    writer.writeHeader(copy);
    connection = db;
    target = rows;
    sentRows = 0;
    sentBytes = 0;
    return true;
  }

  private void write() throws SQLException {
    RowBuffer buffer = target.rows();
    int rowCount = buffer.rowCount();
    if (rowCount == sentRows) {
      return;
    }
    int end = buffer.rowEnd(rowCount - 1);
    copy.writeToCopy(buffer.array(), sentBytes, end - sentBytes);
    copy.flushCopy();
    sentRows = rowCount;
    sentBytes = end;
  }

  /**
   * Ends the open COPY after sending what is left. On success the rows are in the transaction and
   * marked written in their {@link TargetRows}; on a data error or a short row count they are
   * rolled back to the savepoint, for {@link CopyWriter} to write with bad-row isolation.
   *
   * @return the number of rows written by this COPY (0 when there was none or it fell back)
   * @throws SQLException when the connection or the server failed: the caller rolls back and
   *     retries
   */
  long finish() throws SQLException {
    SQLException failure = broken;
    CopyIn open = copy;
    if (failure == null && open == null) {
      // Nothing streamed yet (a catalog lookup before the first row, say): streaming may start.
      return 0;
    }
    doneForBatch = true;
    broken = null;
    copy = null;
    if (failure != null) {
      throw failure;
    }
    String reason;
    try {
      copy = open;
      write();
      long copied = writer.end(open);
      if (copied == sentRows) {
        connection.releaseSavepoint(savepoint);
        target.markWritten(sentRows);
        return copied;
      }
      reason = "COPY read " + copied + " rows from " + sentRows + " records";
    } catch (PSQLException e) {
      if (!DatabaseErrors.mayBeRecordsFault(e)) {
        throw e;
      }
      reason = e.getMessage();
    } finally {
      copy = null;
    }
    // A row the database refuses, or one record that made several rows: CopyWriter finds it.
    log.debug("Streamed COPY into {} falls back to CopyWriter: {}", target.target().name(), reason);
    if (open.isActive()) {
      open.cancelCopy();
    }
    connection.rollback(savepoint);
    return 0;
  }

  /**
   * The connection closed or the transaction rolled back with the batch kept for a retry: whatever
   * this batch streamed is gone, so it is no longer marked written, and {@link CopyWriter} writes
   * it. Touches no connection.
   */
  void transactionLost() {
    if (target != null) {
      target.markWritten(0);
    }
    copy = null;
    broken = null;
    doneForBatch = true;
  }

  /** Ready for the next batch. */
  void reset() {
    copy = null;
    broken = null;
    target = null;
    connection = null;
    doneForBatch = false;
  }
}
