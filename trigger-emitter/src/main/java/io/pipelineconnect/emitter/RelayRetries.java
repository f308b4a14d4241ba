package io.pipelineconnect.emitter;

import io.pipelineconnect.common.RetryPolicy;
import java.sql.SQLException;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.connect.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the relay's retries after database errors with the shared {@link RetryPolicy}: waits its
 * backoff, then lets Connect call poll() again; after max.retries failures in a row, fails the
 * task. A poll that reaches the database starts the count again. Not thread-safe: the poll
 * thread's.
 */
final class RelayRetries {
  private static final Logger log = LoggerFactory.getLogger(RelayRetries.class);

  /** The longest stop() waits for a backoff to notice it. */
  static final long SLEEP_SLICE_MS = 100;

  private final RetryPolicy policy;
  private final Object database;
  private final BooleanSupplier stopping;

  /**
   * @param database where the outbox is, for the message that fails the task
   * @param stopping whether the task is stopping: a backoff ends early then
   */
  RelayRetries(RetryPolicy policy, Object database, BooleanSupplier stopping) {
    this.policy = policy;
    this.database = database;
    this.stopping = stopping;
  }

  /** A poll reached the database. */
  void succeeded() {
    policy.succeeded();
  }

  /**
   * Records a failure to read the outbox and waits the backoff.
   *
   * @return what poll() throws: a RetriableException, or a ConnectException once the retries are
   *     used up
   */
  RuntimeException failed(SQLException e) throws InterruptedException {
    OptionalLong backoff = policy.failed();
    if (backoff.isEmpty()) {
      return policy.givingUp("Could not read the outbox in " + database, e);
    }
    // Connect calls poll() again at once after a RetriableException: the backoff is here.
    log.warn(
        "Could not read the outbox (attempt {} of {}), retrying in {} ms: {}",
        policy.failures(),
        policy.maxAttempts(),
        backoff.getAsLong(),
        e.getMessage());
    long wakeAt = System.currentTimeMillis() + backoff.getAsLong();
    while (!stopping.getAsBoolean() && System.currentTimeMillis() < wakeAt) {
      // In slices: stop() must not wait out a minute's backoff.
      Thread.sleep(Math.min(SLEEP_SLICE_MS, Math.max(1, wakeAt - System.currentTimeMillis())));
    }
    return new RetriableException("Could not read the outbox: " + e.getMessage(), e);
  }
}
