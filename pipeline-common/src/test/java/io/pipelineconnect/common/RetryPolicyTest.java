package io.pipelineconnect.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  @Test
  void backsOffDoublingUpToAMinuteThenGivesUp() {
    RetryPolicy policy = new RetryPolicy(9, Duration.ofSeconds(1), 0);
    long[] waits = new long[9];
    for (int i = 0; i < 9; i++) {
      waits[i] = policy.failed().orElseThrow();
    }
    assertThat(waits)
        .containsExactly(1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000);
    assertThat(policy.failed()).isEmpty();
    assertThat(policy.failures()).isEqualTo(10);
  }

  @Test
  void eachWaitStraysFromTheDoublingByAtMostAFifthSoTasksThatFailedTogetherSpreadOut() {
    java.util.Set<Long> firstWaits = new java.util.HashSet<>();
    for (int run = 0; run < 200; run++) {
      RetryPolicy policy = new RetryPolicy(8, Duration.ofSeconds(1));
      long first = policy.failed().orElseThrow();
      assertThat(first).isBetween(800L, 1_200L);
      firstWaits.add(first);
      assertThat(policy.failed().orElseThrow()).isBetween(1_600L, 2_400L);
      for (int i = 0; i < 6; i++) {
        assertThat(policy.failed().orElseThrow()).isLessThanOrEqualTo(60_000L);
      }
      assertThat(policy.failed()).isEmpty();
    }
    assertThat(firstWaits).hasSizeGreaterThan(10);
    assertThat(new RetryPolicy(2, Duration.ZERO).failed()).hasValue(0);
  }

  @Test
  void throttledCallsRetryWithoutABoundWithFullJitterUnderTheCeiling() {
    RetryPolicy policy = RetryPolicy.throttled(Duration.ofMillis(200), Duration.ofSeconds(5));
    for (int i = 0; i < 1_000; i++) {
      long wait = policy.failed().orElseThrow();
      assertThat(wait).isBetween(0L, 5_000L);
    }
    policy.succeeded();
    assertThat(policy.failed().orElseThrow()).isBetween(0L, 400L);
    // A ceiling under the first wait caps it.
    assertThat(RetryPolicy.throttled(Duration.ofMillis(200), Duration.ofMillis(100)).failed())
        .hasValue(100);
  }

  @Test
  void givingUpNamesWhatFailedAndHowOftenItWasRetried() {
    RetryPolicy policy = new RetryPolicy(3, Duration.ofMillis(1));
    assertThat(policy.givingUp("Failed writing into db", new Exception("gone")))
        .hasMessage("Failed writing into db after 3 retries: gone");
  }

  @Test
  void aSuccessStartsTheCountAgainAndZeroRetriesFailsAtOnce() {
    RetryPolicy policy = new RetryPolicy(1, Duration.ofMillis(10), 0);
    assertThat(policy.failed()).hasValue(10);
    policy.succeeded();
    assertThat(policy.failed()).hasValue(10);
    assertThat(policy.failed()).isEmpty();
    assertThat(new RetryPolicy(0, Duration.ofMillis(10)).failed()).isEmpty();
  }

  @Test
  void connectionFailuresAreRetriedWithBackoffAndOtherFailuresAreNot() throws Exception {
    RetryPolicy policy = new RetryPolicy(3, java.time.Duration.ofMillis(1), 0);
    java.util.List<Long> waits = new java.util.ArrayList<>();
    int[] calls = {0};
    String result =
        policy.retryingConnectionFailures(
            () -> {
              if (++calls[0] < 3) {
                throw new java.sql.SQLException("Connection refused", "08001");
              }
              return "prepared";
            },
            (failure, waitMs) -> waits.add(waitMs));
    org.assertj.core.api.Assertions.assertThat(result).isEqualTo("prepared");
    org.assertj.core.api.Assertions.assertThat(waits).containsExactly(1L, 2L);
    org.assertj.core.api.Assertions.assertThat(policy.failures()).isZero();

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                policy.retryingConnectionFailures(
                    () -> {
                      throw new java.sql.SQLException("permission denied", "42501");
                    },
                    (failure, waitMs) -> waits.add(waitMs)))
        .hasMessage("permission denied");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                policy.retryingConnectionFailures(
                    () -> {
                      throw new java.sql.SQLException(
                          "the database system is shutting down", "57P03");
                    },
                    (failure, waitMs) -> {}))
        .hasMessageContaining("shutting down");
    org.assertj.core.api.Assertions.assertThat(policy.failures()).isEqualTo(4);
  }
}
