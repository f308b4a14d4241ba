package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.junit.jupiter.api.Test;

/** Saved positions as a task finds them: current and legacy partitions, recreated streams. */
class SavedPositionsTest {
  private final FakeTaskContext context = new FakeTaskContext();

  private SavedPositions positions(Long streamCreatedMs) {
    return new SavedPositions(context.offsetStorageReader(), "s", streamCreatedMs);
  }

  private static ShardInfo shard(String id) {
    return new ShardInfo(id, List.of(), false);
  }

  @Test
  void eachShardGetsItsPositionInTheShardsOrderAndNullWhereNoneIsSaved() {
    context.savedOffsets.put(
        ShardPosition.partition("s", "b"), ShardPosition.after("41").toOffset(2_000L));
    Map<String, ShardPosition> found =
        positions(2_000L).of(List.of(shard("c"), shard("b"), shard("a")));
    assertThat(found.keySet()).containsExactly("c", "b", "a");
    assertThat(found.get("b")).isEqualTo(ShardPosition.after("41"));
    assertThat(found.get("a")).isNull();
    assertThat(positions(2_000L).of("b")).isEqualTo(ShardPosition.after("41"));
    assertThat(positions(2_000L).of("a")).isNull();
  }

  @Test
  void onlyShardsWhoseSavedPositionIsShardEndCountAsEnded() {
    context.savedOffsets.put(
        ShardPosition.partition("s", "done"), ShardPosition.end("77").toOffset(2_000L));
    context.savedOffsets.put(
        ShardPosition.partition("s", "midway"), ShardPosition.after("41").toOffset(2_000L));
    assertThat(positions(2_000L).ended(List.of("midway", "done", "unread")))
        .containsExactly("done");
  }

  /**
   * Offsets keyed as Connect keys them, by the partition serialized in its own key order, so a
   * legacy (sorted) partition is a key of its own rather than a map equal to the current one.
   */
  private static final class SerializedOffsets implements OffsetStorageReader {
    final Map<String, Map<String, Object>> stored = new HashMap<>();

    void save(Map<String, Object> partition, ShardPosition position) {
      stored.put(partition.toString(), position.toOffset());
    }

    @Override
    public <T> Map<String, Object> offset(Map<String, T> partition) {
      return stored.get(partition.toString());
    }

    @Override
    public <T> Map<Map<String, T>, Map<String, Object>> offsets(
        Collection<Map<String, T>> partitions) {
      Map<Map<String, T>, Map<String, Object>> result = new HashMap<>();
      partitions.forEach(p -> result.put(p, offset(p)));
      return result;
    }
  }

  @Test
  void aPositionSavedUnderTheLegacyPartitionIsFoundWhereTheCurrentOneHasNone() {
    SerializedOffsets offsets = new SerializedOffsets();
    offsets.save(ShardPosition.legacyPartition("s", "old"), ShardPosition.after("7"));
    offsets.save(ShardPosition.legacyPartition("s", "both"), ShardPosition.after("1"));
    offsets.save(ShardPosition.partition("s", "both"), ShardPosition.after("2"));
    SavedPositions positions = new SavedPositions(offsets, "s", null);
    Map<String, ShardPosition> found = positions.of(List.of(shard("old"), shard("both")));
    assertThat(found.get("old")).isEqualTo(ShardPosition.after("7"));
    assertThat(found.get("both")).isEqualTo(ShardPosition.after("2"));
    assertThat(positions.of("old")).isEqualTo(ShardPosition.after("7"));
    assertThat(positions.of("both")).isEqualTo(ShardPosition.after("2"));
    assertThat(positions.of("none")).isNull();
  }

  @Test
  void aPositionOfAnEarlierStreamOfTheSameNameIsRefused() {
    context.savedOffsets.put(
        ShardPosition.partition("s", "a"), new HashMap<>(ShardPosition.end("77").toOffset(1_000L)));
    assertThatThrownBy(() -> positions(2_000L).of(List.of(shard("a"))))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("Kinesis stream s was deleted and created again")
        .hasMessageContaining("DELETE /connectors/<name>/offsets");
    assertThatThrownBy(() -> positions(2_000L).of("a")).isInstanceOf(ConnectException.class);
    // Where either creation time is unknown, nothing can be told: the position applies.
    assertThat(positions(null).of("a")).isEqualTo(ShardPosition.end("77"));
    context.savedOffsets.put(ShardPosition.partition("s", "b"), ShardPosition.end("5").toOffset());
    assertThat(positions(2_000L).of("b")).isEqualTo(ShardPosition.end("5"));
  }
}
