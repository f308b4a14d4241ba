package io.pipelineconnect.emitter;

import io.pipelineconnect.common.Version;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays the outbox buckets assigned to this task to Kafka.
 *
 * <p>Each bucket has exactly one owner: the task holds a session advisory lock per bucket on its
 * relay connection ({@link BucketLocks}), so a zombie task or a rebalance overlap cannot relay a
 * bucket twice or out of order. Messages are claimed in id order into numbered relay batches
 * ({@link OutboxPoller}); the source offset of each record is (batch, id); once Connect has
 * committed offsets, {@link #commit()} reads them back and deletes what they cover ({@link
 * CommittedOffsets}). After a restart, claimed messages beyond the committed offset are relayed
 * again first (at least once; exactly once with KIP-618, whose aborted transactions are exactly
 * those messages).
 */
public class EmitterSourceTask extends SourceTask {
  private static final Logger log = LoggerFactory.getLogger(EmitterSourceTask.class);

  private EmitterConfig config;
  private BucketLocks buckets;
  private OutboxPoller poller;
  private CommittedOffsets committed;
  private RelayRetries retries;
  private TopicPartitionCounts partitionCounts;
  private EmitterTaskMetrics metrics;
  private RelayLagWatch lag;

  /** The session that holds the bucket locks, claims and relays. */
  private Connection relayConnection;

  /** The offset-commit thread's session, for {@link #commit()}. */
  private Connection cleanupConnection;

  private volatile boolean stopping;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new EmitterConfig(props);
    OutboxRelay relay = new OutboxRelay(config.schema());
    buckets = new BucketLocks(config.schema(), config.taskBuckets());
    lag = new RelayLagWatch(relay, buckets, config.lagWarning());
    metrics =
        EmitterTaskMetrics.create(context, props.getOrDefault("name", "emitter"), buckets, lag);
    partitionCounts = config.kafkaAdminSettings().map(TopicPartitionCounts::new).orElse(null);
    if (partitionCounts == null) {
      log.warn(
          "kafka.bootstrap.servers is not set: a message for a topic that does not exist cannot"
              + " be told apart, and Connect's producer retries it forever while its bucket waits."
              + " Set kafka.bootstrap.servers so such messages are marked failed after {} ms.",
          config.missingTopicTimeout().toMillis());
    }
    MessageScreen screen =
        new MessageScreen(
            new TopicRefusals(config.topicsAllowed()),
            partitionCounts,
            config.missingTopicTimeout());
    poller = new OutboxPoller(relay, screen, metrics, config);
    committed =
        new CommittedOffsets(
            config.schema(), context.offsetStorageReader(), relay, config.retention());
    retries = new RelayRetries(config.retryPolicy(), config.connection(), () -> stopping);
    stopping = false;
    config.connection().plaintextWarning().ifPresent(log::warn);
    log.info("Emitter task relaying buckets {} of {}.outbox", buckets.assigned(), config.schema());
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    if (stopping) {
      return null;
    }
    try {
      Connection db = relayConnection();
      acquireBuckets(db);
      // Before the wait for buckets not owned: a task that owns none is the one to see.
      lag.check(db);
      retries.succeeded();
      List<Integer> owned = buckets.owned();
      if (owned.isEmpty()) {
        Thread.sleep(config.pollInterval().toMillis());
        return null;
      }
      List<OutboxMessage> messages = poller.next(db, owned);
      return messages.isEmpty() ? null : records(messages);
    } catch (SQLException e) {
      closeConnections();
      if (stopping) {
        return null;
      }
      // The claim is one transaction: either it committed and the messages are in the outbox as
      // claimed (relayed again after the reconnect), or nothing changed.
      throw retries.failed(e);
    }
  }

  /**
   * Takes the bucket locks not held yet. For each bucket won, deletes what Connect has already
   * committed and queues the claimed rest to be relayed again.
   */
  private void acquireBuckets(Connection db) throws SQLException {
    List<Integer> won = buckets.acquire(db);
    if (won.isEmpty()) {
      return;
    }
    committed.settle(db, won);
    poller.recover(won);
    buckets.own(won);
    log.info("Relaying buckets {}; their claimed, uncommitted messages go again first", won);
  }

  private List<SourceRecord> records(List<OutboxMessage> messages) {
    List<SourceRecord> records = new ArrayList<>(messages.size());
    for (OutboxMessage message : messages) {
      records.add(message.toSourceRecord(config.schema()));
    }
    metrics.relayed(records.size());
    lag.relayed(records.size());
    return records;
  }

  /** After Connect committed offsets: delete the messages they cover. */
  @Override
  public void commit() {
    List<Integer> owned = buckets.owned();
    if (owned.isEmpty() || stopping) {
      return;
    }
    try {
      committed.settle(cleanupConnection(), owned);
    } catch (SQLException e) {
      // Harmless to postpone: the next commit (or a restart) deletes them.
      log.warn("Could not delete relayed messages from the outbox yet: {}", e.getMessage());
      closeCleanupConnection();
    }
  }

  @Override
  public void stop() {
    stopping = true;
    closeConnections();
    if (partitionCounts != null) {
      partitionCounts.close();
    }
    if (metrics != null) {
      metrics.close();
    }
    log.info(
        "Emitter task for buckets {} stopped", buckets == null ? List.of() : buckets.assigned());
  }

  private Connection relayConnection() throws SQLException {
    if (relayConnection == null || relayConnection.isClosed()) {
      relayConnection = config.connection().open();
      relayConnection.setAutoCommit(false);
      // Bucket locks live on this session: a new session owns nothing until it locks again.
      poller.newSession();
      buckets.newSession(relayConnection);
    }
    return relayConnection;
  }

  private Connection cleanupConnection() throws SQLException {
    if (cleanupConnection == null || cleanupConnection.isClosed()) {
      cleanupConnection = config.connection().open();
      cleanupConnection.setAutoCommit(false);
    }
    return cleanupConnection;
  }

  private void closeConnections() {
    if (relayConnection != null) {
      try {
        relayConnection.close();
      } catch (SQLException ignored) {
        // Closing a broken connection.
      }
      relayConnection = null;
    }
    closeCleanupConnection();
  }

  private void closeCleanupConnection() {
    if (cleanupConnection != null) {
      try {
        cleanupConnection.close();
      } catch (SQLException ignored) {
        // Closing a broken connection.
      }
      cleanupConnection = null;
    }
  }
}
