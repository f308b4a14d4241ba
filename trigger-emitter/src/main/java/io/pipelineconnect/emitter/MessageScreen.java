package io.pipelineconnect.emitter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Sorts claimed messages into those to send, those to hold, and those that must not or cannot be
 * sent: a topic outside emitter.topics.allowed or not a legal Kafka name (the callers of
 * produce_message are untrusted), and, when kafka.bootstrap.servers is set, a partition the topic
 * lacks or a topic that has not existed for emitter.missing.topic.timeout.ms (sent, each would fail
 * the task on every restart or stall its bucket). A message whose topic is missing but still within
 * that time is held, with every later message of its bucket, to be looked at again. Judges only:
 * the caller marks the refused failed and queues the held.
 */
final class MessageScreen {
  private final TopicRefusals topicRefusals;
  private final KafkaTopics partitionCounts;
  private final Duration missingTopicTimeout;

  /** What Kafka says of a message's topic: {@link TopicPartitionCounts}, or a fake in tests. */
  interface KafkaTopics {
    /** How long Kafka has been seen not to know the topic; empty if it has it or cannot tell. */
    Optional<Duration> missingFor(String topic);

    /** Why the partition cannot be produced to, if it cannot. */
    Optional<String> problem(String topic, int partition);
  }

  /** A message that must not be sent, and why. */
  record Refusal(OutboxMessage message, String reason) {}

  /** The messages in their order: to send, to hold (first again next time), to mark failed. */
  record Screened(List<OutboxMessage> sendable, List<OutboxMessage> held, List<Refusal> refused) {}

  /**
   * @param partitionCounts null without kafka.bootstrap.servers: topics and partitions are then not
   *     checked against Kafka
   */
  MessageScreen(
      TopicRefusals topicRefusals, KafkaTopics partitionCounts, Duration missingTopicTimeout) {
    this.topicRefusals = topicRefusals;
    this.partitionCounts = partitionCounts;
    this.missingTopicTimeout = missingTopicTimeout;
  }

  Screened screen(List<OutboxMessage> messages) {
    List<OutboxMessage> sendable = new ArrayList<>(messages.size());
    List<OutboxMessage> held = new ArrayList<>();
    List<Refusal> refused = new ArrayList<>();
    Set<Integer> heldBuckets = new HashSet<>();
    for (OutboxMessage message : messages) {
      if (heldBuckets.contains(message.bucket())) {
        held.add(message);
        continue;
      }
      Optional<String> problem = topicRefusals.refusal(message.topic());
      if (problem.isEmpty() && partitionCounts != null) {
        Optional<Duration> missing = partitionCounts.missingFor(message.topic());
        if (missing.isPresent() && missing.get().compareTo(missingTopicTimeout) < 0) {
          heldBuckets.add(message.bucket());
          held.add(message);
          continue;
        }
        if (missing.isPresent()) {
          problem =
              Optional.of(
                  "topic "
                      + message.topic()
                      + " does not exist (waited "
                      + missing.get().toMillis()
                      + " ms, emitter.missing.topic.timeout.ms): create it, or let the worker"
                      + " create it (topic.creation.default.* in the connector config)");
        } else if (message.partition() != null) {
          problem = partitionCounts.problem(message.topic(), message.partition());
        }
      }
      if (problem.isPresent()) {
        refused.add(new Refusal(message, problem.get()));
      } else {
        sendable.add(message);
      }
    }
    return new Screened(sendable, held, refused);
  }
}
