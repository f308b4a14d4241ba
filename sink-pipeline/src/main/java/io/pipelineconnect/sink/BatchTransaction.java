package io.pipelineconnect.sink;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
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
   * Writes the batch and commits, or rolls back when its offsets say it must not be written. Either
   * way the batch is done when this returns; on an exception it is kept for a retry.
   */
  void write(PendingBatch batch) throws SQLException {
    long started = System.nanoTime();
    Connection db = session.connection();
    // The streamed rows join the transaction first; the offsets check below covers them too,
    // and a rollback there undoes them.
    long rows = writer.finishInFlight();
    Set<TopicPartition> partitions = batch.nextOffsets().keySet();
    Map<TopicPartition, Long> stored = offsets.lock(db, partitions);
    if (stored.equals(batch.nextOffsets())) {
      // An earlier attempt's COMMIT went through although its answer was lost.
      db.rollback();
      log.info(
          "Batch of {} records was already committed; not writing it again", batch.recordCount());
      positions.committed(batch.nextOffsets());
      discard(batch);
      return;
    }
    if (!positions.stillOurs(stored, partitions)) {
      db.rollback();
      positions.fenced(stored, partitions, batch.recordCount());
      discard(batch);
      return;
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
    offsets.save(db, batch.nextOffsets());
    badRecords.awaitReported();
    session.commit();
    metrics.batchCommitted(rows, System.nanoTime() - started);
    log.debug(
        "Committed {} rows from {} records, offsets {}",
        rows,
        batch.recordCount(),
        batch.nextOffsets());
    positions.committed(batch.nextOffsets());
    discard(batch);
  }

  /** Empties the batch, committed or dropped: its bad records and the writer's state go too. */
  void discard(PendingBatch batch) {
    batch.clear();
    badRecords.forgetPending();
    writer.batchDone();
  }
}
