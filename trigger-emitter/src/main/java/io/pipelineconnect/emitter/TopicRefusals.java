package io.pipelineconnect.emitter;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Why a message's topic must not be sent, if it must not: not a legal Kafka topic name, or outside
 * emitter.topics.allowed (the callers of produce_message are untrusted). Not thread-safe: one per
 * task thread.
 */
final class TopicRefusals {
  static final int MAX_REMEMBERED_TOPICS = 10_000;
  private static final Pattern LEGAL_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private final Pattern topicsAllowed;
  private final Map<String, Optional<String>> refusals = new HashMap<>();

  TopicRefusals(Pattern topicsAllowed) {
    this.topicsAllowed = topicsAllowed;
  }

  /**
   * Why the topic is refused, decided once per topic: two regular expressions per message were work
   * on the relay's hot path for an answer that never changes while the task runs.
   */
  Optional<String> refusal(String topic) {
    Optional<String> known = refusals.get(topic);
    if (known == null) {
      if (refusals.size() >= MAX_REMEMBERED_TOPICS) {
        refusals.clear(); // callers choose topics: keep the memory bounded
      }
      known = judge(topic);
      refusals.put(topic, known);
    }
    return known;
  }

  /** How many topics are remembered, for tests of the bound. */
  int remembered() {
    return refusals.size();
  }

  private Optional<String> judge(String topic) {
    if (!LEGAL_TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
      return Optional.of(
          "topic " + topic + " is not a legal Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)");
    }
    if (topicsAllowed.matcher(topic).matches()) {
      return Optional.empty();
    }
    return Optional.of(
        "topic "
            + topic
            + " is not allowed by "
            + EmitterConfig.TOPICS_ALLOWED
            + " ("
            + topicsAllowed.pattern()
            + ")");
  }
}
