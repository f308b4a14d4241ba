package io.pipelineconnect.testsupport;

import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/** Emits {@code task-<id>-<n>} every 50 ms, resuming n from its committed offset. */
public class TickSourceTask extends SourceTask {
  private String topic;
  private String taskId;
  private long next;

  @Override
  public void start(Map<String, String> props) {
    topic = props.get(TickSourceConnector.TOPIC);
    taskId = props.get("task.id");
    Map<String, Object> offset = context.offsetStorageReader().offset(partition());
    next = offset == null ? 0 : ((Number) offset.get("n")).longValue() + 1;
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    Thread.sleep(50);
    long n = next++;
    return List.of(
        new SourceRecord(
            partition(),
            Map.of("n", n),
            topic,
            null,
            Schema.STRING_SCHEMA,
            "task-" + taskId + "-" + n));
  }

  private Map<String, String> partition() {
    return Map.of("task", taskId);
  }

  @Override
  public void stop() {}

  @Override
  public String version() {
    return "test";
  }
}
