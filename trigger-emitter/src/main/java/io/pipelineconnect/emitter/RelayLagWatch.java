package io.pipelineconnect.emitter;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a task that falls behind visible: every few seconds, on the poll thread, it asks the outbox
 * how old the oldest committed message of the task's assigned buckets is that nobody has claimed
 * yet, keeps that age for the task metric, and past {@code emitter.lag.warn.ms} logs a warning that
 * says why: the task does not own some buckets (and who holds their locks), or it owns them and
 * relays, but slower than they are written. Once a task starved silently for ~50 s (issue #20): a
 * task that owns no bucket, or claims nothing, must not look healthy.
 */
final class RelayLagWatch {
  private static final Logger log = LoggerFactory.getLogger(RelayLagWatch.class);

  /** How often the outbox is asked, at most: one index probe per assigned bucket. */
  static final long CHECK_INTERVAL_MS = 5_000;

  /** The outbox depth is counted up to this many messages: the scan stops there. */
  static final int DEPTH_CAP = 100_000;

  /** While the task stays behind, the warning is repeated this often, not at every check. */
  static final long WARN_REPEAT_MS = 60_000;

  private final OutboxRelay relay;
  private final BucketLocks buckets;
  private final long warnAfterMs;
  private final long checkIntervalMs;
  private final LongSupplier clock;
  private long nextCheckAtMs;
  private long lastWarnedAtMs;
  private boolean behind;
  private long relayedSinceCheck;

  /** Read by the metrics reporter's thread. */
  private volatile long oldestAgeMs;

  private volatile long depth;

  RelayLagWatch(OutboxRelay relay, BucketLocks buckets, Duration warnAfter) {
    this(relay, buckets, warnAfter, System::currentTimeMillis);
  }

  RelayLagWatch(OutboxRelay relay, BucketLocks buckets, Duration warnAfter, LongSupplier clock) {
    this.relay = relay;
    this.buckets = buckets;
    this.warnAfterMs = warnAfter.toMillis();
    // A short warning threshold (tests, impatient operators) is checked at least twice within it.
    this.checkIntervalMs =
        warnAfterMs == 0
            ? CHECK_INTERVAL_MS
            : Math.max(100, Math.min(CHECK_INTERVAL_MS, warnAfterMs / 2));
    this.clock = clock;
  }

  /** The age of the oldest unclaimed message of the assigned buckets at the last check; 0: none. */
  long oldestAgeMs() {
    return oldestAgeMs;
  }

  /**
   * How many messages of the assigned buckets waited to be claimed at the last check, at most
   * {@link #DEPTH_CAP}.
   */
  long depth() {
    return depth;
  }

  /** Counts what the task handed to Connect, so a warning can tell slow from stalled. */
  void relayed(int messages) {
    relayedSinceCheck += messages;
  }

  /** Asks the outbox if a check is due; on the relay session, read only, committed. */
  void check(Connection db) throws SQLException {
    long now = clock.getAsLong();
    if (now < nextCheckAtMs) {
      return;
    }
    nextCheckAtMs = now + checkIntervalMs;
    Map<Integer, Long> ages = relay.unrelayedAges(db, buckets.assigned());
    long oldest = 0;
    int oldestBucket = -1;
    for (Map.Entry<Integer, Long> age : ages.entrySet()) {
      if (age.getValue() > oldest) {
        oldest = age.getValue();
        oldestBucket = age.getKey();
      }
    }
    // The depth first: a reader that sees this look's age then sees its depth too.
    depth = ages.isEmpty() ? 0 : relay.unclaimedCount(db, buckets.assigned(), DEPTH_CAP);
    oldestAgeMs = oldest;
    long relayed = relayedSinceCheck;
    relayedSinceCheck = 0;
    if (warnAfterMs == 0) {
      return;
    }
    if (oldest < warnAfterMs) {
      if (behind) {
        log.info(
            "Emitter task for buckets {} has caught up: its oldest unrelayed message is {} ms old",
            buckets.assigned(),
            oldest);
        behind = false;
      }
      return;
    }
    if (behind && now - lastWarnedAtMs < WARN_REPEAT_MS) {
      return;
    }
    behind = true;
    lastWarnedAtMs = now;
    log.warn(
        "Emitter task for buckets {} is behind: the oldest message not relayed yet (bucket {}) was"
            + " written {} s ago, over emitter.lag.warn.ms ({} ms); {} messages relayed since"
            + " the last look. {}",
        buckets.assigned(),
        oldestBucket,
        oldest / 1000,
        warnAfterMs,
        relayed,
        why(db, ages));
  }

  private String why(Connection db, Map<Integer, Long> ages) throws SQLException {
    List<Integer> owned = buckets.owned();
    List<Integer> waiting = new ArrayList<>();
    for (Integer bucket : ages.keySet()) {
      if (!owned.contains(bucket)) {
        waiting.add(bucket);
      }
    }
    if (waiting.isEmpty()) {
      return "The task owns these buckets and relays them, slower than they are written: more"
          + " tasks (tasks.max, up to emitter.buckets), a larger emitter.batch.size, or a"
          + " faster Kafka.";
    }
    Map<Integer, String> holders = buckets.holders(db, waiting);
    StringBuilder why =
        new StringBuilder("Buckets ")
            .append(waiting)
            .append(" are not owned by this task: their locks are held by another session,")
            .append(" a zombie task or an earlier generation of this connector; they are taken")
            .append(" over as soon as it ends (pg_terminate_backend(pid) ends it).");
    Map<String, List<Integer>> byHolder = new TreeMap<>();
    holders.forEach(
        (bucket, holder) -> byHolder.computeIfAbsent(holder, h -> new ArrayList<>()).add(bucket));
    byHolder.forEach(
        (holder, held) ->
            why.append(" Held: ").append(held).append(" by ").append(holder).append('.'));
    return why.toString();
  }
}
