package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.Test;

class ShardPositionTest {
  @Test
  void theSourcePartitionSerializesTheSameWayInEveryJvm() {
    // Connect keys stored offsets by the serialized partition: a different key order in another
    // JVM means a worker taking over a task finds no offsets.
    JsonConverter converter = new JsonConverter();
    converter.configure(Map.of("schemas.enable", "false"), true);
    byte[] key = converter.fromConnectData("t", null, ShardPosition.partition("s", "shardId-1"));
    assertThat(new String(key, StandardCharsets.UTF_8))
        .isEqualTo("{\"shard\":\"shardId-1\",\"stream\":\"s\"}");
  }

  @Test
  void positionsRoundTripThroughOffsets() {
    ShardPosition after = ShardPosition.after("42");
    assertThat(ShardPosition.fromOffset(after.toOffset())).isEqualTo(after);
    ShardPosition latest = ShardPosition.latestAt(Instant.ofEpochMilli(1234));
    assertThat(ShardPosition.fromOffset(latest.toOffset())).isEqualTo(latest);
    ShardPosition end = ShardPosition.end("99");
    assertThat(ShardPosition.fromOffset(end.toOffset())).isEqualTo(end);
    assertThat(ShardPosition.fromOffset(null)).isNull();
    ShardPosition inside = ShardPosition.afterSubRecord("7", 3, false);
    assertThat(ShardPosition.fromOffset(inside.toOffset())).isEqualTo(inside);
    assertThat(inside.insideAggregate()).isTrue();
    ShardPosition lastSub = ShardPosition.afterSubRecord("7", 4, true);
    assertThat(ShardPosition.fromOffset(lastSub.toOffset())).isEqualTo(lastSub);
    assertThat(lastSub.insideAggregate()).isFalse();
    // Whole numbers may come back as Integer from some offset stores.
    assertThat(ShardPosition.fromOffset(Map.of("sequence", "7", "sub_sequence", 3)))
        .isEqualTo(inside);
  }
}
