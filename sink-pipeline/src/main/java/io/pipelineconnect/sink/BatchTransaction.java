package io.pipelineconnect.sink;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one batch and its offsets in one transaction, after locking the partitions' offset rows
 * and checking they are where this task left them: a batch whose COMMIT went through although its
 * answer was lost is not written again, and a task that lost its partitions (a zombie) backs off.
 */
final class BatchTransaction {
  private static final Logger log = LoggerFactory.getLogger(BatchTransaction.class);

  private final SinkSession session;
  private final BatchWriter writer;
  private final OffsetStore offsets;
  private final PartitionPositions positions;
  private final BadRecords badRecords;
  private final SinkTaskMetrics metrics;

  BatchTransaction(
      SinkSession session,
      BatchWriter writer,
      OffsetStore offsets,
      PartitionPositions positions,
      BadRecords badRecords,
      SinkTaskMetrics metrics) {
    this.session = session;
    this.writer = writer;
    this.offsets = offsets;
    this.positions = positions;
    this.badRecords = badRecords;
    this.metrics = metrics;
  }

  /**
   * How a cycle moves the task's partition positions, for the task thread to apply: a batch may be
   * written on the task's second thread, and a rewind calls {@code SinkTaskContext.offset}, which
   * the worker reads without synchronization while it polls.
   */
  @FunctionalInterface
  interface PositionsUpdate {
    void apply();
  }

  /**
   * Writes the batch and commits, or rolls back when its offsets say it must not be written. Either
   * way the batch is done when this returns; on an exception it is kept for a retry. It reads the
   * task's positions but leaves moving them to the caller.
   *
   * @return what the cycle found, to apply to the positions on the task thread
   */
  PositionsUpdate write(PendingBatch batch) throws SQLException {
    long started = System.nanoTime();
    Connection db = session.connection();
    // The streamed rows join the transaction first; the offsets check below covers them too,
    // and a rollback there undoes them.
    long rows = writer.finishInFlight();
    // Copied: the batch's own map is emptied for the next batch before the update is applied.
    Map<TopicPartition, Long> next = Map.copyOf(batch.nextOffsets());
    Map<TopicPartition, Long> stored = offsets.lock(db, next.keySet());
    if (stored.equals(next)) {
      // An earlier attempt's COMMIT went through although its answer was lost.
      db.rollback();
      log.info(
          "Batch of {} records was already committed; not writing it again", batch.recordCount());
      discard(batch);
      return () -> positions.committed(next);
    }
    if (!positions.stillOurs(stored, next.keySet())) {
      db.rollback();
      int dropped = batch.recordCount();
      discard(batch);
      return () -> positions.fenced(stored, next.keySet(), dropped);
    }
    for (TargetRows target : batch.targets()) {
      rows +=
          writer.write(
              db,
              target,
              (t, row, reason) ->
                  badRecords.report(
                      t.record(row),
                      "COPY into " + t.target().name() + " refused the row: " + reason,
                      null));
    }
    offsets.save(db, next);
    badRecords.awaitReported();
    session.commit();
    metrics.batchCommitted(rows, System.nanoTime() - started);
    log.debug("Committed {} rows from {} records, offsets {}", rows, batch.recordCount(), next);
    discard(batch);
    return () -> positions.committed(next);
  }

  /** Empties the batch, committed or dropped: its bad records and the writer's state go too. */
  void discard(PendingBatch batch) {
    batch.clear();
    badRecords.forgetPending();
    writer.batchDone();
  }
}
