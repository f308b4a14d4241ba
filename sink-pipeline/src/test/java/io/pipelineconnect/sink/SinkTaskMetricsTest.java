package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.junit.jupiter.api.Test;

class SinkTaskMetricsTest {
  /**
   * The worker gives each instance of a task plugin metrics with the task's tags; one whose
   * graceful stop timed out still holds its names when the next instance starts on that worker.
   * Registering the same names again threw IllegalArgumentException from start(), which killed the
   * task for good (seen with the Kinesis source in FaultSuiteIT).
   */
  @Test
  void aTaskStartsWhileAnEarlierInstanceStillHoldsItsMetrics() {
    try (Metrics worker = new Metrics()) {
      Map<String, String> tags = Map.of("connector", "c", "task", "0");
      RecordingSinkTaskContext stuck = new RecordingSinkTaskContext(Map.of(), Set.of());
      stuck.pluginMetrics = new PluginMetricsImpl(worker, tags);
      RecordingSinkTaskContext next = new RecordingSinkTaskContext(Map.of(), Set.of());
      next.pluginMetrics = new PluginMetricsImpl(worker, tags);

      SinkTaskMetrics.create(stuck, "c", 0).batchCommitted(3, 1_000_000);
      SinkTaskMetrics restarted = SinkTaskMetrics.create(next, "c", 0);
      restarted.batchCommitted(4, 1_000_000);
      restarted.badRecord();

      MetricName total = worker.metricName(SinkTaskMetrics.ROWS_TOTAL, "plugins", "", tags);
      assertThat(worker.metrics()).containsKey(total);
    }
  }
}
