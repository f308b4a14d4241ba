package io.pipelineconnect.common;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * COPY's line rules: checks that a text/csv message is exactly one line of COPY input, and encodes
 * values as text-format COPY fields.
 *
 * <p>One message must be one row. A message that holds a line break (outside csv quotes) would
 * become several rows, one that leaves a csv quote open would swallow the next message, and a line
 * that is just {@code \.} would end the COPY early: each is a bad record, reported rather than
 * silently losing or inventing rows.
 */
public final class CopyLines {
  private static final byte NEWLINE = '\n';
  private static final byte CARRIAGE_RETURN = '\r';
  private static final byte BACKSLASH = '\\';

  private CopyLines() {}

  /**
   * The length of the message without its line ending ({@code \n} or {@code \r\n}), which the
   * writer replaces with a single {@code \n} so every row ends the same way.
   */
  public static int contentLength(byte[] message) {
    int length = message.length;
    if (length > 0 && message[length - 1] == NEWLINE) {
      length--;
      if (length > 0 && message[length - 1] == CARRIAGE_RETURN) {
        length--;
      }
    }
    return length;
  }

  /**
   * Why the first {@code length} bytes of the message cannot be one line of COPY input in the given
   * options, or empty if they can.
   */
  public static Optional<String> problem(byte[] message, int length, CopyOptions options) {
    if (length == 2 && message[0] == BACKSLASH && message[1] == '.') {
      return Optional.of("the line \\. would end COPY input");
    }
    if (options.format() == RowFormat.CSV) {
      return csvProblem(
          message, length, (byte) options.effectiveQuote(), (byte) options.effectiveEscape());
    }
    for (int i = 0; i < length; i++) {
      byte b = message[i];
      if (b == NEWLINE || b == CARRIAGE_RETURN) {
        return Optional.of(
            "a line break at byte " + i + " would split the message into several rows");
      }
    }
    return Optional.empty();
  }

  private static Optional<String> csvProblem(byte[] message, int length, byte quote, byte escape) {
    boolean quoted = false;
    for (int i = 0; i < length; i++) {
      byte b = message[i];
      if (quoted) {
        if (b == escape
            && escape != quote
            && i + 1 < length
            && (message[i + 1] == quote || message[i + 1] == escape)) {
          i++;
        } else if (b == quote) {
          quoted = false;
        }
      } else if (b == quote) {
        quoted = true;
      } else if (b == NEWLINE || b == CARRIAGE_RETURN) {
        return Optional.of(
            "an unquoted line break at byte " + i + " would split the message into several rows");
      }
    }
    if (quoted) {
      return Optional.of("an unterminated quoted field would swallow the following messages");
    }
    return Optional.empty();
  }

  /** Appends a value as one text-format COPY field: backslash, tab and line breaks escaped. */
  public static void appendTextField(RowBuffer row, String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    int start = 0;
    for (int i = 0; i < utf8.length; i++) {
      // UTF-8 multi-byte sequences never contain ASCII bytes, so escaping byte-wise is safe.
      byte escaped =
          switch (utf8[i]) {
            case '\\' -> (byte) '\\';
            case '\n' -> (byte) 'n';
            case '\r' -> (byte) 'r';
            case '\t' -> (byte) 't';
            default -> 0;
          };
      if (escaped != 0) {
        row.write(utf8, start, i - start);
        row.write(BACKSLASH);
        row.write(escaped);
        start = i + 1;
      }
    }
    row.write(utf8, start, utf8.length - start);
  }

  /** Appends text-format COPY's NULL marker, {@code \N}. */
  public static void appendNull(RowBuffer row) {
    row.write(BACKSLASH);
    row.write((byte) 'N');
  }
}
