package io.pipelineconnect.sink.copy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
  private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
  private static final long CARRIAGE_RETURNS = 0x0D0D0D0D0D0D0D0DL;
  private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

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
    int lineBreak = indexOfLineBreak(message, length);
    if (lineBreak >= 0) {
      return Optional.of(
          "a line break at byte " + lineBreak + " would split the message into several rows");
    }
    return textEscapeProblem(message, length);
  }

  /**
   * Text format reads backslash escapes: {@code \.} anywhere is the end-of-data marker (or, where
   * more follows, a corrupt one), and a backslash as the last byte escapes the line break the
   * writer appends, joining the next message to this row. Either lets one producer end or corrupt a
   * COPY that carries other records.
   */
  private static Optional<String> textEscapeProblem(byte[] message, int length) {
    int i = indexOfByte(message, length, BACKSLASHES);
    for (; i >= 0 && i < length; i++) {
      if (message[i] != BACKSLASH) {
        continue;
      }
      if (i + 1 == length) {
        return Optional.of(
            "a backslash at the end would escape the line break and join the next row");
      }
      if (message[i + 1] == '.') {
        return Optional.of("\\. at byte " + i + " is COPY's end-of-data marker");
      }
      i++; // the escaped byte, whatever it is
    }
    return Optional.empty();
  }

  /** The index of the first word holding the repeated byte (a lower bound), or -1. */
  private static int indexOfByte(byte[] message, int length, long pattern) {
    int i = 0;
    for (; i + Long.BYTES <= length; i += Long.BYTES) {
      if (hasByte((long) LONGS.get(message, i), pattern)) {
        return i;
      }
    }
    byte b = (byte) pattern;
    for (; i < length; i++) {
      if (message[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The first {@code \n} or {@code \r} in the first {@code length} bytes, or -1. Every message
   * passes through here, so it looks at eight bytes per step (a byte-wise loop was the sink's
   * largest own cost in the profile).
   */
  static int indexOfLineBreak(byte[] message, int length) {
    int i = 0;
    for (; i + Long.BYTES <= length; i += Long.BYTES) {
      long word = (long) LONGS.get(message, i);
      if (hasByte(word, NEWLINES) || hasByte(word, CARRIAGE_RETURNS)) {
        break;
      }
    }
    for (; i < length; i++) {
      if (message[i] == NEWLINE || message[i] == CARRIAGE_RETURN) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Whether any byte of {@code word} equals the byte repeated in {@code pattern}: the classic test
   * for a zero byte in {@code word ^ pattern}, exact for "any" (not for which one).
   */
  private static boolean hasByte(long word, long pattern) {
    long x = word ^ pattern;
    return ((x - 0x0101010101010101L) & ~x & 0x8080808080808080L) != 0;
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

  /** Appends the value as a text-format field, or NULL for null. */
  public static void appendTextOrNull(RowBuffer row, String value) {
    if (value == null) {
      appendNull(row);
    } else {
      appendTextField(row, value);
    }
  }

  /** Appends text-format COPY's NULL marker, {@code \N}. */
  public static void appendNull(RowBuffer row) {
    row.write(BACKSLASH);
    row.write((byte) 'N');
  }
}
