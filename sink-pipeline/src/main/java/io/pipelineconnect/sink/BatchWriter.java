package io.pipelineconnect.sink;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * How a batch's rows reach their targets, inside the transaction that also saves the batch's
 * offsets. Chosen once, when the task starts: {@link AppendWriter} (COPY) today; an upsert writer
 * is the next. A writer may start sending rows while the batch still fills; the task tells it when
 * rows arrive, when it needs the connection for a query, and when the transaction is gone.
 */
interface BatchWriter {

  /** Runs an empty write into a fixed target at start, so its options fail before any record. */
  void check(Connection db, TargetTable target) throws SQLException;

  /** Rows were added to {@code rows}, the batch's first target: the writer may send them now. */
  void rowsAdded(Connection db, TargetRows rows);

  /** A put() ended with rows buffered: send them, so the database works while Connect polls. */
  void putEnded(Connection db, TargetRows first);

  /**
   * Ends what is in flight on the connection, before another statement runs on it.
   *
   * @return the rows written by it (marked written in their {@link TargetRows})
   */
  long finishInFlight() throws SQLException;

  /**
   * Writes the target's rows not yet written, isolating the rows the database refuses.
   *
   * @return the rows written
   */
  long write(Connection db, TargetRows target, CopyWriter.RejectedRowHandler onRejected)
      throws SQLException;

  /** The transaction rolled back or the connection closed: nothing in flight was written. */
  void transactionLost();

  /** The batch was committed or dropped: the next one starts afresh. */
  void batchDone();
}
