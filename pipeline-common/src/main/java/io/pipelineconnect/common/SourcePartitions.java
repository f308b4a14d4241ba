package io.pipelineconnect.common;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * Source partitions whose keys come in the order Connect's own offset lookups give them.
 *
 * <p>Connect stores a source offset under the partition's serialized bytes, in the map's iteration
 * order. Its REST API (GET and DELETE /connectors/{name}/offsets) reads the stored partitions back
 * with the offsets' JsonConverter and serializes the resulting maps again to look them up: a
 * partition stored in another key order is invisible there (GET shows null, DELETE changes
 * nothing). So the order is taken from that converter itself, once per set of keys.
 */
public final class SourcePartitions {
  private SourcePartitions() {}

  /** The keys in the order a map of them has after a round trip through Connect's converter. */
  public static List<String> keyOrder(String... keys) {
    JsonConverter converter = new JsonConverter();
    converter.configure(Map.of("schemas.enable", "false"), true);
    Map<String, Object> sample = new LinkedHashMap<>();
    for (String key : keys) {
      sample.put(key, "");
    }
    byte[] bytes = converter.fromConnectData("", null, sample);
    Object readBack = converter.toConnectData("", bytes).value();
    List<String> order = new ArrayList<>();
    for (Object key : ((Map<?, ?>) readBack).keySet()) {
      order.add((String) key);
    }
    converter.close();
    return List.copyOf(order);
  }

  /** A partition with the given values, iterating in {@code order}. */
  public static Map<String, Object> ordered(List<String> order, Map<String, ?> values) {
    Map<String, Object> partition = new LinkedHashMap<>();
    for (String key : order) {
      partition.put(key, values.get(key));
    }
    return partition;
  }
}
