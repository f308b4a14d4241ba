package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.common.RelationName;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TargetPolicyTest {
  private static final TargetPolicy POLICY =
      new TargetPolicy(
          Optional.of(Pattern.compile("analytics\\..*")),
          RelationName.of("pipeline_connect", "sink_offsets"));

  private static Catalog.Relation table(String schema, String name) {
    return new Catalog.Relation(1, schema, name, "r", false, false, false);
  }

  @Test
  void keyNamedRelationsMustMatchTheAllowListInFull() {
    assertThat(POLICY.refusal(table("analytics", "clicks"), true)).isEmpty();
    assertThat(POLICY.refusal(table("public", "analytics"), true))
        .get()
        .asString()
        .contains("does not match stream.from.key.allowed");
    // The list is about keys: a relation named by the config is the operator's choice.
    assertThat(POLICY.refusal(table("public", "clicks"), false)).isEmpty();
  }

  @Test
  void protectedRelationsAreRefusedWhateverTheConfigSays() {
    TargetPolicy everything =
        new TargetPolicy(Optional.of(Pattern.compile(".*")), RelationName.of("ops", "my_offsets"));
    assertThat(
            everything.refusal(
                new Catalog.Relation(1, "pg_catalog", "pg_authid", "r", true, false, false), true))
        .get()
        .asString()
        .contains("system schema");
    assertThat(
            everything.refusal(
                new Catalog.Relation(1, "pipeline_kafka", "outbox", "r", false, true, false),
                false))
        .get()
        .asString()
        .contains("outbox");
    assertThat(
            everything.refusal(
                new Catalog.Relation(1, "x", "offsets", "r", false, false, true), false))
        .get()
        .asString()
        .contains("sink offsets");
    assertThat(everything.refusal(table("ops", "my_offsets"), false)).isPresent();
    assertThat(everything.refusal(table("ops", "my_offsets_archive"), false)).isEmpty();
  }
}
