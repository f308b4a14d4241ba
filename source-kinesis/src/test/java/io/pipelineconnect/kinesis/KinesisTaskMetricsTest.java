package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.connect.source.SourceRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;

/** Which registry the task's metrics go to, and what they say after records flowed. */
class KinesisTaskMetricsTest {
  private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();

  private final FakeKinesis kinesis = new FakeKinesis();

  private static GetRecordsResponse records(int count, long millisBehind) {
    List<Record> records = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      records.add(
          Record.builder()
              .sequenceNumber(String.valueOf(1000 + i))
              .partitionKey("k")
              .data(SdkBytes.fromUtf8String("v" + i))
              .approximateArrivalTimestamp(Instant.now())
              .build());
    }
    return GetRecordsResponse.builder()
        .records(records)
        .nextShardIterator("next")
        .millisBehindLatest(millisBehind)
        .build();
  }

  /** Starts a task on the context and polls until it handed over {@code expected} records. */
  private KinesisSourceTask runTask(FakeTaskContext context, String name, int index, int expected) {
    Map<String, String> props = new HashMap<>();
    props.put("name", name);
    props.put("kinesis.stream", "s");
    props.put("topic", "t");
    props.put("start_offset", "-2");
    props.put(KinesisSourceConfig.TASK_INDEX, String.valueOf(index));
    props.put(
        KinesisSourceConfig.TASK_SHARDS,
        ShardInfo.encodeAll(List.of(new ShardInfo("shard-7", List.of(), false))));
    KinesisSourceTask task = new KinesisSourceTask(config -> kinesis);
    task.initialize(context);
    task.start(props);
    List<SourceRecord> out = new ArrayList<>();
    Awaitility.await("records from the task")
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              List<SourceRecord> polled = task.poll();
              if (polled != null) {
                out.addAll(polled);
              }
              return out.size() >= expected;
            });
    return task;
  }

  @Test
  void theWorkersPluginMetricsAreUsedWhenOffered() throws Exception {
    Metrics worker = new Metrics();
    Map<String, String> taskTags = Map.of("connector", "metered", "task", "0");
    FakeTaskContext context = new FakeTaskContext();
    context.pluginMetrics = new PluginMetricsImpl(worker, taskTags);
    kinesis.getRecords.add(() -> records(3, 1500));
    kinesis.getRecords.add(() -> records(2, 700));
    KinesisSourceTask task = runTask(context, "metered", 0, 5);

    Map<String, String> shardTags = new HashMap<>(taskTags);
    shardTags.put("shard", "shard-7");
    assertThat(
            worker.metric(new MetricName("records-total", "plugins", "", taskTags)).metricValue())
        .isEqualTo(5.0);
    assertThat(
            (Double)
                worker
                    .metric(new MetricName("records-rate", "plugins", "", taskTags))
                    .metricValue())
        .isPositive();
    assertThat(
            worker
                .metric(new MetricName("millis-behind-latest", "plugins", "", shardTags))
                .metricValue())
        .isEqualTo(700L);
    // Not also through a JMX reporter of the task's own.
    assertThat(
            JMX.queryNames(new ObjectName("kafka.connect:type=plugins,connector=metered,*"), null))
        .isEmpty();
    task.stop();
    worker.close();
  }

  @Test
  void anOlderWorkerWithoutPluginMetricsGetsThemThroughJmx() throws Exception {
    FakeTaskContext context =
        new FakeTaskContext() {
          @Override
          public PluginMetrics pluginMetrics() {
            throw new NoSuchMethodError("SourceTaskContext.pluginMetrics()"); // a 4.0 worker
          }
        };
    kinesis.getRecords.add(() -> records(4, 250));
    KinesisSourceTask task = runTask(context, "old-worker", 3, 4);

    ObjectName taskBean = new ObjectName("kafka.connect:type=plugins,connector=old-worker,task=3");
    ObjectName shardBean =
        new ObjectName("kafka.connect:type=plugins,connector=old-worker,task=3,shard=shard-7");
    assertThat(JMX.getAttribute(taskBean, "records-total")).isEqualTo(4.0);
    assertThat(JMX.getAttribute(shardBean, "millis-behind-latest")).isEqualTo(250L);
    task.stop();
    assertThat(JMX.isRegistered(taskBean)).as("unregistered on stop").isFalse();
    assertThat(JMX.isRegistered(shardBean)).isFalse();
  }

  @Test
  void aContextWithoutPluginMetricsAlsoGetsThemThroughJmx() throws Exception {
    kinesis.getRecords.add(() -> records(1, 0));
    KinesisSourceTask task = runTask(new FakeTaskContext(), "no-metrics", 0, 1);
    ObjectName taskBean = new ObjectName("kafka.connect:type=plugins,connector=no-metrics,task=0");
    assertThat(JMX.getAttribute(taskBean, "records-total")).isEqualTo(1.0);
    task.stop();
    assertThat(JMX.isRegistered(taskBean)).isFalse();
  }
}
