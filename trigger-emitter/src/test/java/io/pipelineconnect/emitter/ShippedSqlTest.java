package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The plain .sql file shipped for DBAs is the installer's script with the default settings. To
 * refresh it: {@code ./mvnw -pl trigger-emitter -am test -Dtest=ShippedSqlTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dupdate.docs=true}.
 */
class ShippedSqlTest {
  private static final Path SHIPPED = Path.of("sql", "pipeline_kafka_outbox.sql");

  @Test
  void shippedScriptIsTheDefaultRendering() throws IOException {
    String rendered = OutboxInstaller.render("pipeline_kafka", 16, false, false);
    if (Boolean.getBoolean("update.docs")) {
      Files.writeString(SHIPPED, rendered);
    }
    assertThat(Files.readString(SHIPPED))
        .as("trigger-emitter/sql/pipeline_kafka_outbox.sql is stale (see this test to refresh)")
        .isEqualTo(rendered);
    assertThat(rendered).doesNotContain("${");
  }
}
