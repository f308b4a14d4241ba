package io.pipelineconnect.sink;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkTaskContext;

/**
 * A SinkTaskContext for driving a task directly: remembers rewinds and timeouts it is asked for.
 */
final class RecordingSinkTaskContext implements SinkTaskContext {
  final Map<TopicPartition, Long> rewinds = new HashMap<>();

  /**
   * The threads that asked for rewinds: the worker reads them unsynchronized from its own thread,
   * so only the thread Connect calls the task on may ask.
   */
  final Set<String> rewindingThreads = ConcurrentHashMap.newKeySet();

  long timeout = -1;

  /** What pluginMetrics() offers: none, as on a worker whose metrics are off. */
  PluginMetrics pluginMetrics;

  /** The errant record reporter: none, as without a DLQ or errors.log.enable. */
  ErrantRecordReporter reporter;

  private final Map<String, String> configs;
  private final Set<TopicPartition> assignment;

  RecordingSinkTaskContext(Map<String, String> configs, Set<TopicPartition> assignment) {
    this.configs = configs;
    this.assignment = assignment;
  }

  @Override
  public Map<String, String> configs() {
    return configs;
  }

  @Override
  public void offset(Map<TopicPartition, Long> offsets) {
    rewindingThreads.add(Thread.currentThread().getName());
    rewinds.putAll(offsets);
  }

  @Override
  public void offset(TopicPartition tp, long offset) {
    rewindingThreads.add(Thread.currentThread().getName());
    rewinds.put(tp, offset);
  }

  @Override
  public void timeout(long timeoutMs) {
    timeout = timeoutMs;
  }

  @Override
  public Set<TopicPartition> assignment() {
    return assignment;
  }

  @Override
  public void pause(TopicPartition... partitions) {}

  @Override
  public void resume(TopicPartition... partitions) {}

  @Override
  public void requestCommit() {}

  @Override
  public PluginMetrics pluginMetrics() {
    return pluginMetrics;
  }

  @Override
  public ErrantRecordReporter errantRecordReporter() {
    return reporter;
  }
}
