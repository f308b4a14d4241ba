package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The screen without kafka.bootstrap.servers: topics judged by name only, nothing held. */
class MessageScreenTest {
  private final MessageScreen screen =
      new MessageScreen(new TopicRefusals(Pattern.compile("ok.*")), null, Duration.ofSeconds(30));

  private static OutboxMessage message(long id, int bucket, String topic) {
    return new OutboxMessage(id, bucket, 1, topic, null, null, null);
  }

  @Test
  void refusedTopicsAreSetAsideWithTheirReasonAndTheRestKeepTheirOrder() {
    MessageScreen.Screened screened =
        screen.screen(
            List.of(
                message(1, 0, "ok-a"),
                message(2, 0, "internal"),
                message(3, 1, "ok-b"),
                message(4, 0, "ok-a")));
    assertThat(screened.sendable()).extracting(OutboxMessage::id).containsExactly(1L, 3L, 4L);
    assertThat(screened.held()).isEmpty();
    assertThat(screened.refused())
        .singleElement()
        .satisfies(
            refusal -> {
              assertThat(refusal.message().id()).isEqualTo(2L);
              assertThat(refusal.reason()).startsWith("topic internal is not allowed by");
            });
  }

  @Test
  void withoutKafkaAPartitionIsNotChecked() {
    OutboxMessage toPartition = new OutboxMessage(1, 0, 1, "ok", 99, null, null);
    assertThat(screen.screen(List.of(toPartition)).sendable()).containsExactly(toPartition);
  }

  @Test
  void nothingClaimedIsNothingToSend() {
    MessageScreen.Screened screened = screen.screen(List.of());
    assertThat(screened.sendable()).isEmpty();
    assertThat(screened.held()).isEmpty();
    assertThat(screened.refused()).isEmpty();
  }
}
