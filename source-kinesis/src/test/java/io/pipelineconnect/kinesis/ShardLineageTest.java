package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShardLineageTest {
  @Test
  void splitsAndMergesJoinShardsIntoOneFamily() {
    ShardInfo a = new ShardInfo("a", List.of(), true);
    ShardInfo b = new ShardInfo("b", List.of(), true);
    ShardInfo c = new ShardInfo("c", List.of(), false);
    ShardInfo a1 = new ShardInfo("a1", List.of("a"), true);
    ShardInfo a2 = new ShardInfo("a2", List.of("a"), false);
    ShardInfo merged = new ShardInfo("m", List.of("a1", "b"), false);
    ShardInfo orphan = new ShardInfo("o", List.of("expired-parent"), false);
    assertThat(ShardLineage.families(List.of(merged, c, a2, a, b, a1, orphan)))
        .containsExactly(List.of(a, a1, a2, b, merged), List.of(c), List.of(orphan));
  }

  @Test
  void shardsSurviveTheTaskConfigEncoding() {
    List<ShardInfo> shards =
        List.of(
            new ShardInfo("shardId-000000000001", List.of("p1", "p2"), true),
            new ShardInfo("x", List.of(), false));
    assertThat(ShardInfo.decodeAll(ShardInfo.encodeAll(shards))).isEqualTo(shards);
    assertThat(ShardInfo.decodeAll("")).isEmpty();
  }
}
