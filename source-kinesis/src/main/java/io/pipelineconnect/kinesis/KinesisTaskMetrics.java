package io.pipelineconnect.kinesis;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.metrics.KafkaMetricsContext;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.MetricValueProvider;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task's metrics: records handed to Connect per second and in total, and per shard how far
 * reading is behind the shard's tip (GetRecords' MillisBehindLatest).
 *
 * <p>They go through Connect's plugin metrics where the worker offers them (KIP-877, Kafka 4.1+),
 * so the worker reports them with its own metrics (JMX: {@code kafka.connect:type=plugins,
 * connector=<name>,task=<n>[,shard=<id>]}). An older worker has no {@code pluginMetrics()}; the
 * task then keeps a metrics registry of its own with a JMX reporter, under the same names.
 */
final class KinesisTaskMetrics implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KinesisTaskMetrics.class);

  static final String GROUP = "plugins";
  static final String JMX_DOMAIN = "kafka.connect";
  static final String RECORDS_RATE = "records-rate";
  static final String RECORDS_TOTAL = "records-total";
  static final String MILLIS_BEHIND_LATEST = "millis-behind-latest";

  private final Registry registry;
  private final Sensor records;
  private final Map<String, Long> millisBehind = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private KinesisTaskMetrics(Registry registry) {
    this.registry = registry;
    // Sensor names are shared by the whole worker: make this task's unique.
    records = registry.sensor("kinesis-records-" + UUID.randomUUID());
    records.add(
        registry.name(RECORDS_RATE, "Kinesis records handed to Connect per second.", tags()),
        new Rate());
    records.add(
        registry.name(RECORDS_TOTAL, "Kinesis records handed to Connect in total.", tags()),
        new CumulativeSum());
  }

  /**
   * The metrics of a task: through the worker's plugin metrics if it has them, else through a JMX
   * reporter of the task's own, tagged with the connector's name and the task's index.
   */
  static KinesisTaskMetrics create(SourceTaskContext context, String connector, int task) {
    Registry registry = null;
    try {
      registry = PluginRegistry.of(context);
    } catch (LinkageError e) {
      // NoSuchMethodError / AbstractMethodError / NoClassDefFoundError: a worker before 4.1.
      log.debug("The worker offers no plugin metrics", e);
    }
    if (registry == null) {
      registry = OwnRegistry.create(connector, task);
    }
    return new KinesisTaskMetrics(registry);
  }

  /** Counts records handed to Connect. */
  void recordsDelivered(int count) {
    if (count > 0) {
      records.record(count);
    }
  }

  /** Notes a shard's MillisBehindLatest, registering its gauge on the shard's first report. */
  void millisBehindLatest(String shardId, long millis) {
    if (millisBehind.put(shardId, millis) == null && !closed) {
      LinkedHashMap<String, String> tags = tags();
      tags.put("shard", shardId);
      Gauge<Long> gauge = (config, now) -> millisBehind.get(shardId);
      registry.add(
          registry.name(
              MILLIS_BEHIND_LATEST,
              "How far the last GetRecords of this shard was behind its tip, in milliseconds.",
              tags),
          gauge);
    }
  }

  @Override
  public void close() {
    closed = true;
    registry.close();
  }

  private static LinkedHashMap<String, String> tags() {
    return new LinkedHashMap<>();
  }

  /** Where the metrics are registered. */
  private interface Registry {
    MetricName name(String name, String description, LinkedHashMap<String, String> tags);

    void add(MetricName name, MetricValueProvider<?> value);

    Sensor sensor(String name);

    void close();
  }

  /**
   * The worker's plugin metrics. Only this class names {@link PluginMetrics}, so on a worker
   * without it nothing else fails to load; the worker removes these metrics when the task closes.
   */
  private record PluginRegistry(PluginMetrics metrics) implements Registry {
    static Registry of(SourceTaskContext context) {
      PluginMetrics metrics = context.pluginMetrics();
      return metrics == null ? null : new PluginRegistry(metrics);
    }

    @Override
    public MetricName name(String name, String description, LinkedHashMap<String, String> tags) {
      return metrics.metricName(name, description, tags);
    }

    @Override
    public void add(MetricName name, MetricValueProvider<?> value) {
      metrics.addMetric(name, value);
    }

    @Override
    public Sensor sensor(String name) {
      return metrics.addSensor(name);
    }

    @Override
    public void close() {}
  }

  /** A registry of the task's own with a JMX reporter, for workers without plugin metrics. */
  private record OwnRegistry(Metrics metrics, Map<String, String> taskTags) implements Registry {
    static Registry create(String connector, int task) {
      Map<String, String> taskTags = new LinkedHashMap<>();
      taskTags.put("connector", connector);
      taskTags.put("task", String.valueOf(task));
      Metrics metrics =
          new Metrics(
              new MetricConfig(),
              List.of(new JmxReporter()),
              Time.SYSTEM,
              new KafkaMetricsContext(JMX_DOMAIN));
      log.info(
          "The worker offers no plugin metrics (Kafka 4.1+); task {} of {} reports its metrics"
              + " through JMX itself, as {}:type={},connector={},task={}",
          task,
          connector,
          JMX_DOMAIN,
          GROUP,
          connector,
          task);
      return new OwnRegistry(metrics, taskTags);
    }

    @Override
    public MetricName name(String name, String description, LinkedHashMap<String, String> tags) {
      Map<String, String> all = new LinkedHashMap<>(taskTags);
      all.putAll(tags);
      return metrics.metricName(name, GROUP, description, all);
    }

    @Override
    public void add(MetricName name, MetricValueProvider<?> value) {
      metrics.addMetric(name, value);
    }

    @Override
    public Sensor sensor(String name) {
      return metrics.sensor(name);
    }

    @Override
    public void close() {
      metrics.close();
    }
  }
}
