package io.pipelineconnect.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.metrics.KafkaMetricsContext;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reads through the JVM's real MBean server what Kafka's JmxReporter registers, under the names
 * Connect gives a task's metrics (the worker's plugin metrics, its task and error metrics, a sink
 * consumer's per-partition lag).
 */
class LocalTaskMetricsTest {
  private final Metrics connect = metrics("kafka.connect");
  private final Metrics consumer = metrics("kafka.consumer");

  private static Metrics metrics(String domain) {
    return new Metrics(
        new MetricConfig(),
        List.of(new JmxReporter()),
        Time.SYSTEM,
        new KafkaMetricsContext(domain));
  }

  @AfterEach
  void close() {
    connect.close();
    consumer.close();
  }

  private static Map<String, String> tags(String... keysAndValues) {
    Map<String, String> tags = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      tags.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return tags;
  }

  private void gauge(Metrics metrics, String name, String group, double value, String... tags) {
    metrics.addMetric(
        metrics.metricName(name, group, "", tags(tags)), (Gauge<Double>) (c, now) -> value);
  }

  @Test
  void aTaskRunningHereHasItsFiguresCombinedOverShardsAndPartitions() {
    String name = "clicks, \"eu\""; // a name JMX needs quoted
    gauge(connect, "status", "connector-task-metrics", 1, "connector", name, "task", "1");
    gauge(connect, "records-total", "plugins", 500, "connector", name, "task", "1");
    gauge(
        connect,
        "millis-behind-latest",
        "plugins",
        20,
        "connector",
        name,
        "task",
        "1",
        "shard",
        "a");
    gauge(
        connect,
        "millis-behind-latest",
        "plugins",
        900,
        "connector",
        name,
        "task",
        "1",
        "shard",
        "b");
    gauge(
        connect,
        "deadletterqueue-produce-requests",
        "task-error-metrics",
        3,
        "connector",
        name,
        "task",
        "1");
    String client = "connector-consumer-" + name + "-1";
    gauge(
        consumer,
        "records-lag",
        "consumer-fetch-manager-metrics",
        7,
        "client-id",
        client,
        "topic",
        "t",
        "partition",
        "0");
    gauge(
        consumer,
        "records-lag",
        "consumer-fetch-manager-metrics",
        5,
        "client-id",
        client,
        "topic",
        "t",
        "partition",
        "1");
    gauge(
        consumer,
        "records-lag",
        "consumer-fetch-manager-metrics",
        Double.NaN,
        "client-id",
        client,
        "topic",
        "u",
        "partition",
        "0");
    // Another task's figures stay out.
    gauge(connect, "status", "connector-task-metrics", 1, "connector", name, "task", "2");
    gauge(connect, "records-total", "plugins", 99, "connector", name, "task", "2");

    Optional<Map<String, Double>> figures =
        new LocalTaskMetrics(ManagementFactory.getPlatformMBeanServer()).read(name, 1);

    assertThat(figures).isPresent();
    assertThat(figures.get())
        .containsEntry("records-total", 500.0)
        .containsEntry("millis-behind-latest", 900.0)
        .containsEntry("deadletterqueue-produce-requests", 3.0)
        .containsEntry("records-lag", 12.0);
  }

  @Test
  void aTaskThatDoesNotRunHereHasNoFigures() {
    gauge(connect, "records-total", "plugins", 500, "connector", "elsewhere", "task", "0");
    assertThat(
            new LocalTaskMetrics(ManagementFactory.getPlatformMBeanServer()).read("elsewhere", 0))
        .isEmpty();
  }
}
