package io.pipelineconnect.kinesis;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * What the connector knows of one stream: its shards, the closed ones whose SHARD_END is saved
 * (left out of the families, see {@link ShardLineage}), and when it was created. The shard monitor
 * asks it to look again; it says whether the tasks must be reconfigured.
 */
final class StreamWatch {
  private static final Logger log = LoggerFactory.getLogger(StreamWatch.class);

  private final StreamRef stream;
  private final KinesisClient kinesis;
  private final OffsetStorageReader offsets;
  private final Long createdMs;
  private volatile List<ShardInfo> shards;
  private volatile Set<String> ended;

  StreamWatch(StreamRef stream, KinesisClient kinesis, OffsetStorageReader offsets) {
    this.stream = stream;
    this.kinesis = kinesis;
    this.offsets = offsets;
    this.shards = ShardLister.list(kinesis, stream);
    this.createdMs = ShardLister.createdAt(kinesis, stream);
    this.ended = endedAmong(shards, Set.of());
    log.info(
        "Kinesis stream {} has {} shards (stream created {})",
        stream,
        shards.size(),
        createdMs == null ? "at an unknown time" : Instant.ofEpochMilli(createdMs));
  }

  /** The stream's name. */
  String stream() {
    return stream.name();
  }

  /** When the stream was created (epoch ms), or null where Kinesis would not say. */
  Long createdMs() {
    return createdMs;
  }

  /** The stream's shard families as tasks read them now. */
  List<List<ShardInfo>> families() {
    return ShardLineage.families(shards, ended);
  }

  /**
   * Lists the shards again: true if a split, a merge or a parent read to its end changed the
   * families. Throws if the stream was deleted and created again while read.
   */
  boolean changed() {
    List<ShardInfo> current = ShardLister.list(kinesis, stream);
    Long created = ShardLister.createdAt(kinesis, stream);
    if (created != null && createdMs != null && !created.equals(createdMs)) {
      // Deleted and created again while read: the tasks' positions belong to the old stream.
      throw new ConnectException(
          SavedPositions.recreatedMessage(stream.name(), createdMs, created));
    }
    Set<String> currentEnded = endedAmong(current, ended);
    boolean reshard = !new HashSet<>(current).equals(new HashSet<>(shards));
    boolean newlyEnded = !currentEnded.equals(ended);
    if (reshard) {
      log.info(
          "Shards of {} changed ({} -> {}); reconfiguring tasks",
          stream,
          shards.size(),
          current.size());
    }
    if (newlyEnded) {
      Set<String> added = new TreeSet<>(currentEnded);
      added.removeAll(ended);
      log.info(
          "Shards {} of {} were read to their end; their children now part and spread over the"
              + " tasks",
          added,
          stream);
    }
    shards = current;
    ended = currentEnded;
    return reshard || newlyEnded;
  }

  /**
   * The closed shards whose saved position is SHARD_END; the previous answer where the offsets
   * cannot be read now (a shard once ended stays ended, so a stale answer only delays spreading).
   */
  private Set<String> endedAmong(List<ShardInfo> listed, Set<String> previous) {
    List<String> closed = listed.stream().filter(ShardInfo::closed).map(ShardInfo::id).toList();
    if (closed.isEmpty()) {
      return Set.of();
    }
    try {
      return new SavedPositions(offsets, stream.name(), createdMs).ended(closed);
    } catch (RuntimeException e) {
      log.warn(
          "Could not read the saved positions of {}'s closed shards: {}", stream, e.getMessage());
      return previous;
    }
  }
}
