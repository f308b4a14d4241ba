package io.pipelineconnect.status;

import java.util.List;
import java.util.Map;

/** A connector's figures over the tasks whose metrics could be read. */
record Figures(List<Map<String, Double>> tasks) {
  boolean has(String metric) {
    return tasks.stream().anyMatch(t -> t.containsKey(metric));
  }

  double sum(String metric) {
    return tasks.stream().mapToDouble(t -> t.getOrDefault(metric, 0.0)).sum();
  }

  double max(String metric) {
    return tasks.stream().mapToDouble(t -> t.getOrDefault(metric, 0.0)).max().orElse(0);
  }
}
