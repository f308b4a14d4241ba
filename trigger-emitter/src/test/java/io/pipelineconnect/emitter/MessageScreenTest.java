package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The screen without kafka.bootstrap.servers (topics judged by name only, nothing held) and with a
 * fake of what Kafka says about topics.
 */
class MessageScreenTest {
  /** Topics Kafka has not known for a while, partition counts it knows, and what was asked. */
  private final Map<String, Duration> missing = new HashMap<>();

  private final Map<String, Integer> partitions = new HashMap<>();
  private final List<String> asked = new ArrayList<>();

  private final MessageScreen.KafkaTopics kafka =
      new MessageScreen.KafkaTopics() {
        @Override
        public Optional<Duration> missingFor(String topic) {
          asked.add("missing " + topic);
          return Optional.ofNullable(missing.get(topic));
        }

        @Override
        public Optional<String> problem(String topic, int partition) {
          asked.add("partition " + topic + "/" + partition);
          Integer count = partitions.get(topic);
          return count == null || partition < count
              ? Optional.empty()
              : Optional.of("partition " + partition + " does not exist");
        }
      };

  private final MessageScreen withKafka =
      new MessageScreen(new TopicRefusals(Pattern.compile("ok.*")), kafka, Duration.ofSeconds(30));

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

  @Test
  void aTopicMissingForLessThanTheTimeoutHoldsItsMessageAndTheLaterOnesOfItsBucketOnly() {
    missing.put("ok-new", Duration.ofSeconds(5));
    MessageScreen.Screened screened =
        withKafka.screen(
            List.of(
                message(1, 0, "ok-a"),
                message(2, 0, "ok-new"),
                message(3, 1, "ok-b"),
                message(4, 0, "ok-a"),
                message(5, 1, "ok-new")));
    assertThat(screened.sendable()).extracting(OutboxMessage::id).containsExactly(1L, 3L);
    assertThat(screened.held()).extracting(OutboxMessage::id).containsExactly(2L, 4L, 5L);
    assertThat(screened.refused()).isEmpty();
    // Message 4 is held behind message 2 without asking.
    assertThat(asked)
        .containsExactly("missing ok-a", "missing ok-new", "missing ok-b", "missing ok-new");
  }

  @Test
  void aTopicMissingForTheTimeoutIsRefusedSayingHowToCreateIt() {
    missing.put("ok-gone", Duration.ofSeconds(30));
    MessageScreen.Screened screened =
        withKafka.screen(List.of(message(1, 0, "ok-gone"), message(2, 0, "ok-a")));
    assertThat(screened.sendable()).extracting(OutboxMessage::id).containsExactly(2L);
    assertThat(screened.held()).isEmpty();
    assertThat(screened.refused())
        .singleElement()
        .extracting(MessageScreen.Refusal::reason)
        .isEqualTo(
            "topic ok-gone does not exist (waited 30000 ms, emitter.missing.topic.timeout.ms):"
                + " create it, or let the worker create it (topic.creation.default.* in the"
                + " connector config)");
  }

  @Test
  void aPartitionTheTopicLacksIsRefusedAndOnlyNamedPartitionsAreAsked() {
    partitions.put("ok-a", 2);
    OutboxMessage lacking = new OutboxMessage(1, 0, 1, "ok-a", 2, null, null);
    OutboxMessage present = new OutboxMessage(2, 0, 1, "ok-a", 1, null, null);
    OutboxMessage anyPartition = new OutboxMessage(3, 0, 1, "ok-a", null, null, null);
    MessageScreen.Screened screened = withKafka.screen(List.of(lacking, present, anyPartition));
    assertThat(screened.sendable()).containsExactly(present, anyPartition);
    assertThat(screened.refused())
        .singleElement()
        .satisfies(
            refusal -> {
              assertThat(refusal.message()).isSameAs(lacking);
              assertThat(refusal.reason()).isEqualTo("partition 2 does not exist");
            });
    assertThat(asked)
        .filteredOn(question -> question.startsWith("partition"))
        .containsExactly("partition ok-a/2", "partition ok-a/1");
  }

  @Test
  void aRefusedTopicIsNotAskedOfKafka() {
    MessageScreen.Screened screened = withKafka.screen(List.of(message(1, 0, "internal")));
    assertThat(screened.refused()).hasSize(1);
    assertThat(asked).isEmpty();
  }
}
