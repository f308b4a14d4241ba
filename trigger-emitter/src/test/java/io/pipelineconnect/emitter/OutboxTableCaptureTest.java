package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class OutboxTableCaptureTest {
  private static Map<String, String> props(String... pairs) {
    Map<String, String> props = new HashMap<>();
    props.put("connection.url", "jdbc:postgresql://localhost/app");
    for (int i = 0; i < pairs.length; i += 2) {
      props.put(pairs[i], pairs[i + 1]);
    }
    return props;
  }

  @Test
  void withoutATableThereIsNoCapture() {
    assertThat(new EmitterConfig(props()).outboxTable()).isEmpty();
  }

  @Test
  void debeziumsDefaultsMakeATriggerWithEveryNameAndLiteralQuoted() {
    OutboxTableCapture capture =
        new EmitterConfig(
                props(
                    "emitter.outbox.table", "Sales.\"Out Box\"",
                    "emitter.outbox.table.fields.additional.placement",
                        "type:header:eventType, tenant:header",
                    "emitter.outbox.route.topic.replacement", "it's.${routedByValue}.events"))
            .outboxTable()
            .orElseThrow();
    assertThat(capture.createTrigger("pipeline_kafka", false))
        .isEqualTo(
            "CREATE TRIGGER \"pipeline_connect_outbox_pipeline_kafka\" AFTER INSERT ON"
                + " \"sales\".\"Out Box\" FOR EACH ROW EXECUTE PROCEDURE"
                + " \"pipeline_kafka\".emit_outbox_event('id', 'aggregateid', 'payload', 'f',"
                + " 'aggregatetype', 'it''s.', '.events', 'type', 'eventType', 'tenant',"
                + " 'tenant')");
  }

  @Test
  void aColumnNameCannotLeaveItsLiteral() {
    OutboxTableCapture capture =
        new EmitterConfig(
                props(
                    "emitter.outbox.table", "public.outbox",
                    "emitter.outbox.table.field.event.key", "k'); DROP TABLE t; --\\"))
            .outboxTable()
            .orElseThrow();
    assertThat(capture.createTrigger("pipeline_kafka", true))
        .contains("E'k''); DROP TABLE t; --\\\\'")
        .contains("'payload', 't'");
  }

  @Test
  void aTopicWithoutTheRouteValueSendsEveryRowToIt() {
    OutboxTableCapture capture =
        new EmitterConfig(
                props(
                    "emitter.outbox.table",
                    "outbox",
                    "emitter.outbox.route.topic.replacement",
                    "all-events"))
            .outboxTable()
            .orElseThrow();
    assertThat(capture.topicPrefix()).isEqualTo("all-events");
    assertThat(capture.topicSuffix()).isEmpty();
  }

  @Test
  void placementsOtherThanHeaderATwiceRoutedTopicAndABadTableNameAreRefusedByKey() {
    assertThatThrownBy(
            () ->
                new EmitterConfig(
                    props(
                        "emitter.outbox.table", "outbox",
                        "emitter.outbox.table.fields.additional.placement", "type:envelope")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("emitter.outbox.table.fields.additional.placement")
        .hasMessageContaining("column:header[:name]");
    assertThatThrownBy(
            () ->
                new EmitterConfig(
                    props(
                        "emitter.outbox.table",
                        "outbox",
                        "emitter.outbox.route.topic.replacement",
                        "${routedByValue}.${routedByValue}")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("emitter.outbox.route.topic.replacement");
    assertThatThrownBy(() -> new EmitterConfig(props("emitter.outbox.table", "a.b.c.d")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("emitter.outbox.table");
    assertThatThrownBy(
            () ->
                new EmitterConfig(
                    props(
                        "emitter.outbox.table", "outbox",
                        "emitter.outbox.table.field.event.id", " ")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("emitter.outbox.table.field.event.id");
  }
}
