package io.pipelineconnect.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskParallelismTest {
  @Test
  void definesAnOptionalKeyThatRejectsZero() {
    org.apache.kafka.common.config.ConfigDef def =
        TaskParallelism.define(new org.apache.kafka.common.config.ConfigDef(), "g", 1);
    assertThat(def.parse(Map.of())).containsEntry("parallelism", null);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> def.parse(Map.of("parallelism", "0")))
        .hasMessageContaining("parallelism");
  }

  @Test
  void acceptsAbsentOrEqualParallelism() {
    assertThat(TaskParallelism.mismatch(Map.of("tasks.max", "3"))).isEmpty();
    assertThat(TaskParallelism.mismatch(Map.of("tasks.max", "3", "parallelism", "3"))).isEmpty();
    assertThat(TaskParallelism.mismatch(Map.of("parallelism", "1"))).isEmpty();
  }

  @Test
  void rejectsADifferentParallelismTellingToSetTasksMax() {
    assertThat(TaskParallelism.mismatch(Map.of("tasks.max", "1", "parallelism", "4")))
        .hasValueSatisfying(message -> assertThat(message).contains("set tasks.max=4"));
  }
}
