package io.pipelineconnect.sink.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class CopyFormatConfigTest {
  private static final ConfigDef DEF = CopyFormatConfig.define(new ConfigDef());

  private static CopyOptions parse(Map<String, String> props) {
    return CopyFormatConfig.from(new AbstractConfig(DEF, props).values());
  }

  @Test
  void defaultsAreCopysOwn() {
    CopyOptions options = parse(Map.of());
    assertThat(options.format()).isEqualTo(RowFormat.TEXT);
    assertThat(options.withClause()).isEqualTo("WITH (FORMAT text)");
    assertThat(options.effectiveDelimiter()).isEqualTo('\t');
  }

  @Test
  void csvOptionsGoIntoTheWithClauseSafelyQuoted() {
    CopyOptions options =
        parse(
            Map.of(
                "format", "CSV", "delimiter", "|", "quote", "'", "escape", "\\", "null", "NULL"));
    assertThat(options.withClause())
        .isEqualTo("WITH (FORMAT csv, DELIMITER '|', QUOTE '''', ESCAPE E'\\\\', NULL 'NULL')");
  }

  @Test
  void rejectsWhatCopyWouldReject() {
    assertThatThrownBy(() -> parse(Map.of("delimiter", "ab")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("delimiter");
    assertThatThrownBy(() -> parse(Map.of("format", "text", "quote", "'")))
        .hasMessageContaining("quote")
        .hasMessageContaining("csv");
    assertThatThrownBy(() -> parse(Map.of("format", "csv", "delimiter", "\"")))
        .hasMessageContaining("differ");
    assertThatThrownBy(() -> parse(Map.of("format", "xml"))).hasMessageContaining("format");
    assertThatThrownBy(() -> parse(Map.of("null", "a\nb"))).hasMessageContaining("line breaks");
    assertThatThrownBy(() -> parse(Map.of("format", "json", "delimiter", ",")))
        .hasMessageContaining("json");
  }
}
