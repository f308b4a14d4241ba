package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.common.RetryPolicy;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.junit.jupiter.api.Test;

class SinkRetriesTest {
  private final RecordingSinkTaskContext context = new RecordingSinkTaskContext(Map.of(), Set.of());

  @Test
  void aFailureIsRetriableWithTheWorkerToldToWaitUntilTheRetriesAreUsedUpThenItFailsTheTask() {
    SinkRetries retries =
        new SinkRetries(new RetryPolicy(2, Duration.ofMillis(100)), context, "db at localhost");
    SQLException refused = new SQLException("Connection refused", "08001");

    assertThat(retries.failed("writing 3 records", refused))
        .isInstanceOf(RetriableException.class)
        .hasCause(refused);
    assertThat(context.timeout).isBetween(80L, 120L);
    assertThat(retries.failed("writing 3 records", refused)).isInstanceOf(RetriableException.class);
    assertThat(context.timeout).isBetween(160L, 240L);
    assertThat(retries.failed("writing 3 records", refused))
        .isInstanceOf(ConnectException.class)
        .isNotInstanceOf(RetriableException.class)
        .hasMessage(
            "Failed writing 3 records into db at localhost after 2 retries: Connection refused");
  }

  @Test
  void aSuccessMakesTheNextFailureTheFirstAgain() {
    SinkRetries retries =
        new SinkRetries(new RetryPolicy(1, Duration.ofMillis(100)), context, "db");
    SQLException refused = new SQLException("Connection refused", "08001");
    assertThat(retries.failed("x", refused)).isInstanceOf(RetriableException.class);
    retries.succeeded();
    assertThat(retries.failed("x", refused)).isInstanceOf(RetriableException.class);
    assertThat(retries.failed("x", refused)).isNotInstanceOf(RetriableException.class);
  }

  @Test
  void aStartStepRetriesConnectionFailuresAndFailsTheTaskOnAnyOtherNamingTheDatabase() {
    SinkRetries retries = new SinkRetries(new RetryPolicy(3, Duration.ofMillis(1)), context, "db");
    AtomicInteger attempts = new AtomicInteger();
    AtomicInteger cleanups = new AtomicInteger();
    retries.atStart(
        () -> {
          if (attempts.incrementAndGet() < 3) {
            throw new SQLException("the database system is starting up", "57P03");
          }
          return null;
        },
        cleanups::incrementAndGet);
    assertThat(attempts).hasValue(3);
    assertThat(cleanups).hasValue(2);

    assertThatThrownBy(
            () ->
                retries.atStart(
                    () -> {
                      throw new SQLException("permission denied for schema s", "42501");
                    },
                    cleanups::incrementAndGet))
        .isInstanceOf(ConnectException.class)
        .hasMessage("Could not prepare db: permission denied for schema s");
    assertThat(cleanups).hasValue(3);
  }
}
