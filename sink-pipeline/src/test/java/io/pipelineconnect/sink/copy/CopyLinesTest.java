package io.pipelineconnect.sink.copy;

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

  @Test
  void findsTheFirstLineBreakAtEveryPositionAmongEveryOtherByte() {
    // Eight bytes at a time: each position in and across words, next to bytes that differ from
    // \n and \r in one bit (0x0B, 0x0C, 0x8A, 0x8D...), and the tail after the last whole word.
    java.util.Random random = new java.util.Random(42);
    for (int length = 0; length <= 40; length++) {
      for (int at = -1; at < length; at++) {
        for (byte lineBreak : new byte[] {'\n', '\r'}) {
          byte[] message = new byte[length + 3];
          for (int i = 0; i < message.length; i++) {
            byte b;
            do {
              b = (byte) random.nextInt(256);
            } while (b == '\n' || b == '\r');
            message[i] = b;
          }
          if (at >= 0) {
            message[at] = lineBreak;
            if (at + 1 < length) {
              message[at + 1 + random.nextInt(length - at - 1)] = '\n';
            }
          }
          // A line break past the length does not count.
          message[length] = '\n';
          assertThat(CopyLines.indexOfLineBreak(message, length))
              .as("length %d, line break at %d", length, at)
              .isEqualTo(at);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\tb", "a\tb\n", "a\\nb", "\\\\.", "x\\\\", "\\\\\\\\.x"})
  void acceptsOneTextLine(String message) {
    assertThat(problem(message, TEXT)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\nb", "a\rb", "a\nb\n", "a\n\n", "\\.", "\\.\n", "\\.\r\n"})
  void rejectsTextThatIsNotExactlyOneLine(String message) {
    assertThat(problem(message, TEXT)).isPresent();
  }

  /**
   * Text format's end-of-data marker anywhere in the line, and a backslash that would escape the
   * row's line break: any producer could end the COPY early or join two messages into one row.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "x\\.",
        "\\.x",
        "0123456789abcdef\\.",
        "x\\",
        "x\\\n",
        "a\\\\\\.",
        "0123456789abcdef0123456789\\"
      })
  void rejectsTextThatWouldEndTheCopyOrJoinTheNextRow(String message) {
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
