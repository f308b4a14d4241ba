package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the connector shares tasks.max among its streams, each task reading one stream. */
class TasksPerStreamTest {
  private static Map<String, List<List<ShardInfo>>> families(Object... streamAndCount) {
    Map<String, List<List<ShardInfo>>> families = new LinkedHashMap<>();
    for (int i = 0; i < streamAndCount.length; i += 2) {
      families.put(
          (String) streamAndCount[i],
          new ArrayList<>(Collections.nCopies((Integer) streamAndCount[i + 1], List.of())));
    }
    return families;
  }

  @Test
  void everyStreamGetsATaskAndTheSpareOnesGoWhereTheMostFamiliesArePerTask() {
    assertThat(KinesisSourceConnector.tasksPerStream(families("eu", 2, "us", 1), 3))
        .containsExactly(Map.entry("eu", 2), Map.entry("us", 1));
    assertThat(KinesisSourceConnector.tasksPerStream(families("a", 8, "b", 4, "c", 1), 6))
        .containsExactly(Map.entry("a", 3), Map.entry("b", 2), Map.entry("c", 1));
  }

  @Test
  void noStreamGetsMoreTasksThanFamiliesAndTasksMaxEqualToTheStreamsGivesOneEach() {
    assertThat(KinesisSourceConnector.tasksPerStream(families("eu", 2, "us", 1), 10))
        .containsExactly(Map.entry("eu", 2), Map.entry("us", 1));
    assertThat(KinesisSourceConnector.tasksPerStream(families("eu", 4, "us", 4), 2))
        .containsExactly(Map.entry("eu", 1), Map.entry("us", 1));
    assertThat(KinesisSourceConnector.tasksPerStream(families("empty", 0), 3))
        .containsExactly(Map.entry("empty", 1));
  }
}
