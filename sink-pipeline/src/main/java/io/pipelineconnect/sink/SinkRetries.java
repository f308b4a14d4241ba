package io.pipelineconnect.sink;

import io.pipelineconnect.common.RetryPolicy;
import java.sql.SQLException;
import java.util.OptionalLong;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a failed database step into what Connect expects of a sink: a {@link RetriableException}
 * with the worker told to wait out the policy's backoff (it redelivers the same records), or, once
 * the retries are used up, a {@link ConnectException} that fails the task loudly.
 */
final class SinkRetries {
  private static final Logger log = LoggerFactory.getLogger(SinkRetries.class);

  private final RetryPolicy policy;
  private final SinkTaskContext context;
  private final Object database;

  /**
   * @param database what the steps write into, for messages (its toString never shows a password)
   */
  SinkRetries(RetryPolicy policy, SinkTaskContext context, Object database) {
    this.policy = policy;
    this.context = context;
    this.database = database;
  }

  /**
   * Runs a step of the task's start. A task may start while the database restarts: connection
   * failures are retried with backoff rather than leaving the task FAILED; any other failure, or
   * the retries used up, fails the task.
   *
   * @param afterFailure runs after each failure (closes what the step left half open)
   */
  void atStart(RetryPolicy.DatabaseStep<?> step, Runnable afterFailure) {
    try {
      policy.retryingConnectionFailures(
          step,
          (failure, waitMs) -> {
            afterFailure.run();
            log.warn(
                "Could not reach {} to start, retrying in {} ms: {}",
                database,
                waitMs,
                failure.getMessage());
          });
    } catch (SQLException e) {
      afterFailure.run();
      throw new ConnectException("Could not prepare " + database + ": " + e.getMessage(), e);
    }
  }

  /** The step succeeded: the next failure is the first again. */
  void succeeded() {
    policy.succeeded();
  }

  /**
   * Records a failure of {@code what}.
   *
   * @return the exception to throw from put(): retriable while retries are left, fatal after
   */
  RuntimeException failed(String what, Exception e) {
    OptionalLong backoff = policy.failed();
    if (backoff.isEmpty()) {
      return policy.givingUp("Failed " + what + " into " + database, e);
    }
    log.warn(
        "Failed {} (attempt {} of {}), retrying in {} ms: {}",
        what,
        policy.failures(),
        policy.maxAttempts(),
        backoff.getAsLong(),
        e.getMessage());
    context.timeout(backoff.getAsLong());
    return new RetriableException(e.getMessage(), e);
  }
}
