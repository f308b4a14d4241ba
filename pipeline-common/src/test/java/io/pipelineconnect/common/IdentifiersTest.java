package io.pipelineconnect.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IdentifiersTest {
  @Test
  void quotesIdentifiersAndDoublesEmbeddedQuotes() {
    assertThat(Identifiers.quote("plain")).isEqualTo("\"plain\"");
    assertThat(Identifiers.quote("Mixed Case")).isEqualTo("\"Mixed Case\"");
    assertThat(Identifiers.quote("a\"b")).isEqualTo("\"a\"\"b\"");
  }

  @Test
  void rejectsIdentifiersPostgresCannotHold() {
    assertThatThrownBy(() -> Identifiers.quote("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Identifiers.quote("a\0b"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void quotesLiteralsWhateverStandardConformingStringsSays() {
    assertThat(Identifiers.quoteLiteral("it's")).isEqualTo("'it''s'");
    assertThat(Identifiers.quoteLiteral("a\\b'c")).isEqualTo("E'a\\\\b''c'");
  }
}
