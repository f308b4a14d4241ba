package io.pipelineconnect.common;

import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalLong;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * How often, and after how long, a task retries after a database error: {@code max.retries} retries
 * in a row, the first after {@code retry.backoff.ms}, each further one after twice the last, never
 * more than a minute, each wait jittered by up to 20 % either way; then the caller fails the task,
 * loudly. Shared by the connectors so they retry alike. Not thread-safe: one per task thread.
 */
public final class RetryPolicy {
  static final Duration MAX_BACKOFF = Duration.ofMinutes(1);

  public static final String MAX_RETRIES = "max.retries";
  public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
  static final String RETRY_BACKOFF_MS_DOC =
      "Wait before the first retry; doubled on each further retry, up to one minute; each wait"
          + " varies by up to 20% either way, so tasks that failed together do not retry together.";

  /**
   * How far each wait may stray from the doubling, either way: tasks that failed together (a
   * database restart fails every task at once) do not all come back in the same instant.
   */
  static final double JITTER = 0.2;

  private final int maxRetries;
  private final ExponentialBackoff backoff;
  private int failures;

  public RetryPolicy(int maxRetries, Duration initialBackoff) {
    this(maxRetries, initialBackoff, JITTER);
  }

  RetryPolicy(int maxRetries, Duration initialBackoff, double jitter) {
    this(maxRetries, initialBackoff, MAX_BACKOFF, jitter);
  }

  private RetryPolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff, double jitter) {
    this.maxRetries = maxRetries;
    // Kafka's own backoff (KIP-580), the one its clients use: 0 ms stays 0 ms.
    this.backoff =
        new ExponentialBackoff(
            initialBackoff.toMillis(),
            2,
            Math.max(initialBackoff.toMillis(), maxBackoff.toMillis()),
            jitter);
  }

  /**
   * For calls a service throttles (Kinesis's per-shard limits): throttling is flow control, not a
   * failure to give up on, so the retries have no bound; each wait is the doubling, up to {@code
   * maxBackoff}, with full jitter (anywhere from none to twice), so readers throttled together
   * spread out.
   */
  public static RetryPolicy throttled(Duration initialBackoff, Duration maxBackoff) {
    Duration first = initialBackoff.compareTo(maxBackoff) > 0 ? maxBackoff : initialBackoff;
    return new RetryPolicy(Integer.MAX_VALUE, first, maxBackoff, 1.0);
  }

  /**
   * The exception that fails the task once the retries are used up.
   *
   * @param failed what failed, as the message's start: "Failed writing 3 records into db"
   */
  public ConnectException givingUp(String failed, Exception cause) {
    return new ConnectException(
        failed + " after " + maxRetries + " retries: " + cause.getMessage(), cause);
  }

  /**
   * Adds {@code max.retries} and {@code retry.backoff.ms} (default 10 and 1000) to a connector's
   * ConfigDef, in the given group.
   *
   * @param retried what is retried, for the docs: "a batch is retried after a transient database
   *     error (...)"
   */
  public static ConfigDef define(ConfigDef def, String group, String retried) {
    int order = 0;
    return def.define(
            MAX_RETRIES,
            Type.INT,
            10,
            ConfigDef.Range.atLeast(0),
            Importance.LOW,
            "How often " + retried + " before the task fails.",
            group,
            ++order,
            Width.SHORT,
            "Max retries")
        .define(
            RETRY_BACKOFF_MS,
            Type.LONG,
            1000L,
            ConfigDef.Range.between(0, 60_000),
            Importance.LOW,
            RETRY_BACKOFF_MS_DOC,
            group,
            ++order,
            Width.SHORT,
            "Retry backoff (ms)");
  }

  /** The policy a config defined with {@link #define} asks for. */
  public static RetryPolicy from(AbstractConfig config) {
    return new RetryPolicy(
        config.getInt(MAX_RETRIES), Duration.ofMillis(config.getLong(RETRY_BACKOFF_MS)));
  }

  /**
   * Records a failure.
   *
   * @return how long to wait before the next attempt, or empty when the retries are used up
   */
  public OptionalLong failed() {
    failures++;
    if (failures > maxRetries) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(backoff.backoff(failures - 1));
  }

  /** An attempt got through: the next failure starts the count again. */
  public void succeeded() {
    failures = 0;
  }

  /** One step against the database, for {@link #retryingConnectionFailures}. */
  @FunctionalInterface
  public interface DatabaseStep<T> {
    T run() throws SQLException;
  }

  /**
   * Whether a later attempt can get past the failure: the server unreachable, refusing connections
   * while it starts, or shutting down (SQLSTATE classes 08 and 57P).
   */
  public static boolean isConnectionFailure(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("08") || state.startsWith("57P"));
  }

  /**
   * Runs the step, waiting this policy's backoff after each connection failure and trying again,
   * for a start() that a database restart must not turn into a FAILED connector or task. Other
   * failures, and the connection failure after the last retry, are thrown.
   *
   * @param retrying called before each wait with the failure and the wait in milliseconds
   */
  public <T> T retryingConnectionFailures(
      DatabaseStep<T> step, java.util.function.BiConsumer<SQLException, Long> retrying)
      throws SQLException {
    while (true) {
      try {
        T result = step.run();
        succeeded();
        return result;
      } catch (SQLException e) {
        if (!isConnectionFailure(e)) {
          throw e;
        }
        OptionalLong backoff = failed();
        if (backoff.isEmpty()) {
          throw e;
        }
        retrying.accept(e, backoff.getAsLong());
        try {
          Thread.sleep(backoff.getAsLong());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** Failures in a row so far. */
  public int failures() {
    return failures;
  }

  public int maxRetries() {
    return maxRetries;
  }

  /** The attempts one problem may take: the first and every retry. */
  public int maxAttempts() {
    return maxRetries + 1;
  }
}
