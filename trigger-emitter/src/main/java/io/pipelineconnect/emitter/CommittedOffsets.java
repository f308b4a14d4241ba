package io.pipelineconnect.emitter;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles what Connect has committed: reads the buckets' committed offsets back from Connect (not
 * from a per-record callback) and deletes, or with a retention marks, the messages they cover.
 */
final class CommittedOffsets {
  private static final Logger log = LoggerFactory.getLogger(CommittedOffsets.class);

  private final String schema;
  private final OffsetStorageReader offsets;
  private final OutboxRelay relay;
  private final Duration retention;

  CommittedOffsets(
      String schema, OffsetStorageReader offsets, OutboxRelay relay, Duration retention) {
    this.schema = schema;
    this.offsets = offsets;
    this.relay = relay;
    this.retention = retention;
  }

  /** Settles the messages of the buckets that Connect's committed offsets cover. */
  void settle(Connection db, List<Integer> buckets) throws SQLException {
    List<Map<String, Object>> partitions = new ArrayList<>();
    for (int bucket : buckets) {
      partitions.add(OutboxMessage.sourcePartition(schema, bucket));
    }
    Map<Map<String, Object>, Map<String, Object>> committed = offsets.offsets(partitions);
    int deleted = 0;
    for (int bucket : buckets) {
      OutboxMessage.Position position =
          OutboxMessage.Position.fromOffset(
              committed.get(OutboxMessage.sourcePartition(schema, bucket)));
      if (position != null) {
        deleted += relay.settleCommitted(db, bucket, position, retention);
      }
    }
    log.debug("Deleted {} relayed messages from the outbox", deleted);
  }
}
