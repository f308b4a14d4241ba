package io.pipelineconnect.common;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ValidatorsTest {
  @Test
  void unsetIsAlwaysAccepted() {
    assertThatCode(() -> Validators.optionalHttpUrl().ensureValid("k", null))
        .doesNotThrowAnyException();
    assertThatCode(() -> Validators.optionalRoleArn().ensureValid("k", null))
        .doesNotThrowAnyException();
    assertThatCode(() -> Validators.optionalRelationName().ensureValid("k", null))
        .doesNotThrowAnyException();
    assertThatCode(() -> Validators.optionalNonBlank().ensureValid("k", null))
        .doesNotThrowAnyException();
  }

  @Test
  void acceptsGoodValues() {
    assertThatCode(() -> Validators.optionalHttpUrl().ensureValid("k", "http://localhost:4567"))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                Validators.optionalRoleArn()
                    .ensureValid("k", "arn:aws:iam::123456789012:role/reader"))
        .doesNotThrowAnyException();
    assertThatCode(() -> Validators.optionalRelationName().ensureValid("k", "s.\"T\""))
        .doesNotThrowAnyException();
  }

  @Test
  void rejectsBadValuesNamingTheKey() {
    assertThatThrownBy(
            () -> Validators.optionalHttpUrl().ensureValid("kinesis.url", "localhost:4567"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kinesis.url");
    assertThatThrownBy(() -> Validators.optionalRoleArn().ensureValid("kinesis.role.arn", "reader"))
        .hasMessageContaining("arn:aws:iam");
    assertThatThrownBy(() -> Validators.optionalRelationName().ensureValid("stream", "a.b.c"))
        .hasMessageContaining("stream");
    assertThatThrownBy(() -> Validators.optionalNonBlank().ensureValid("k", "  "))
        .isInstanceOf(ConfigException.class);
  }
}
