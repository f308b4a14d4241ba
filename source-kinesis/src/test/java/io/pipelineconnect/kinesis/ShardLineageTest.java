package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
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
  void aParentReadToItsEndLinksNoFamilyAndIsLeftOut() {
    ShardInfo a = new ShardInfo("a", List.of(), true);
    ShardInfo b = new ShardInfo("b", List.of(), true);
    ShardInfo a1 = new ShardInfo("a1", List.of("a"), false);
    ShardInfo a2 = new ShardInfo("a2", List.of("a"), true);
    ShardInfo merged = new ShardInfo("m", List.of("a2", "b"), false);
    // a ended: its children part; b has not, so the merge keeps b with m (and so with a2).
    assertThat(ShardLineage.families(List.of(a, b, a1, a2, merged), Set.of("a")))
        .containsExactly(List.of(a1), List.of(a2, b, merged));
    assertThat(ShardLineage.families(List.of(a, b, a1, a2), Set.of("a", "b")))
        .containsExactly(List.of(a1), List.of(a2));
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
