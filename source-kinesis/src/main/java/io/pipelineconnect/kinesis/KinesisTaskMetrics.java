package io.pipelineconnect.kinesis;

import io.pipelineconnect.common.TaskMetricRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.connect.source.SourceTaskContext;

/**
 * A task's metrics: records handed to Connect per second and in total, and per shard how far
 * reading is behind the shard's tip (GetRecords' MillisBehindLatest).
 *
 * <p>They go through Connect's plugin metrics where the worker offers them (KIP-877, Kafka 4.1+),
 * so the worker reports them with its own metrics (JMX: {@code kafka.connect:type=plugins,
 * connector=<name>,task=<n>[,shard=<id>]}). An older worker has no {@code pluginMetrics()}; the
 * task then keeps a metrics registry of its own with a JMX reporter, under the same names (see
 * {@link TaskMetricRegistry}).
 */
final class KinesisTaskMetrics implements AutoCloseable {
  static final String RECORDS_RATE = "records-rate";
  static final String RECORDS_TOTAL = "records-total";
  static final String MILLIS_BEHIND_LATEST = "millis-behind-latest";
  static final String OUTSIDE_SHARD_TOTAL = "subrecords-outside-shard-total";

  private final TaskMetricRegistry registry;
  private final Sensor records;
  private final Sensor outsideShard;
  private final Map<String, Long> millisBehind = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private KinesisTaskMetrics(TaskMetricRegistry registry) {
    this.registry = registry;
    records = registry.sensor("kinesis-records");
    registry.add(
        records,
        registry.name(RECORDS_RATE, "Kinesis records handed to Connect per second."),
        new Rate());
    registry.add(
        records,
        registry.name(RECORDS_TOTAL, "Kinesis records handed to Connect in total."),
        new CumulativeSum());
    outsideShard = registry.sensor("kinesis-subrecords-outside-shard");
    registry.add(
        outsideShard,
        registry.name(
            OUTSIDE_SHARD_TOTAL,
            "KPL user records whose hash key lies outside the shard they were read from, dropped"
                + " (kinesis.deaggregate.outside.shard=drop) in total."),
        new CumulativeSum());
  }

  /**
   * The metrics of a task: through the worker's plugin metrics if it has them, else through a JMX
   * reporter of the task's own, tagged with the connector's name and the task's index.
   */
  static KinesisTaskMetrics create(SourceTaskContext context, String connector, int task) {
    return new KinesisTaskMetrics(TaskMetricRegistry.forSourceTask(context, connector, task));
  }

  /** Counts records handed to Connect. */
  void recordsDelivered(int count) {
    if (count > 0) {
      records.record(count);
    }
  }

  /** Counts KPL user records dropped as outside their shard's hash-key range. */
  void subRecordsOutsideShard(int count) {
    if (count > 0) {
      outsideShard.record(count);
    }
  }

  /** Notes a shard's MillisBehindLatest, registering its gauge on the shard's first report. */
  void millisBehindLatest(String shardId, long millis) {
    if (millisBehind.put(shardId, millis) == null && !closed) {
      Gauge<Long> gauge = (config, now) -> millisBehind.get(shardId);
      registry.add(
          registry.name(
              MILLIS_BEHIND_LATEST,
              "How far the last GetRecords of this shard was behind its tip, in milliseconds.",
              Map.of("shard", shardId)),
          gauge);
    }
  }

  @Override
  public void close() {
    closed = true;
    registry.close();
  }
}
