package io.pipelineconnect.sink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.common.TopicPartition;

/**
 * What the next COPY and commit cycle writes: rows per target, the offsets the cycle commits for
 * each partition, and the errant-record reports it must wait for before committing.
 */
final class PendingBatch {
  private final Map<TargetTable, TargetRows> targets = new LinkedHashMap<>();
  private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();
  private final List<Future<Void>> reports = new ArrayList<>();
  private int records;
  private long firstRecordNanos;

  TargetRows rowsFor(TargetTable target) {
    return targets.computeIfAbsent(target, TargetRows::new);
  }

  /**
   * Notes that the record at this offset is dealt with by this batch (written, skipped or
   * reported).
   */
  void covered(TopicPartition partition, long offset) {
    if (records++ == 0) {
      firstRecordNanos = System.nanoTime();
    }
    nextOffsets.put(partition, offset + 1);
  }

  void reported(Future<Void> report) {
    reports.add(report);
  }

  boolean isEmpty() {
    return records == 0;
  }

  int recordCount() {
    return records;
  }

  long byteCount() {
    long bytes = 0;
    for (TargetRows rows : targets.values()) {
      bytes += rows.rows().byteCount();
    }
    return bytes;
  }

  long ageNanos() {
    return records == 0 ? 0 : System.nanoTime() - firstRecordNanos;
  }

  Collection<TargetRows> targets() {
    return targets.values();
  }

  /** The offset of the next record after this batch, per partition: what the cycle commits. */
  Map<TopicPartition, Long> nextOffsets() {
    return nextOffsets;
  }

  List<Future<Void>> reports() {
    return reports;
  }

  void clear() {
    targets.clear();
    nextOffsets.clear();
    reports.clear();
    records = 0;
  }
}
