package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.Test;

class ShardPositionTest {
  @Test
  void theSourcePartitionSerializesAsConnectsOwnLookupsReserializeIt() {
    // Connect keys stored offsets by the serialized partition. Its REST GET and DELETE read the
    // stored partitions back into maps and serialize those again: only a partition whose bytes
    // survive that round trip is found by them (and by a worker in another JVM).
    JsonConverter converter = new JsonConverter();
    converter.configure(Map.of("schemas.enable", "false"), true);
    byte[] key = converter.fromConnectData("t", null, ShardPosition.partition("s", "shardId-1"));
    Object readBack = converter.toConnectData("t", key).value();
    assertThat(converter.fromConnectData("t", null, readBack)).isEqualTo(key);
    assertThat(new String(key, StandardCharsets.UTF_8))
        .isEqualTo("{\"stream\":\"s\",\"shard\":\"shardId-1\"}");
    // What earlier versions stored, which the round trip does not reproduce.
    byte[] legacy =
        converter.fromConnectData("t", null, ShardPosition.legacyPartition("s", "shardId-1"));
    Object legacyBack = converter.toConnectData("t", legacy).value();
    assertThat(converter.fromConnectData("t", null, legacyBack)).isNotEqualTo(legacy);
  }

  @Test
  void restOffsetsOfTheWrongShapeAreNamed() {
    assertThat(ShardPosition.offsetProblem(Map.of("sequence", "4955"))).isNull();
    assertThat(ShardPosition.offsetProblem(null)).isNull();
    assertThat(ShardPosition.offsetProblem(Map.of("sequence", 4955))).contains("string of digits");
    assertThat(ShardPosition.offsetProblem(Map.of("seq", "1"))).contains("unknown key seq");
    assertThat(ShardPosition.offsetProblem(Map.of("shard_end", true))).contains("give sequence");
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
