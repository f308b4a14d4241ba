package io.pipelineconnect.sink;

import java.sql.Connection;
import java.sql.SQLException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Adds records to the pending batch: resolves each one's target, encodes its row, reports a record
 * that cannot be a row as bad, and hands the first target's rows to the writer to send early.
 */
final class BatchAssembler {
  private final PendingBatch batch;
  private final TargetResolver targets;
  private final RowEncoder encoder;
  private final BatchWriter writer;
  private final SinkSession session;
  private final BadRecords badRecords;

  // One instance: a method reference created per record was a tenth of the task's allocation.
  private final TargetResolver.SqlSupplier<Connection> connectionForQueries;

  BatchAssembler(
      PendingBatch batch,
      TargetResolver targets,
      RowEncoder encoder,
      BatchWriter writer,
      SinkSession session,
      BadRecords badRecords) {
    this.batch = batch;
    this.targets = targets;
    this.encoder = encoder;
    this.writer = writer;
    this.session = session;
    this.badRecords = badRecords;
    this.connectionForQueries = session::forQueries;
  }

  private TopicPartition lastPartition;

  /** The record's partition; records come in runs of one partition, so reuse the last one. */
  TopicPartition partitionOf(SinkRecord record) {
    TopicPartition last = lastPartition;
    if (last == null
        || last.partition() != record.kafkaPartition()
        || !last.topic().equals(record.topic())) {
      last = new TopicPartition(record.topic(), record.kafkaPartition());
      lastPartition = last;
    }
    return last;
  }

  /**
   * Adds the record's row to the batch, or reports the record as bad; either way the batch then
   * covers its offset.
   *
   * @throws SQLException when looking up its target failed: the record is not covered
   */
  void add(TopicPartition partition, SinkRecord record) throws SQLException {
    try {
      TargetTable target = targets.resolve(connectionForQueries, record);
      TargetRows rows = batch.rowsFor(target);
      if (encoder.encode(record, target, rows.rows())) {
        rows.rowAdded(record);
        Connection open = session.ifOpen();
        if (open != null && rows == batch.firstTarget()) {
          writer.rowsAdded(open, rows);
        }
      }
    } catch (BadRecordException e) {
      badRecords.report(record, e.getMessage(), e);
    }
    batch.covered(partition, record.kafkaOffset());
  }

  /** A put() ended with rows buffered: the writer sends them while Connect polls the next. */
  void putEnded() {
    Connection open = session.ifOpen();
    if (open != null && !batch.isEmpty()) {
      writer.putEnded(open, batch.firstTarget());
    }
  }
}
