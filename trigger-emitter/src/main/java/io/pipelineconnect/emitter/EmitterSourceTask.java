package io.pipelineconnect.emitter;

import io.pipelineconnect.common.RetryPolicy;
import io.pipelineconnect.common.Version;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays the outbox buckets assigned to this task to Kafka.
 *
 * <p>Each bucket has exactly one owner: the task holds a session advisory lock per bucket on its
 * relay connection, so a zombie task or a rebalance overlap cannot relay a bucket twice or out of
 * order. Messages are claimed in id order into numbered relay batches; the source offset of each
 * record is (batch, id); once Connect has committed offsets, {@link #commit()} reads them back and
 * deletes what they cover. After a restart, claimed messages beyond the committed offset are
 * relayed again first (at least once; exactly once with KIP-618, whose aborted transactions are
 * exactly those messages).
 */
public class EmitterSourceTask extends SourceTask {
  private static final Logger log = LoggerFactory.getLogger(EmitterSourceTask.class);

  private static final int MAX_REMEMBERED_TOPICS = 10_000;
  private static final Pattern LEGAL_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  /** While messages keep coming, an empty claim is retried after this long, without LISTEN. */
  private static final long BUSY_POLL_MS = 5;

  /** The outbox counts as quiet once no claim has found messages for this long. */
  private static final long QUIET_AFTER_MS = 1000;

  private EmitterConfig config;
  private OutboxRelay relay;
  private List<Integer> assigned;
  private final Set<Integer> owned = new LinkedHashSet<>();

  /**
   * What {@link #commit()} reads, on Connect's offset-commit thread, while poll() changes {@link
   * #owned}: an immutable copy, replaced whenever the set changes.
   */
  private volatile List<Integer> ownedSnapshot = List.of();

  /** Database failures in a row; reset by a poll that reached the database. */
  private RetryPolicy retries;

  private final Deque<OutboxMessage> redo = new ArrayDeque<>();

  /**
   * Buckets just won whose claimed messages are still to be relayed again, page by page into {@link
   * #redo}, before anything new is claimed.
   */
  private final Deque<Recovery> recoveries = new ArrayDeque<>();

  /** Claimed messages of {@code buckets} after {@code after} (from the first if null) to redo. */
  private record Recovery(List<Integer> buckets, OutboxMessage.Position after) {}

  private Connection relayConnection;
  private Connection cleanupConnection;
  private volatile boolean stopping;
  private TopicPartitionCounts partitionCounts;
  private Pattern topicsAllowed;
  private final Map<String, Optional<String>> topicRefusals = new HashMap<>();
  private EmitterTaskMetrics metrics;
  private boolean listening;
  private long lastMessagesAtMs;
  private long lockNamespace;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new EmitterConfig(props);
    relay = new OutboxRelay(config.schema());
    assigned = config.taskBuckets();
    topicsAllowed = config.topicsAllowed();
    retries = config.retryPolicy();
    metrics = EmitterTaskMetrics.create(context, props.getOrDefault("name", "emitter"), assigned);
    if (partitionCounts == null) {
      log.warn(
          "kafka.bootstrap.servers is not set: a message for a topic that does not exist cannot"
              + " be told apart, and Connect's producer retries it forever while its bucket waits."
              + " Set kafka.bootstrap.servers so such messages are marked failed after {} ms.",
          config.missingTopicTimeout().toMillis());
    }
    partitionCounts = config.kafkaAdminSettings().map(TopicPartitionCounts::new).orElse(null);
    stopping = false;
    config.connection().plaintextWarning().ifPresent(log::warn);
    log.info("Emitter task relaying buckets {} of {}.outbox", assigned, config.schema());
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    if (stopping) {
      return null;
    }
    try {
      Connection db = relayConnection();
      acquireBuckets(db);
      retries.succeeded();
      if (owned.isEmpty()) {
        Thread.sleep(config.pollInterval().toMillis());
        return null;
      }
      if (redo.isEmpty()) {
        loadRecoveryPage(db);
      }
      if (!redo.isEmpty()) {
        return records(withoutPoison(db, drainRedo()));
      }
      List<OutboxMessage> messages = claim(db);
      if (messages.isEmpty()) {
        messages = awaitMessages(db);
      }
      if (!messages.isEmpty()) {
        lastMessagesAtMs = System.currentTimeMillis();
        if (listening) {
          setListening(db, false);
        }
      }
      messages = withoutPoison(db, messages);
      return messages.isEmpty() ? null : records(messages);
    } catch (SQLException e) {
      closeConnections();
      if (stopping) {
        return null;
      }
      // The claim is one transaction: either it committed and the messages are in the outbox as
      // claimed (relayed again after the reconnect), or nothing changed.
      OptionalLong backoff = retries.failed();
      if (backoff.isEmpty()) {
        throw new ConnectException(
            "Could not read the outbox in "
                + config.connection()
                + " after "
                + retries.maxRetries()
                + " retries: "
                + e.getMessage(),
            e);
      }
      // Connect calls poll() again at once after a RetriableException: the backoff is here.
      log.warn(
          "Could not read the outbox (attempt {} of {}), retrying in {} ms: {}",
          retries.failures(),
          retries.maxAttempts(),
          backoff.getAsLong(),
          e.getMessage());
      long wakeAt = System.currentTimeMillis() + backoff.getAsLong();
      while (!stopping && System.currentTimeMillis() < wakeAt) {
        // In slices: stop() must not wait out a minute's backoff.
        Thread.sleep(Math.min(100, Math.max(1, wakeAt - System.currentTimeMillis())));
      }
      throw new RetriableException("Could not read the outbox: " + e.getMessage(), e);
    }
  }

  /**
   * Why the topic is refused, decided once per topic: two regular expressions per message were work
   * on the relay's hot path for an answer that never changes while the task runs.
   */
  private Optional<String> topicRefusal(String topic) {
    Optional<String> known = topicRefusals.get(topic);
    if (known == null) {
      if (topicRefusals.size() >= MAX_REMEMBERED_TOPICS) {
        topicRefusals.clear(); // callers choose topics: keep the memory bounded
      }
      known = judgeTopic(topic);
      topicRefusals.put(topic, known);
    }
    return known;
  }

  private Optional<String> judgeTopic(String topic) {
    if (!LEGAL_TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
      return Optional.of(
          "topic " + topic + " is not a legal Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)");
    }
    if (topicsAllowed.matcher(topic).matches()) {
      return Optional.empty();
    }
    return Optional.of(
        "topic "
            + topic
            + " is not allowed by "
            + EmitterConfig.TOPICS_ALLOWED
            + " ("
            + topicsAllowed.pattern()
            + ")");
  }

  private List<OutboxMessage> claim(Connection db) throws SQLException {
    return relay.claim(db, List.copyOf(owned), config.batchSize(), config.maxMessageBytes());
  }

  /**
   * Marks failed, in the outbox, the messages that must not or cannot be sent: a topic outside
   * emitter.topics.allowed or not a legal Kafka name (the callers of produce_message are
   * untrusted), and, when kafka.bootstrap.servers is set, a partition the topic lacks or a topic
   * that has not existed for emitter.missing.topic.timeout.ms (sent, each would fail the task on
   * every restart or stall its bucket). A message whose topic is missing but still within that time
   * is held, with every later message of its bucket, to be looked at again.
   */
  private List<OutboxMessage> withoutPoison(Connection db, List<OutboxMessage> messages)
      throws SQLException {
    List<OutboxMessage> sendable = new ArrayList<>(messages.size());
    List<OutboxMessage> held = new ArrayList<>();
    Set<Integer> heldBuckets = new HashSet<>();
    for (OutboxMessage message : messages) {
      if (heldBuckets.contains(message.bucket())) {
        held.add(message);
        continue;
      }
      Optional<String> problem = topicRefusal(message.topic());
      if (problem.isEmpty() && partitionCounts != null) {
        Optional<Duration> missing = partitionCounts.missingFor(message.topic());
        if (missing.isPresent() && missing.get().compareTo(config.missingTopicTimeout()) < 0) {
          heldBuckets.add(message.bucket());
          held.add(message);
          continue;
        }
        if (missing.isPresent()) {
          problem =
              Optional.of(
                  "topic "
                      + message.topic()
                      + " does not exist (waited "
                      + missing.get().toMillis()
                      + " ms, emitter.missing.topic.timeout.ms): create it, or let the worker"
                      + " create it (topic.creation.default.* in the connector config)");
        } else if (message.partition() != null) {
          problem = partitionCounts.problem(message.topic(), message.partition());
        }
      }
      if (problem.isPresent()) {
        log.warn(
            "Outbox message {} for topic {} is not sent and stays in the outbox marked failed: {}",
            message.id(),
            message.topic(),
            problem.get());
        relay.markFailed(db, message.id(), problem.get());
        metrics.messageFailed();
      } else {
        sendable.add(message);
      }
    }
    if (!held.isEmpty()) {
      // First again, in their order, ahead of anything claimed after them.
      for (int i = held.size() - 1; i >= 0; i--) {
        redo.addFirst(held.get(i));
      }
      if (sendable.isEmpty()) {
        sleepQuietly(
            Math.min(
                TopicPartitionCounts.MISSING_RECHECK.toMillis(), config.pollInterval().toMillis()));
      }
    }
    return sendable;
  }

  private List<OutboxMessage> drainRedo() {
    List<OutboxMessage> messages = new ArrayList<>();
    while (!redo.isEmpty() && messages.size() < config.batchSize()) {
      messages.add(redo.poll());
    }
    return messages;
  }

  /**
   * Takes the bucket locks not held yet. For each bucket won, deletes what Connect has already
   * committed and queues the claimed rest to be relayed again.
   */
  private void acquireBuckets(Connection db) throws SQLException {
    if (owned.size() == assigned.size()) {
      return;
    }
    List<Integer> won = new ArrayList<>();
    try (PreparedStatement lock =
        db.prepareStatement("SELECT pg_try_advisory_lock(?::int, ?::int)")) {
      for (int bucket : assigned) {
        if (owned.contains(bucket)) {
          continue;
        }
        lock.setLong(1, lockNamespace);
        lock.setInt(2, bucket);
        try (ResultSet rs = lock.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            won.add(bucket);
          }
        }
      }
    }
    db.commit();
    if (won.isEmpty()) {
      log.debug("Buckets {} are still held by another relay", assigned);
      return;
    }
    deleteCommitted(db, won);
    recoveries.add(new Recovery(List.copyOf(won), null));
    owned.addAll(won);
    ownedSnapshot = List.copyOf(owned);
    log.info("Relaying buckets {}; their claimed, uncommitted messages go again first", won);
  }

  /** Queues the next page of claimed messages still to be relayed again, if any remain. */
  private void loadRecoveryPage(Connection db) throws SQLException {
    while (!recoveries.isEmpty()) {
      Recovery recovery = recoveries.peekFirst();
      List<OutboxMessage> page =
          relay.claimed(db, recovery.buckets(), recovery.after(), config.batchSize());
      recoveries.pollFirst();
      if (page.isEmpty()) {
        continue;
      }
      OutboxMessage last = page.get(page.size() - 1);
      recoveries.addFirst(
          new Recovery(recovery.buckets(), new OutboxMessage.Position(last.batch(), last.id())));
      redo.addAll(page);
      return;
    }
  }

  /**
   * The last claim found nothing: waits, then claims again.
   *
   * <p>With emitter.notify, the relay LISTENs only while the outbox is quiet. A listening backend
   * is signalled by every committing writer and reads every notification, and at thousands of
   * commits per second that slowed the relay itself down (measured at 5,000 transactions/s on 2
   * cores: p99 commit-to-Kafka 694 ms listening, 22 ms polling every 10 ms without LISTEN, the
   * writers' NOTIFY unchanged). So while messages keep coming (one was found in the last second) an
   * empty claim is simply retried after {@link #BUSY_POLL_MS}; once the outbox has been quiet that
   * long, the relay LISTENs and sleeps until a NOTIFY (or the poll interval) wakes it, and stops
   * listening again at the first message it finds.
   */
  private List<OutboxMessage> awaitMessages(Connection db) throws SQLException {
    if (!config.notifyOnWrite()) {
      sleepQuietly(config.pollInterval().toMillis());
      return claim(db);
    }
    if (System.currentTimeMillis() - lastMessagesAtMs < QUIET_AFTER_MS) {
      sleepQuietly(Math.min(BUSY_POLL_MS, config.pollInterval().toMillis()));
      return claim(db);
    }
    if (!listening) {
      setListening(db, true);
      // Committed between the last claim and the LISTEN: no notification will tell.
      List<OutboxMessage> missed = claim(db);
      if (!missed.isEmpty()) {
        return missed;
      }
    }
    PGNotification[] notifications =
        db.unwrap(PGConnection.class).getNotifications((int) config.pollInterval().toMillis());
    if (notifications != null && notifications.length > 0) {
      log.trace("Woken by {} notifications", notifications.length);
    }
    return claim(db);
  }

  private void setListening(Connection db, boolean listen) throws SQLException {
    try (Statement statement = db.createStatement()) {
      statement.execute((listen ? "LISTEN " : "UNLISTEN ") + config.schema() + "_outbox");
    }
    db.commit();
    if (!listen) {
      // Drop what arrived meanwhile: pgjdbc keeps notifications until asked for them.
      db.unwrap(PGConnection.class).getNotifications();
    }
    listening = listen;
  }

  private List<SourceRecord> records(List<OutboxMessage> messages) {
    List<SourceRecord> records = new ArrayList<>(messages.size());
    for (OutboxMessage message : messages) {
      records.add(
          new SourceRecord(
              OutboxMessage.sourcePartition(config.schema(), message.bucket()),
              message.sourceOffset(),
              message.topic(),
              message.partition(),
              Schema.OPTIONAL_BYTES_SCHEMA,
              message.key(),
              Schema.OPTIONAL_BYTES_SCHEMA,
              message.value()));
    }
    metrics.relayed(records.size());
    return records;
  }

  /** After Connect committed offsets: delete the messages they cover. */
  @Override
  public void commit() {
    List<Integer> buckets = ownedSnapshot;
    if (buckets.isEmpty() || stopping) {
      return;
    }
    try {
      deleteCommitted(cleanupConnection(), buckets);
    } catch (SQLException e) {
      // Harmless to postpone: the next commit (or a restart) deletes them.
      log.warn("Could not delete relayed messages from the outbox yet: {}", e.getMessage());
      closeCleanupConnection();
    }
  }

  private void deleteCommitted(Connection db, List<Integer> buckets) throws SQLException {
    List<Map<String, Object>> partitions = new ArrayList<>();
    for (int bucket : buckets) {
      partitions.add(OutboxMessage.sourcePartition(config.schema(), bucket));
    }
    Map<Map<String, Object>, Map<String, Object>> committed =
        context.offsetStorageReader().offsets(partitions);
    int deleted = 0;
    for (int bucket : buckets) {
      OutboxMessage.Position position =
          OutboxMessage.Position.fromOffset(
              committed.get(OutboxMessage.sourcePartition(config.schema(), bucket)));
      if (position != null) {
        deleted += relay.settleCommitted(db, bucket, position, config.retention());
      }
    }
    log.debug("Deleted {} relayed messages from the outbox", deleted);
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
    log.info("Emitter task for buckets {} stopped", assigned);
  }

  private Connection relayConnection() throws SQLException {
    if (relayConnection == null || relayConnection.isClosed()) {
      relayConnection = config.connection().open();
      relayConnection.setAutoCommit(false);
      // Bucket locks live on this session: a new session owns nothing until it locks again.
      owned.clear();
      ownedSnapshot = List.of();
      redo.clear();
      recoveries.clear();
      try (Statement statement = relayConnection.createStatement()) {
        try (ResultSet rs =
            statement.executeQuery("SELECT hashtext('" + config.schema() + ".outbox')")) {
          rs.next();
          lockNamespace = rs.getInt(1);
        }
      }
      relayConnection.commit();
      listening = false;
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

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
