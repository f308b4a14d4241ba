package io.pipelineconnect.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskParallelismTest {
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
