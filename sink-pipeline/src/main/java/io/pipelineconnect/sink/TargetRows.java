package io.pipelineconnect.sink;

import io.pipelineconnect.sink.copy.RowBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.apache.kafka.connect.sink.SinkRecord;

/** The rows buffered for one target relation, with the record each came from. */
final class TargetRows {
  private final TargetTable target;
  private final RowBuffer rows = new RowBuffer(64 * 1024);
  private final List<SinkRecord> records = new ArrayList<>();

  /** Rows the database refused and that were reported: left out of every later attempt. */
  private final BitSet rejected = new BitSet();

  /** Rows 0 to this one (exclusive) are already in the transaction, streamed by StreamingCopy. */
  private int writtenRows;

  TargetRows(TargetTable target) {
    this.target = target;
  }

  TargetTable target() {
    return target;
  }

  RowBuffer rows() {
    return rows;
  }

  /** Records the row just completed in {@link #rows()} as coming from this record. */
  void rowAdded(SinkRecord record) {
    records.add(record);
  }

  SinkRecord record(int row) {
    return records.get(row);
  }

  int rowCount() {
    return rows.rowCount();
  }

  void reject(int row) {
    rejected.set(row);
  }

  int rejectedCount() {
    return rejected.cardinality();
  }

  /** Notes that the first {@code count} rows are in the transaction already. */
  void markWritten(int count) {
    writtenRows = count;
  }

  int writtenRows() {
    return writtenRows;
  }

  /**
   * Empties this for the next batch into the same target, keeping the buffers' capacity: growing
   * fresh ones every batch was a fifth of the task's allocation.
   */
  void reset() {
    rows.clear();
    records.clear();
    rejected.clear();
    writtenRows = 0;
  }

  /** The rows still to be written: every row not rejected and not written yet. */
  List<Integer> candidateRows() {
    List<Integer> candidates = new ArrayList<>(rows.rowCount() - writtenRows);
    for (int row = writtenRows; row < rows.rowCount(); row++) {
      if (!rejected.get(row)) {
        candidates.add(row);
      }
    }
    return candidates;
  }
}
