package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.common.RetryPolicy;
import java.sql.SQLException;
import java.time.Duration;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.junit.jupiter.api.Test;

class RelayRetriesTest {
  private static final SQLException REFUSED = new SQLException("Connection refused", "08001");

  private static RelayRetries retries(int maxRetries, long backoffMs, boolean stopping) {
    return new RelayRetries(
        new RetryPolicy(maxRetries, Duration.ofMillis(backoffMs)),
        "PostgreSQL db:5432",
        () -> stopping);
  }

  @Test
  void afterMaxRetriesFailuresInARowTheTaskFailsNamingTheDatabaseAndTheCause()
      throws InterruptedException {
    RelayRetries retries = retries(2, 0, false);
    assertThat(retries.failed(REFUSED)).isInstanceOf(RetriableException.class);
    assertThat(retries.failed(REFUSED)).isInstanceOf(RetriableException.class);
    RuntimeException last = retries.failed(REFUSED);
    assertThat(last)
        .isInstanceOf(ConnectException.class)
        .isNotInstanceOf(RetriableException.class)
        .hasMessage(
            "Could not read the outbox in PostgreSQL db:5432 after 2 retries: Connection refused")
        .hasCause(REFUSED);
  }

  @Test
  void aPollThatReachesTheDatabaseStartsTheCountAgain() throws InterruptedException {
    RelayRetries retries = retries(1, 0, false);
    assertThat(retries.failed(REFUSED)).isInstanceOf(RetriableException.class);
    retries.succeeded();
    assertThat(retries.failed(REFUSED)).isInstanceOf(RetriableException.class);
    assertThat(retries.failed(REFUSED)).isNotInstanceOf(RetriableException.class);
  }

  @Test
  void withNoRetriesTheFirstFailureFailsTheTask() throws InterruptedException {
    assertThat(retries(0, 0, false).failed(REFUSED)).isNotInstanceOf(RetriableException.class);
  }

  @Test
  void eachRetryWaitsItsBackoffFirstAndTheBackoffDoubles() throws InterruptedException {
    RelayRetries retries = retries(3, 40, false);
    long started = System.nanoTime();
    retries.failed(REFUSED);
    long first = System.nanoTime();
    retries.failed(REFUSED);
    long second = System.nanoTime();
    // The policy jitters each wait by up to a fifth either way.
    assertThat(Duration.ofNanos(first - started)).isGreaterThanOrEqualTo(Duration.ofMillis(32));
    assertThat(Duration.ofNanos(second - first)).isGreaterThanOrEqualTo(Duration.ofMillis(64));
  }

  @Test
  void aStoppingTaskDoesNotWaitOutTheBackoff() throws InterruptedException {
    RelayRetries retries = retries(3, 60_000, true);
    long started = System.nanoTime();
    assertThat(retries.failed(REFUSED)).isInstanceOf(RetriableException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void theFailureThrownToConnectKeepsTheCause() throws InterruptedException {
    assertThat(retries(1, 0, false).failed(REFUSED))
        .hasMessage("Could not read the outbox: Connection refused")
        .hasCause(REFUSED);
  }
}
