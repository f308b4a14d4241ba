package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TopicRefusalsTest {
  private final TopicRefusals defaults =
      new TopicRefusals(
          new EmitterConfig(
                  Map.of("connection.url", "jdbc:postgresql://h/d", "connection.user", "u"))
              .topicsAllowed());

  @Test
  void anOrdinaryTopicIsSent() {
    assertThat(defaults.refusal("users.changes-v1_x")).isEmpty();
  }

  @Test
  void aNameKafkaWouldRejectIsRefusedAsIllegal() {
    for (String topic : new String[] {"", ".", "..", "a b", "é", "a/b", "x".repeat(250)}) {
      assertThat(defaults.refusal(topic))
          .as(topic)
          .hasValueSatisfying(r -> assertThat(r).contains("is not a legal Kafka topic name"));
    }
    assertThat(defaults.refusal("x".repeat(249))).isEmpty();
  }

  @Test
  void theDefaultRefusesKafkasAndConnectsInternalTopicsNamingTheOption() {
    for (String topic :
        new String[] {
          "__consumer_offsets", "_confluent-metrics", "connect-offsets", "my-connect-configs"
        }) {
      assertThat(defaults.refusal(topic))
          .as(topic)
          .hasValueSatisfying(
              r ->
                  assertThat(r)
                      .startsWith(
                          "topic " + topic + " is not allowed by emitter.topics.allowed ("));
    }
  }

  @Test
  void aTopicOutsideTheConfiguredPatternIsRefusedWithThePattern() {
    TopicRefusals refusals = new TopicRefusals(Pattern.compile("orders\\..*"));
    assertThat(refusals.refusal("orders.eu")).isEmpty();
    assertThat(refusals.refusal("users"))
        .hasValue("topic users is not allowed by emitter.topics.allowed (orders\\..*)");
  }

  @Test
  void theVerdictsRememberedStayBounded() {
    TopicRefusals refusals = new TopicRefusals(Pattern.compile(".*"));
    for (int i = 0; i < TopicRefusals.MAX_REMEMBERED_TOPICS + 5; i++) {
      assertThat(refusals.refusal("t" + i)).isEmpty();
    }
    assertThat(refusals.remembered()).isLessThanOrEqualTo(TopicRefusals.MAX_REMEMBERED_TOPICS);
    assertThat(refusals.refusal("a b")).isPresent();
  }
}
