package io.pipelineconnect.emitter;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the relay sends next from the buckets it owns: first what is to be relayed again (recovered
 * or held), else newly claimed messages, waiting for them when there are none; each batch screened,
 * the messages that must not be sent marked failed in the outbox and the held ones queued again.
 * One relay session at a time; not thread-safe: the poll thread's.
 */
final class OutboxPoller {
  private static final Logger log = LoggerFactory.getLogger(OutboxPoller.class);

  /** While messages keep coming, an empty claim is retried after this long, without LISTEN. */
  static final long BUSY_POLL_MS = 5;

  /** The outbox counts as quiet once no claim has found messages for this long. */
  static final long QUIET_AFTER_MS = 1000;

  private final OutboxRelay relay;
  private final MessageScreen screen;
  private final EmitterTaskMetrics metrics;
  private final RedoQueue redo = new RedoQueue();
  private final int batchSize;
  private final int maxMessageBytes;
  private final Duration pollInterval;
  private final boolean notifyOnWrite;
  private boolean listening;
  private long lastMessagesAtMs;
  // The last claim filled its batch: more are likely waiting, so the next look claims at once.
  private boolean lastClaimFull;

  OutboxPoller(
      OutboxRelay relay, MessageScreen screen, EmitterTaskMetrics metrics, EmitterConfig config) {
    this.relay = relay;
    this.screen = screen;
    this.metrics = metrics;
    this.batchSize = config.batchSize();
    this.maxMessageBytes = config.maxMessageBytes();
    this.pollInterval = config.pollInterval();
    this.notifyOnWrite = config.notifyOnWrite();
  }

  /** A new relay session: nothing queued to redo, not listening. */
  void newSession() {
    redo.clear();
    listening = false;
    lastClaimFull = false;
  }

  /** The claimed, uncommitted messages of these buckets, just won, go again first. */
  void recover(List<Integer> won) {
    redo.recover(won);
  }

  /** The next messages to send, in order; empty when there are none for now. */
  List<OutboxMessage> next(Connection db, List<Integer> buckets) throws SQLException {
    List<OutboxMessage> again =
        redo.next((owned, after, limit) -> relay.claimed(db, owned, after, limit), batchSize);
    if (!again.isEmpty()) {
      return sendable(db, again);
    }
    List<OutboxMessage> messages = claim(db, buckets);
    if (messages.isEmpty()) {
      messages = awaitMessages(db, buckets);
    }
    if (!messages.isEmpty()) {
      lastMessagesAtMs = System.currentTimeMillis();
      if (listening) {
        setListening(db, false);
      }
    }
    return sendable(db, messages);
  }

  /**
   * Claims the next messages; unless the last claim filled its batch, only after a read-only probe
   * found some, so that looking at an empty outbox, which a relay does hundreds of times a second
   * while messages trickle in, costs the database no write.
   */
  private List<OutboxMessage> claim(Connection db, List<Integer> buckets) throws SQLException {
    if (!lastClaimFull && !relay.hasUnclaimed(db, buckets)) {
      return List.of();
    }
    OutboxRelay.Claim claim = relay.claim(db, buckets, batchSize, maxMessageBytes);
    if (!claim.messages().isEmpty()) {
      metrics.claimed(claim.oldestWaitMs());
    }
    lastClaimFull = claim.messages().size() >= batchSize;
    return claim.messages();
  }

  /**
   * Marks failed, in the outbox, the messages the screen refuses (sent, each would fail the task on
   * every restart or stall its bucket), and queues the held ones first again.
   */
  private List<OutboxMessage> sendable(Connection db, List<OutboxMessage> messages)
      throws SQLException {
    MessageScreen.Screened screened = screen.screen(messages);
    for (MessageScreen.Refusal refusal : screened.refused()) {
      OutboxMessage message = refusal.message();
      log.warn(
          "Outbox message {} for topic {} is not sent and stays in the outbox marked failed: {}",
          message.id(),
          message.topic(),
          refusal.reason());
      relay.markFailed(db, message.id(), refusal.reason());
      metrics.messageFailed();
    }
    if (!screened.held().isEmpty()) {
      redo.putBackFirst(screened.held());
      if (screened.sendable().isEmpty()) {
        sleepQuietly(Math.min(TopicPartitionCounts.MISSING_RECHECK.toMillis(), pollMillis()));
      }
    }
    return screened.sendable();
  }

  /**
   * The last claim found nothing: waits, then claims again.
   *
   * <p>While messages keep coming (one was found in the last second) the relay looks again after
   * {@link #BUSY_POLL_MS}; once the outbox has been quiet that long, every poll interval. With
   * emitter.notify, a quiet relay LISTENs instead and sleeps until a NOTIFY (or the poll interval)
   * wakes it, and stops listening again at the first message it finds: a listening backend is
   * signalled by every committing writer and reads every notification, and at thousands of commits
   * per second that slowed the relay itself down (measured at 5,000 transactions/s on 2 cores: p99
   * commit-to-Kafka 694 ms listening, 22 ms polling every 10 ms without LISTEN).
   */
  private List<OutboxMessage> awaitMessages(Connection db, List<Integer> buckets)
      throws SQLException {
    if (System.currentTimeMillis() - lastMessagesAtMs < QUIET_AFTER_MS) {
      sleepQuietly(Math.min(BUSY_POLL_MS, pollMillis()));
      return claim(db, buckets);
    }
    if (!notifyOnWrite) {
      sleepQuietly(pollMillis());
      return claim(db, buckets);
    }
    if (!listening) {
      setListening(db, true);
      // Committed between the last claim and the LISTEN: no notification will tell.
      List<OutboxMessage> missed = claim(db, buckets);
      if (!missed.isEmpty()) {
        return missed;
      }
    }
    int notifications = relay.awaitNotifications(db, pollInterval);
    if (notifications > 0) {
      log.trace("Woken by {} notifications", notifications);
    }
    return claim(db, buckets);
  }

  private void setListening(Connection db, boolean listen) throws SQLException {
    relay.listen(db, listen);
    listening = listen;
  }

  private long pollMillis() {
    return pollInterval.toMillis();
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
