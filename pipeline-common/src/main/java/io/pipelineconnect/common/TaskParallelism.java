package io.pipelineconnect.common;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;

/**
 * The seed's {@code parallelism} argument, kept for familiarity: Connect runs {@code tasks.max}
 * tasks and enforces that limit ({@code tasks.max.enforce}), so {@code parallelism} cannot raise
 * the task count. It is accepted only when it equals {@code tasks.max}; otherwise the config is
 * rejected with an error that says to set {@code tasks.max}.
 */
public final class TaskParallelism {
  public static final String PARALLELISM = "parallelism";
  public static final String PARALLELISM_DOC =
      "Number of parallel workers, as in pipeline_kafka/pipeline_kinesis. In Kafka Connect the"
          + " number of tasks is tasks.max; if set, this must equal tasks.max.";
  public static final String TASKS_MAX = "tasks.max";

  private TaskParallelism() {}

  /** Adds {@code parallelism} (optional, at least 1) to a ConfigDef. */
  public static ConfigDef define(ConfigDef configDef, String group, int orderInGroup) {
    return configDef.define(
        PARALLELISM,
        Type.INT,
        null,
        ConfigDef.LambdaValidator.with(
            (name, value) -> {
              if (value != null && ((Number) value).intValue() < 1) {
                throw new org.apache.kafka.common.config.ConfigException(
                    name, value, "At least 1; set tasks.max to the same value");
              }
            },
            () -> "unset, or a whole number equal to tasks.max"),
        Importance.LOW,
        PARALLELISM_DOC,
        group,
        orderInGroup,
        Width.SHORT,
        "Parallelism (= tasks.max)");
  }

  /**
   * The error for {@code parallelism}, if it is set and differs from {@code tasks.max}; for {@code
   * Connector.validate()} to attach to the key.
   */
  public static Optional<String> mismatch(Map<String, String> connectorConfig) {
    String parallelism = connectorConfig.get(PARALLELISM);
    if (parallelism == null || parallelism.isBlank()) {
      return Optional.empty();
    }
    String tasksMax = connectorConfig.getOrDefault(TASKS_MAX, "1").trim();
    if (parallelism.trim().equals(tasksMax)) {
      return Optional.empty();
    }
    return Optional.of(
        "parallelism="
            + parallelism.trim()
            + " but tasks.max="
            + tasksMax
            + ": Kafka Connect runs tasks.max tasks, so set tasks.max="
            + parallelism.trim()
            + " (and drop parallelism, or keep it equal)");
  }
}
