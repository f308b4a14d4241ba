package io.pipelineconnect.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CopyLinesTest {
  private static final CopyOptions TEXT = CopyOptions.TEXT_DEFAULTS;
  private static final CopyOptions CSV =
      new CopyOptions(
          RowFormat.CSV, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

  private static Optional<String> problem(String message, CopyOptions options) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    return CopyLines.problem(bytes, CopyLines.contentLength(bytes), options);
  }

  @Test
  void contentLengthDropsOneTrailingLineEnding() {
    assertThat(CopyLines.contentLength("a\tb".getBytes(StandardCharsets.UTF_8))).isEqualTo(3);
    assertThat(CopyLines.contentLength("a\tb\n".getBytes(StandardCharsets.UTF_8))).isEqualTo(3);
    assertThat(CopyLines.contentLength("a\tb\r\n".getBytes(StandardCharsets.UTF_8))).isEqualTo(3);
    assertThat(CopyLines.contentLength("a\n\n".getBytes(StandardCharsets.UTF_8))).isEqualTo(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\tb", "a\tb\n", "a\\nb", "\\\\.", "\\.x", "x\\."})
  void acceptsOneTextLine(String message) {
    assertThat(problem(message, TEXT)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\nb", "a\rb", "a\nb\n", "a\n\n", "\\.", "\\.\n", "\\.\r\n"})
  void rejectsTextThatIsNotExactlyOneLine(String message) {
    assertThat(problem(message, TEXT)).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a,b", "\"a\nb\",c", "\"say \"\"hi\"\"\",x", "\"a\rb\"\n"})
  void acceptsCsvWithLineBreaksInsideQuotes(String message) {
    assertThat(problem(message, CSV)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\nb", "\"a\"\nb", "\"unterminated,b", "\\."})
  void rejectsCsvThatIsNotExactlyOneRecord(String message) {
    assertThat(problem(message, CSV)).isPresent();
  }

  @Test
  void csvHonoursACustomEscapeInsideQuotes() {
    CopyOptions escaped =
        new CopyOptions(
            RowFormat.CSV, Optional.empty(), Optional.of("'"), Optional.of("\\"), Optional.empty());
    assertThat(problem("'it\\'s',x", escaped)).isEmpty();
    assertThat(problem("'it\\'s,x", escaped)).isPresent();
  }

  @Test
  void textFieldsEscapeBackslashTabAndLineBreaks() {
    RowBuffer row = new RowBuffer();
    CopyLines.appendTextField(row, "a\\b\tc\nd\re ü");
    assertThat(new String(row.array(), 0, rowLength(row), StandardCharsets.UTF_8))
        .isEqualTo("a\\\\b\\tc\\nd\\re ü");
  }

  private static int rowLength(RowBuffer row) {
    row.endRow();
    return row.byteCount();
  }
}
