package io.pipelineconnect.kinesis;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/** A task context whose saved offsets a test sets (as Connect would have committed them). */
class FakeTaskContext implements SourceTaskContext {
  final Map<Map<String, Object>, Map<String, Object>> savedOffsets = new HashMap<>();
  PluginMetrics pluginMetrics;

  @Override
  public Map<String, String> configs() {
    return Map.of();
  }

  @Override
  public OffsetStorageReader offsetStorageReader() {
    return new OffsetStorageReader() {
      @Override
      public <T> Map<String, Object> offset(Map<String, T> partition) {
        return savedOffsets.get(partition);
      }

      @Override
      public <T> Map<Map<String, T>, Map<String, Object>> offsets(
          Collection<Map<String, T>> partitions) {
        Map<Map<String, T>, Map<String, Object>> result = new HashMap<>();
        for (Map<String, T> partition : partitions) {
          result.put(partition, savedOffsets.get(partition));
        }
        return result;
      }
    };
  }

  @Override
  public PluginMetrics pluginMetrics() {
    return pluginMetrics;
  }
}
