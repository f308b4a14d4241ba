package io.pipelineconnect.sink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * What the next COPY and commit cycle writes: rows per target, and the offsets the cycle commits
 * for each partition. (The bad records it must wait for before committing are {@link BadRecords}'.)
 */
final class PendingBatch {
  // By identity: a TargetTable is resolved once and reused, and hashing the record (its whole
  // column list) on every row showed up in the sink's profile.
  private final Map<TargetTable, TargetRows> targets = new IdentityHashMap<>();
  // The last batch's rows per target, emptied, for the next batch to fill again.
  private Map<TargetTable, TargetRows> spare = new IdentityHashMap<>();
  private final List<TargetRows> inOrder = new ArrayList<>();
  private TargetTable lastTarget;
  private TargetRows lastRows;
  private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();
  // The partition of the last covered record and its next offset, kept out of the map while
  // records of that partition keep coming (a boxed put per record showed in the profile).
  private TopicPartition runPartition;
  private long runNextOffset;
  private int records;
  private long firstRecordNanos;

  TargetRows rowsFor(TargetTable target) {
    if (target != lastTarget) {
      lastRows = targets.get(target);
      if (lastRows == null) {
        lastRows = spare.remove(target);
        if (lastRows == null) {
          lastRows = new TargetRows(target);
        }
        targets.put(target, lastRows);
        inOrder.add(lastRows);
      }
      lastTarget = target;
    }
    return lastRows;
  }

  /**
   * Notes that the record at this offset is dealt with by this batch (written, skipped or
   * reported).
   */
  void covered(TopicPartition partition, long offset) {
    if (records++ == 0) {
      firstRecordNanos = System.nanoTime();
    }
    if (partition != runPartition) {
      endRun();
      runPartition = partition;
    }
    runNextOffset = offset + 1;
  }

  private void endRun() {
    if (runPartition != null) {
      nextOffsets.put(runPartition, runNextOffset);
      runPartition = null;
    }
  }

  boolean isEmpty() {
    return records == 0;
  }

  int recordCount() {
    return records;
  }

  long byteCount() {
    long bytes = 0;
    for (TargetRows rows : inOrder) {
      bytes += rows.rows().byteCount();
    }
    return bytes;
  }

  long ageNanos() {
    return records == 0 ? 0 : System.nanoTime() - firstRecordNanos;
  }

  /** The target of the batch's first row, or null while the batch has no rows. */
  TargetRows firstTarget() {
    return inOrder.isEmpty() ? null : inOrder.get(0);
  }

  /** The targets in the order their first row arrived. */
  Collection<TargetRows> targets() {
    return inOrder;
  }

  /** The offset of the next record after this batch, per partition: what the cycle commits. */
  Map<TopicPartition, Long> nextOffsets() {
    endRun();
    return nextOffsets;
  }

  void clear() {
    Map<TargetTable, TargetRows> emptied = new IdentityHashMap<>();
    for (TargetRows rows : inOrder) {
      rows.reset();
      emptied.put(rows.target(), rows);
    }
    spare = emptied;
    targets.clear();
    inOrder.clear();
    runPartition = null;
    lastTarget = null;
    lastRows = null;
    nextOffsets.clear();
    records = 0;
  }
}
