package io.pipelineconnect.sink;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/** Connect's data as the plain Java values Jackson writes as JSON: for json and jsonb columns. */
final class ConnectValues {
  private ConnectValues() {}

  /** Connect data (Struct, Map, List, bytes) as plain Java values Jackson writes as JSON. */
  static Object plain(Object value) {
    if (value instanceof Struct struct) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (Field field : struct.schema().fields()) {
        map.put(field.name(), plain(struct.get(field)));
      }
      return map;
    }
    if (value instanceof Map<?, ?> source) {
      Map<String, Object> map = new LinkedHashMap<>();
      source.forEach((k, v) -> map.put(String.valueOf(k), plain(v)));
      return map;
    }
    if (value instanceof List<?> source) {
      List<Object> list = new ArrayList<>(source.size());
      source.forEach(v -> list.add(plain(v)));
      return list;
    }
    if (value instanceof byte[] bytes) {
      return Base64.getEncoder().encodeToString(bytes);
    }
    if (value instanceof java.util.Date date) {
      return date.toInstant().toString();
    }
    return value;
  }
}
