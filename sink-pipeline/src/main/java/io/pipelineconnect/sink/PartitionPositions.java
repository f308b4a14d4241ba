package io.pipelineconnect.sink;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each partition assigned to the task stands: the next offset the database has committed (the
 * truth, in the offsets table), the next offset to buffer, and the partitions opened but not yet
 * rewound to their saved offsets. It moves Connect's consumer with {@code context.offset} whenever
 * the task must read a partition again from the database's position: on open, when another writer
 * fenced the task off, and when a batch could not be written while partitions move.
 *
 * <p>Records Connect delivers before its consumer has seeked are skipped: a partition rewound in
 * this put() has no next offset to buffer until the next one. After a put() that failed, Connect
 * delivers the same records again, which predate the seek as well, so a rewound partition stays
 * skipped until a put() ends normally.
 */
final class PartitionPositions {
  private static final Logger log = LoggerFactory.getLogger(PartitionPositions.class);

  private final OffsetStore offsets;
  private final StartOffsets startOffsets;
  private final PipelineSinkConfig.StartOffset startOffset;
  private final SinkTaskContext context;

  /** Next offset per partition as the database has committed it. */
  private final Map<TopicPartition, Long> committed = new HashMap<>();

  /** Next offset per partition not yet buffered (records below it are skipped as already seen). */
  private final Map<TopicPartition, Long> nextToBuffer = new HashMap<>();

  /** Assigned partitions whose saved offsets are still to be read and rewound to. */
  private final Set<TopicPartition> pendingOpen = new LinkedHashSet<>();

  /** Partitions rewound during the current put(): its remaining records predate the seek. */
  private final Set<TopicPartition> rewoundInThisPut = new HashSet<>();

  private boolean lastPutEnded = true;

  /**
   * Inside close(), Connect's rebalance callback: a seek asked for now would outlive the partitions
   * that leave (the worker seeks them after the rebalance and the consumer refuses: the task dies)
   * and come after the poll under way for the ones that stay.
   */
  private boolean rebalancing;

  PartitionPositions(
      OffsetStore offsets,
      StartOffsets startOffsets,
      PipelineSinkConfig.StartOffset startOffset,
      SinkTaskContext context) {
    this.offsets = offsets;
    this.startOffsets = startOffsets;
    this.startOffset = startOffset;
    this.context = context;
  }

  void opened(Collection<TopicPartition> partitions) {
    pendingOpen.addAll(partitions);
  }

  boolean hasPendingOpen() {
    return !pendingOpen.isEmpty();
  }

  Set<TopicPartition> pendingOpen() {
    return Set.copyOf(pendingOpen);
  }

  /**
   * A new put() begins: partitions rewound before it are read from their new position, unless the
   * last put() failed and this one redelivers its records.
   */
  void startPut() {
    if (lastPutEnded) {
      rewoundInThisPut.clear();
    }
    lastPutEnded = false;
  }

  /** close() began: until {@link #closed}, a fence reopens partitions instead of rewinding. */
  void rebalanceStarted() {
    rebalancing = true;
  }

  /** The put() ended normally: Connect's next poll comes after any seek asked for so far. */
  void putEnded() {
    lastPutEnded = true;
  }

  /**
   * The next offset to buffer of the partition, or null if its records are not to be taken now (not
   * opened yet, or rewound in this put()).
   */
  Long nextToBuffer(TopicPartition partition) {
    return rewoundInThisPut.contains(partition) ? null : nextToBuffer.get(partition);
  }

  /** Records of the partition up to {@code next} (exclusive) are buffered or already written. */
  void buffered(TopicPartition partition, long next) {
    nextToBuffer.put(partition, next);
  }

  /** The database committed these next offsets. */
  void committed(Map<TopicPartition, Long> next) {
    committed.putAll(next);
  }

  /**
   * Whether the database holds, for these partitions, exactly what this task last committed: if
   * not, another writer moved them.
   */
  boolean stillOurs(Map<TopicPartition, Long> stored, Set<TopicPartition> partitions) {
    Map<TopicPartition, Long> expected = new HashMap<>();
    partitions.forEach(p -> expected.put(p, committed.get(p)));
    return stored.equals(expected);
  }

  /**
   * Reads (or resolves and saves) the start of each pending partition and rewinds to it; commits.
   *
   * <p>The first task to see a topic saves a start for every partition it has, whichever task they
   * are assigned to: so a partition of a topic with saved offsets but none of its own was added
   * later, and starts at its beginning (or its first records would be skipped). Otherwise
   * start_offset decides.
   */
  void openPending(Connection db) throws SQLException {
    if (pendingOpen.isEmpty()) {
      return;
    }
    Map<TopicPartition, Long> saved = offsets.read(db, pendingOpen);
    Set<TopicPartition> missing = new HashSet<>(pendingOpen);
    missing.removeAll(saved.keySet());
    if (!missing.isEmpty()) {
      Set<String> topics = missing.stream().map(TopicPartition::topic).collect(Collectors.toSet());
      Set<String> running = new HashSet<>(offsets.topicsWithOffsets(db, topics));
      Set<TopicPartition> fromBeginning = new HashSet<>();
      Set<TopicPartition> fromEnd = new HashSet<>();
      Set<String> firstSeen = new HashSet<>();
      for (TopicPartition p : missing) {
        if (running.contains(p.topic())
            || startOffset == PipelineSinkConfig.StartOffset.BEGINNING) {
          fromBeginning.add(p);
        } else {
          firstSeen.add(p.topic());
        }
      }
      fromEnd.addAll(startOffsets.partitionsOf(firstSeen));
      // The ones assigned here, even if the topic's description lags behind the assignment.
      missing.stream().filter(p -> firstSeen.contains(p.topic())).forEach(fromEnd::add);
      Map<TopicPartition, Long> resolved = new HashMap<>(startOffsets.resolve(fromBeginning, true));
      resolved.putAll(startOffsets.resolve(fromEnd, false));
      // Saved at once, even if the partition stays idle: a restart must not re-resolve "end".
      offsets.insertMissing(db, resolved);
      db.commit();
      saved = offsets.read(db, pendingOpen);
      log.info("Start offsets saved for partitions without one: {}", resolved);
    }
    db.commit();
    for (TopicPartition p : pendingOpen) {
      Long next = saved.get(p);
      if (next == null) {
        throw new SQLException("No saved offset for " + p + " after saving one");
      }
      rewind(p, next);
    }
    log.debug("Rewound {} to saved offsets", pendingOpen);
    pendingOpen.clear();
  }

  /**
   * Another writer moved these partitions' offsets (a zombie of this task, or an offsets reset):
   * rewind each to what the database holds, or open it again if the database holds nothing (or if
   * partitions are moving: those that stay read their offsets at the next put()).
   */
  void fenced(Map<TopicPartition, Long> stored, Set<TopicPartition> partitions, int dropped) {
    log.warn(
        "Offsets in the database {} are not where this task left them {}: another writer moved"
            + " them. Dropping {} buffered records and rewinding.",
        stored,
        committed,
        dropped);
    for (TopicPartition p : partitions) {
      Long next = stored.get(p);
      if (next == null || rebalancing) {
        pendingOpen.add(p);
        nextToBuffer.remove(p);
        committed.remove(p);
      } else {
        rewind(p, next);
      }
    }
  }

  /**
   * Records of these partitions were taken but will not be written (a batch that failed while
   * partitions move): the partitions that stay with the task are read again from what the database
   * holds, as if just assigned. (A seek asked for here, inside a rebalance, would come after the
   * records of the poll under way, which must be skipped too.)
   */
  void reopen(Set<TopicPartition> partitions) {
    for (TopicPartition p : partitions) {
      if (nextToBuffer.remove(p) != null) {
        pendingOpen.add(p);
      }
    }
  }

  /** What Connect may commit to Kafka: only what the database has committed. */
  Map<TopicPartition, OffsetAndMetadata> preCommit(Set<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
    for (TopicPartition p : partitions) {
      Long next = committed.get(p);
      if (next != null) {
        done.put(p, new OffsetAndMetadata(next));
      }
    }
    return done;
  }

  /** The partitions left the task; close() ends. */
  void closed(Collection<TopicPartition> partitions) {
    for (TopicPartition p : partitions) {
      committed.remove(p);
      nextToBuffer.remove(p);
      pendingOpen.remove(p);
    }
    rebalancing = false;
  }

  private void rewind(TopicPartition p, long next) {
    committed.put(p, next);
    nextToBuffer.put(p, next);
    context.offset(p, next);
    rewoundInThisPut.add(p);
  }
}
