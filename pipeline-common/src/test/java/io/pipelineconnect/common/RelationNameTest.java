package io.pipelineconnect.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RelationNameTest {
  @Test
  void unquotedNamesFoldToLowerCaseAsInPostgres() {
    assertThat(RelationName.parse("Page_Views")).isEqualTo(RelationName.of("page_views"));
    assertThat(RelationName.parse("Analytics.Page_Views"))
        .isEqualTo(RelationName.of("analytics", "page_views"));
  }

  @Test
  void quotedPartsKeepCaseDotsAndDoubledQuotes() {
    RelationName name = RelationName.parse("\"My.Schema\".\"a \"\"b\"\"\"");
    assertThat(name.schema()).isEqualTo(Optional.of("My.Schema"));
    assertThat(name.name()).isEqualTo("a \"b\"");
    assertThat(name.quoted()).isEqualTo("\"My.Schema\".\"a \"\"b\"\"\"");
  }

  @Test
  void quotedRenderingNeutralisesInjection() {
    RelationName name = RelationName.of("a\"; drop table x; --");
    assertThat(name.quoted()).isEqualTo("\"a\"\"; drop table x; --\"");
    assertThat(RelationName.parse(name.quoted())).isEqualTo(name);
  }

  @Test
  void whitespaceAroundUnquotedPartsIsIgnored() {
    assertThat(RelationName.parse(" public . t ")).isEqualTo(RelationName.of("public", "t"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", ".", "a.", ".b", "a.b.c", "\"unterminated", "\"a\"b", "a\"b\"", "\"\""})
  void rejectsWhatPostgresWouldNot(String text) {
    assertThatThrownBy(() -> RelationName.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }
}
