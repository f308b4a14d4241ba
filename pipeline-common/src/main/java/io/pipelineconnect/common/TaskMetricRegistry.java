package io.pipelineconnect.common;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.metrics.KafkaMetricsContext;
import org.apache.kafka.common.metrics.MeasurableStat;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.MetricValueProvider;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a task registers its metrics: Connect's plugin metrics where the worker offers them
 * (KIP-877, Kafka 4.1+), so the worker reports them with its own (JMX: {@code
 * kafka.connect:type=plugins,connector=<name>,task=<n>[,<extra tags>]}) and removes them with the
 * task; on an older worker, a registry of the task's own with a JMX reporter under the same names.
 *
 * <p>Only the nested {@code WorkerRegistry} names {@link PluginMetrics} and calls {@code
 * pluginMetrics()}, so on a worker without them nothing else fails to load.
 */
public final class TaskMetricRegistry implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TaskMetricRegistry.class);

  /** The metric group of plugin metrics, and the JMX domain of Connect's metrics. */
  public static final String GROUP = "plugins";

  public static final String JMX_DOMAIN = "kafka.connect";

  private final Registry registry;

  private TaskMetricRegistry(Registry registry) {
    this.registry = registry;
  }

  /** The registry of a sink task; {@code task} names it only where the worker has no registry. */
  public static TaskMetricRegistry forSinkTask(
      SinkTaskContext context, String connector, int task) {
    return open(() -> WorkerRegistry.of(context), connector, task);
  }

  /** The registry of a source task; {@code task} names it only where the worker has none. */
  public static TaskMetricRegistry forSourceTask(
      SourceTaskContext context, String connector, int task) {
    return open(() -> WorkerRegistry.of(context), connector, task);
  }

  private static TaskMetricRegistry open(
      Supplier<Registry> workerRegistry, String connector, int task) {
    Registry registry = null;
    try {
      registry = workerRegistry.get();
    } catch (LinkageError e) {
      // NoSuchMethodError / AbstractMethodError / NoClassDefFoundError: a worker before 4.1.
      log.debug("The worker offers no plugin metrics", e);
    }
    return new TaskMetricRegistry(
        registry != null ? registry : OwnRegistry.create(connector, task));
  }

  /** A metric's name, with tags beyond the connector's and the task's (e.g. a shard). */
  public MetricName name(String name, String description, Map<String, String> extraTags) {
    return registry.name(name, description, new LinkedHashMap<>(extraTags));
  }

  public MetricName name(String name, String description) {
    return name(name, description, Map.of());
  }

  /**
   * Registers a metric. A name still held is left to its holder and the task runs on without it:
   * the holder is an earlier instance of this task on this worker whose graceful stop timed out, so
   * the worker has not removed its metrics yet, and a metric must never stop a task (Connect's
   * {@code IllegalArgumentException} here killed the restarted Kinesis task in a fault run).
   */
  public void add(MetricName name, MetricValueProvider<?> value) {
    try {
      registry.add(name, value);
    } catch (IllegalArgumentException e) {
      stillHeld(name, e);
    }
  }

  /** Adds a stat to the sensor under the name; a name still held as in {@link #add}. */
  public void add(Sensor sensor, MetricName name, MeasurableStat stat) {
    try {
      sensor.add(name, stat);
    } catch (IllegalArgumentException e) {
      stillHeld(name, e);
    }
  }

  private static void stillHeld(MetricName name, IllegalArgumentException e) {
    log.warn(
        "Metric {} {} is still registered, by an earlier instance of this task that the worker"
            + " has not stopped yet; this instance runs without it until it restarts ({})",
        name.name(),
        name.tags(),
        e.getMessage());
  }

  /** A new sensor; its name is made unique, since sensor names are shared by the whole worker. */
  public Sensor sensor(String prefix) {
    return registry.sensor(prefix + "-" + UUID.randomUUID());
  }

  @Override
  public void close() {
    registry.close();
  }

  private interface Registry {
    MetricName name(String name, String description, LinkedHashMap<String, String> tags);

    void add(MetricName name, MetricValueProvider<?> value);

    Sensor sensor(String name);

    void close();
  }

  /** The worker's plugin metrics: the worker tags them with connector and task. */
  private record WorkerRegistry(PluginMetrics metrics) implements Registry {
    static Registry of(SinkTaskContext context) {
      PluginMetrics metrics = context.pluginMetrics();
      return metrics == null ? null : new WorkerRegistry(metrics);
    }

    static Registry of(SourceTaskContext context) {
      PluginMetrics metrics = context.pluginMetrics();
      return metrics == null ? null : new WorkerRegistry(metrics);
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
    public void close() {
      // The worker removes a task's plugin metrics when the task closes.
    }
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
