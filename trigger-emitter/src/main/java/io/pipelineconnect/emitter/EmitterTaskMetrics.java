package io.pipelineconnect.emitter;

import io.pipelineconnect.common.TaskMetricRegistry;
import java.util.List;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.connect.source.SourceTaskContext;

/**
 * An emitter task's metrics, in the worker's plugin metrics where it offers them (JMX: {@code
 * kafka.connect:type=plugins,connector=<name>,task=<n>}), else in a registry of the task's own:
 * messages handed to Connect, messages marked failed in the outbox (never sent), how many buckets
 * the task owns (fewer than assigned while another relay, e.g. a zombie task, still holds their
 * locks), the age of the oldest message it has not relayed yet, the figure an operator alerts on,
 * and how long the messages it claims had waited: how soon it picks up what is committed.
 */
final class EmitterTaskMetrics implements AutoCloseable {
  static final String MESSAGES_RATE = "messages-relayed-rate";
  static final String MESSAGES_TOTAL = "messages-relayed-total";
  static final String FAILED_TOTAL = "messages-failed-total";
  static final String BUCKETS_OWNED = "buckets-owned";
  static final String OLDEST_UNRELAYED_AGE = "oldest-unrelayed-age-ms";
  static final String OUTBOX_DEPTH = "outbox-depth";
  static final String CLAIM_LATENCY_AVG = "claim-latency-ms-avg";
  static final String CLAIM_LATENCY_MAX = "claim-latency-ms-max";

  private final TaskMetricRegistry registry;
  private final Sensor relayed;
  private final Sensor failed;
  private final Sensor claimLatency;

  private EmitterTaskMetrics(TaskMetricRegistry registry, BucketLocks buckets, RelayLagWatch lag) {
    this.registry = registry;
    relayed = registry.sensor("emitter-relayed");
    registry.add(
        relayed,
        registry.name(MESSAGES_RATE, "Outbox messages handed to Connect per second."),
        new Rate());
    registry.add(
        relayed,
        registry.name(MESSAGES_TOTAL, "Outbox messages handed to Connect in total."),
        new CumulativeSum());
    failed = registry.sensor("emitter-failed");
    registry.add(
        failed,
        registry.name(
            FAILED_TOTAL,
            "Outbox messages marked failed (refused topic, missing topic or partition, too"
                + " large): kept in the outbox with failed_reason, never sent."),
        new CumulativeCount());
    claimLatency = registry.sensor("emitter-claim-latency");
    String claimLatencyDoc =
        " how long the oldest message of a claim had waited since it was written (ms, the"
            + " server's clock), over the metrics window: how soon the relay picks up what is"
            + " committed. A message counts from its insert, so the messages of a long transaction"
            + " count from before it committed.";
    registry.add(
        claimLatency,
        registry.name(
            CLAIM_LATENCY_AVG, "On average over the claims that found messages," + claimLatencyDoc),
        new Avg());
    registry.add(
        claimLatency,
        registry.name(
            CLAIM_LATENCY_MAX, "At most over the claims that found messages," + claimLatencyDoc),
        new Max());
    registry.add(
        registry.name(
            BUCKETS_OWNED,
            "Outbox buckets this task relays now, of those assigned to it; the rest wait for"
                + " another relay's lock."),
        (Gauge<Integer>) (metricConfig, now) -> buckets.owned().size());
    registry.add(
        registry.name(
            OLDEST_UNRELAYED_AGE,
            "How long ago the oldest committed message of the task's buckets that is not"
                + " relayed yet was written (ms), as of the last look (every few seconds); 0 when"
                + " none waits. The figure to alert on: it grows while the task falls behind or"
                + " owns no bucket."),
        (Gauge<Long>) (metricConfig, now) -> lag.oldestAgeMs());
    registry.add(
        registry.name(
            OUTBOX_DEPTH,
            "Committed messages of the task's buckets waiting to be relayed, as of the last look"
                + " (every few seconds), counted up to "
                + RelayLagWatch.DEPTH_CAP
                + "."),
        (Gauge<Long>) (metricConfig, now) -> lag.depth());
  }

  /**
   * @param buckets the task's buckets: the first assigned names the task's own registry on workers
   *     that offer no plugin metrics (a task knows no index of its own)
   */
  static EmitterTaskMetrics create(
      SourceTaskContext context, String connector, BucketLocks buckets, RelayLagWatch lag) {
    List<Integer> assigned = buckets.assigned();
    int task = assigned.isEmpty() ? 0 : assigned.get(0);
    return new EmitterTaskMetrics(
        TaskMetricRegistry.forSourceTask(context, connector, task), buckets, lag);
  }

  void relayed(int messages) {
    relayed.record(messages);
  }

  void messageFailed() {
    failed.record();
  }

  /** A claim found messages, the oldest of which had waited this long. */
  void claimed(long oldestWaitMs) {
    claimLatency.record(oldestWaitMs);
  }

  @Override
  public void close() {
    registry.close();
  }
}
