package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.common.ConfigDocs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The checked-in option reference matches the ConfigDef (refresh with -Dupdate.docs=true). */
class ConfigDocsTest {
  private static final Path REFERENCE = Path.of("CONFIG.md");

  @Test
  void referenceIsUpToDate() throws IOException {
    String generated =
        ConfigDocs.markdown(
            "KinesisSourceConnector configuration",
            KinesisSourceConfig.CONFIG_DEF,
            KinesisSourceConfig.FRAMEWORK_OPTIONS_DOC,
            java.util.Map.of());
    if (Boolean.getBoolean("update.docs")) {
      Files.writeString(REFERENCE, generated);
    }
    assertThat(Files.exists(REFERENCE)).as("source-kinesis/CONFIG.md exists").isTrue();
    assertThat(Files.readString(REFERENCE))
        .as("source-kinesis/CONFIG.md is stale: regenerate with -Dupdate.docs=true")
        .isEqualTo(generated);
  }
}
