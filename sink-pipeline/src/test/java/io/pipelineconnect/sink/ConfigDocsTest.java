package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.common.ConfigDocs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The checked-in option reference matches the ConfigDef. To refresh it after changing an option:
 * {@code ./mvnw -pl sink-pipeline -am test -Dtest=ConfigDocsTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dupdate.docs=true}.
 */
class ConfigDocsTest {
  private static final Path REFERENCE = Path.of("CONFIG.md");

  @Test
  void referenceIsUpToDate() throws IOException {
    String generated =
        ConfigDocs.markdown(
            "PipelineSinkConnector configuration",
            PipelineSinkConfig.CONFIG_DEF,
            PipelineSinkConfig.FRAMEWORK_OPTIONS_DOC,
            PipelineSinkConfig.DEFAULT_NOTES);
    if (Boolean.getBoolean("update.docs")) {
      Files.writeString(REFERENCE, generated);
    }
    assertThat(Files.exists(REFERENCE)).as("sink-pipeline/CONFIG.md exists").isTrue();
    assertThat(Files.readString(REFERENCE))
        .as(
            "sink-pipeline/CONFIG.md is stale: regenerate it with -Dupdate.docs=true (see this test)")
        .isEqualTo(generated);
  }
}
