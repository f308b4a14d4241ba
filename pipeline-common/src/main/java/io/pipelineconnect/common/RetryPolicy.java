package io.pipelineconnect.common;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * How often, and after how long, a task retries after a database error: {@code max.retries} retries
 * in a row, the first after {@code retry.backoff.ms}, each further one after twice the last, never
 * more than a minute; then the caller fails the task, loudly. Shared by the connectors so they
 * retry alike. Not thread-safe: one per task thread.
 */
public final class RetryPolicy {
  static final Duration MAX_BACKOFF = Duration.ofMinutes(1);

  private final int maxRetries;
  private final long initialBackoffMs;
  private int failures;

  public RetryPolicy(int maxRetries, Duration initialBackoff) {
    this.maxRetries = maxRetries;
    this.initialBackoffMs = initialBackoff.toMillis();
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
    return OptionalLong.of(
        Math.min(MAX_BACKOFF.toMillis(), initialBackoffMs << Math.min(20, failures - 1)));
  }

  /** An attempt got through: the next failure starts the count again. */
  public void succeeded() {
    failures = 0;
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
