package io.pipelineconnect.sink;

import io.pipelineconnect.common.RowBuffer;
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

  boolean isRejected(int row) {
    return rejected.get(row);
  }

  void reject(int row) {
    rejected.set(row);
  }

  /** The rows still to be written: every row not rejected. */
  List<Integer> candidateRows() {
    List<Integer> candidates = new ArrayList<>(rows.rowCount() - rejected.cardinality());
    for (int row = 0; row < rows.rowCount(); row++) {
      if (!rejected.get(row)) {
        candidates.add(row);
      }
    }
    return candidates;
  }
}
