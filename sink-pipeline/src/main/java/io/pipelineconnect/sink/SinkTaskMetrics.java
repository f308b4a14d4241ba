package io.pipelineconnect.sink;

import io.pipelineconnect.common.TaskMetricRegistry;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.connect.sink.SinkTaskContext;

/**
 * A sink task's metrics, in the worker's plugin metrics where it offers them (JMX: {@code
 * kafka.connect:type=plugins,connector=<name>,task=<n>}), else in a JMX registry of the task's own
 * (see {@link TaskMetricRegistry}): rows committed, bad records reported, and how long each COPY
 * and commit cycle took, the figure that moves first when the database slows down.
 */
final class SinkTaskMetrics implements AutoCloseable {
  static final String ROWS_RATE = "rows-committed-rate";
  static final String ROWS_TOTAL = "rows-committed-total";
  static final String BAD_RECORDS_TOTAL = "bad-records-total";
  static final String BATCHES_TOTAL = "batches-committed-total";
  static final String BATCH_TIME_AVG = "batch-write-time-ms-avg";
  static final String BATCH_TIME_MAX = "batch-write-time-ms-max";

  private final TaskMetricRegistry registry;
  private final Sensor rows;
  private final Sensor badRecords;
  private final Sensor batches;

  private SinkTaskMetrics(TaskMetricRegistry registry) {
    this.registry = registry;
    rows = registry.sensor("sink-rows");
    registry.add(
        rows,
        registry.name(ROWS_RATE, "Rows committed into the target relations per second."),
        new Rate());
    registry.add(
        rows,
        registry.name(ROWS_TOTAL, "Rows committed into the target relations in total."),
        new CumulativeSum());
    badRecords = registry.sensor("sink-bad-records");
    registry.add(
        badRecords,
        registry.name(
            BAD_RECORDS_TOTAL,
            "Records the database or the format refused, sent to the errant record reporter."),
        new CumulativeCount());
    batches = registry.sensor("sink-batches");
    registry.add(
        batches,
        registry.name(BATCHES_TOTAL, "COPY and commit cycles committed in total."),
        new CumulativeCount());
    registry.add(
        batches,
        registry.name(
            BATCH_TIME_AVG,
            "Average time of a cycle's flush: the rest of the COPY, the offsets, the commit."),
        new Avg());
    registry.add(
        batches,
        registry.name(BATCH_TIME_MAX, "Longest flush of a COPY and commit cycle."),
        new Max());
  }

  static SinkTaskMetrics create(SinkTaskContext context, String connector, int task) {
    return new SinkTaskMetrics(TaskMetricRegistry.forSinkTask(context, connector, task));
  }

  /** A cycle committed {@code rowCount} rows; its flush took {@code nanos}. */
  void batchCommitted(long rowCount, long nanos) {
    rows.record(rowCount);
    batches.record(nanos / 1e6);
  }

  void badRecord() {
    badRecords.record();
  }

  @Override
  public void close() {
    registry.close();
  }
}
