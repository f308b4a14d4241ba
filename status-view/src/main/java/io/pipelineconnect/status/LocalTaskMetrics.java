package io.pipelineconnect.status;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import javax.management.Attribute;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.common.utils.Sanitizer;

/**
 * One task's figures, read from this worker's JMX where the worker registered them: the task's
 * plugin metrics ({@code kafka.connect:type=plugins}), Connect's error-handling metrics (DLQ) and,
 * for a sink, its consumer's lag per partition. A task runs on exactly one worker, so its metrics
 * are found on that worker only.
 */
final class LocalTaskMetrics {
  /** Connect's consumer for sink task n of connector c is named connector-consumer-c-n. */
  private static final String SINK_CONSUMER = "connector-consumer-";

  private final MBeanServer server;

  LocalTaskMetrics(MBeanServer server) {
    this.server = server;
  }

  /** The task's figures by metric name, or empty where the task does not run on this worker. */
  Optional<Map<String, Double>> read(String connector, int task) {
    String c = Sanitizer.jmxSanitize(connector);
    try {
      if (server
          .queryNames(
              new ObjectName(
                  "kafka.connect:type=connector-task-metrics,connector=" + c + ",task=" + task),
              null)
          .isEmpty()) {
        return Optional.empty();
      }
      Map<String, Double> figures = new TreeMap<>();
      // The task's own metrics, some tagged further (a Kinesis shard): those are combined.
      addAll(figures, "kafka.connect:type=plugins,connector=" + c + ",task=" + task + ",*");
      addAll(
          figures, "kafka.connect:type=task-error-metrics,connector=" + c + ",task=" + task + ",*");
      String consumer = Sanitizer.jmxSanitize(SINK_CONSUMER + connector + "-" + task);
      for (ObjectName partition :
          server.queryNames(
              new ObjectName(
                  "kafka.consumer:type=consumer-fetch-manager-metrics,client-id="
                      + consumer
                      + ",topic=*,partition=*"),
              null)) {
        add(figures, "records-lag", server.getAttribute(partition, "records-lag"));
      }
      return Optional.of(figures);
    } catch (JMException e) {
      // A task stopping between the query and the read: report what it was, not an error page.
      return Optional.empty();
    }
  }

  private void addAll(Map<String, Double> figures, String pattern) throws JMException {
    Set<ObjectName> names = server.queryNames(new ObjectName(pattern), null);
    for (ObjectName name : names) {
      MBeanAttributeInfo[] attributes = server.getMBeanInfo(name).getAttributes();
      String[] attributeNames = new String[attributes.length];
      for (int i = 0; i < attributes.length; i++) {
        attributeNames[i] = attributes[i].getName();
      }
      for (Attribute attribute : server.getAttributes(name, attributeNames).asList()) {
        add(figures, attribute.getName(), attribute.getValue());
      }
    }
  }

  /**
   * Figures of one name from several MBeans (partitions, shards) combine as the metric means: how
   * far behind and how old take the worst, counts and rates add up.
   */
  static void add(Map<String, Double> figures, String name, Object value) {
    if (!(value instanceof Number number) || Double.isNaN(number.doubleValue())) {
      return; // a gauge with nothing to say yet (no fetch, no record)
    }
    double v = number.doubleValue();
    boolean worst = name.contains("behind") || name.contains("age") || name.endsWith("-max");
    figures.merge(name, v, worst ? Math::max : Double::sum);
  }
}
