package io.pipelineconnect.kinesis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The positions Connect saved for shards of the stream: looked up under the partition this version
 * writes and, where there is none, under the one versions before 0.2 wrote; refused where they were
 * saved for an earlier stream of the same name.
 */
final class SavedPositions {
  private static final Logger log = LoggerFactory.getLogger(SavedPositions.class);

  private final OffsetStorageReader offsets;
  private final String stream;
  private final Long streamCreatedMs;

  SavedPositions(OffsetStorageReader offsets, String stream, Long streamCreatedMs) {
    this.offsets = offsets;
    this.stream = stream;
    this.streamCreatedMs = streamCreatedMs;
  }

  /** Each shard's saved position, in the shards' order: null for a shard that has none. */
  Map<String, ShardPosition> of(List<ShardInfo> shards) {
    Map<String, ShardPosition> positions = lookUp(shards.stream().map(ShardInfo::id).toList());
    positions.forEach(
        (shard, position) ->
            log.info(
                "Shard {}: {}",
                shard,
                position == null
                    ? "no saved position, start_offset applies"
                    : "resumes from " + position));
    return positions;
  }

  /**
   * The shards among these that were read to SHARD_END, as far as the saved positions tell: a quiet
   * lookup for the connector's shard monitor, which asks it on every run.
   */
  Set<String> ended(List<String> shardIds) {
    Set<String> ended = new TreeSet<>();
    lookUp(shardIds)
        .forEach(
            (shard, position) -> {
              if (position != null && position.shardEnd()) {
                ended.add(shard);
              }
            });
    return ended;
  }

  private Map<String, ShardPosition> lookUp(List<String> shardIds) {
    List<Map<String, Object>> partitions = new ArrayList<>();
    for (String shard : shardIds) {
      partitions.add(ShardPosition.partition(stream, shard));
    }
    Map<Map<String, Object>, Map<String, Object>> saved = offsets.offsets(partitions);
    List<Map<String, Object>> legacy = new ArrayList<>();
    for (String shard : shardIds) {
      if (saved.get(ShardPosition.partition(stream, shard)) == null) {
        legacy.add(ShardPosition.legacyPartition(stream, shard));
      }
    }
    // Equal maps: a legacy entry is found under the new partition's key.
    Map<Map<String, Object>, Map<String, Object>> legacySaved =
        legacy.isEmpty() ? Map.of() : offsets.offsets(legacy);
    Map<String, ShardPosition> positions = new LinkedHashMap<>();
    for (String shard : shardIds) {
      Map<String, Object> partition = ShardPosition.partition(stream, shard);
      Map<String, Object> offset = saved.get(partition);
      if (offset == null) {
        offset = legacySaved.get(partition);
      }
      checkSameStream(offset);
      positions.put(shard, ShardPosition.fromOffset(offset));
    }
    return positions;
  }

  /** One shard's saved position, or null if it has none. */
  ShardPosition of(String shardId) {
    Map<String, Object> offset = offsets.offset(ShardPosition.partition(stream, shardId));
    if (offset == null) {
      offset = offsets.offset(ShardPosition.legacyPartition(stream, shardId));
    }
    checkSameStream(offset);
    return ShardPosition.fromOffset(offset);
  }

  /**
   * Refuses a saved position of an earlier stream of the same name: Kinesis reuses shard ids, so
   * its SHARD_END would skip a new shard silently and its sequence numbers fail forever.
   */
  private void checkSameStream(Map<String, Object> offset) {
    Long savedFor = ShardPosition.streamCreated(offset);
    Long current = streamCreatedMs;
    if (savedFor != null && current != null && !savedFor.equals(current)) {
      throw new ConnectException(recreatedMessage(stream, savedFor, current));
    }
  }

  static String recreatedMessage(String stream, long savedForMs, long currentMs) {
    return "Kinesis stream "
        + stream
        + " was deleted and created again (the saved positions are of the stream created "
        + Instant.ofEpochMilli(savedForMs)
        + ", this one was created "
        + Instant.ofEpochMilli(currentMs)
        + "); they would skip or fail on the new stream's shards, whose ids repeat the old ones."
        + " To read the new stream, stop the connector and reset its offsets (PUT"
        + " /connectors/<name>/stop, then DELETE /connectors/<name>/offsets; start_offset then"
        + " applies), or read it with a connector of another name";
  }
}
