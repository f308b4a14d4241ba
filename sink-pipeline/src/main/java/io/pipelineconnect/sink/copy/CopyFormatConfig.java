package io.pipelineconnect.sink.copy;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;

/**
 * The seed's format arguments as a config fragment: {@code format}, {@code delimiter}, {@code
 * quote}, {@code escape} and {@code null}, with the same meaning as the COPY options of those
 * names.
 */
public final class CopyFormatConfig {
  public static final String GROUP = "Format";

  public static final String FORMAT = "format";
  public static final String FORMAT_DOC =
      "How each Kafka message becomes a row. 'text' and 'csv': the message is one line of COPY"
          + " input in that format, copied unparsed (pair with ByteArrayConverter or"
          + " StringConverter). 'json': a JSON object (or a Connect Struct or Map, e.g. from"
          + " JsonConverter or Avro); into a single json/jsonb column whole, else each top-level"
          + " key into the column of that name. 'binary': a Connect Struct (JsonConverter with"
          + " schemas, Avro, Protobuf) or, from the ByteArrayConverter or StringConverter,"
          + " JsonConverter's schema-and-payload message (read without building a Struct), each"
          + " field into the column of that name, sent in COPY's binary format, which PostgreSQL"
          + " parses with about half the CPU of text; tables and PipelineDB streams with columns"
          + " of common types (see the README).";
  public static final String FORMAT_DEFAULT = "text";

  public static final String DELIMITER = "delimiter";
  public static final String DELIMITER_DOC =
      "COPY DELIMITER: the single character separating columns. Default: COPY's (tab for text,"
          + " comma for csv).";

  public static final String QUOTE = "quote";
  public static final String QUOTE_DOC =
      "COPY QUOTE (csv only): the single quoting character. Default: COPY's (double quote).";

  public static final String ESCAPE = "escape";
  public static final String ESCAPE_DOC =
      "COPY ESCAPE (csv only): the single character that escapes the quote character. Default:"
          + " COPY's (the quote character).";

  public static final String NULL = "null";
  public static final String NULL_DOC =
      "COPY NULL: the string that represents a null value. Default: COPY's (\\N for text, an"
          + " unquoted empty string for csv).";

  private CopyFormatConfig() {}

  /** Adds the format keys to a ConfigDef, in the {@value #GROUP} group. */
  public static ConfigDef define(ConfigDef configDef) {
    int order = 0;
    return configDef
        .define(
            FORMAT,
            Type.STRING,
            FORMAT_DEFAULT,
            ConfigDef.CaseInsensitiveValidString.in("text", "csv", "json", "binary"),
            Importance.HIGH,
            FORMAT_DOC,
            GROUP,
            ++order,
            Width.SHORT,
            "Format")
        .define(
            DELIMITER,
            Type.STRING,
            null,
            new SingleCharacter(),
            Importance.MEDIUM,
            DELIMITER_DOC,
            GROUP,
            ++order,
            Width.SHORT,
            "Delimiter")
        .define(
            QUOTE,
            Type.STRING,
            null,
            new SingleCharacter(),
            Importance.LOW,
            QUOTE_DOC,
            GROUP,
            ++order,
            Width.SHORT,
            "Quote")
        .define(
            ESCAPE,
            Type.STRING,
            null,
            new SingleCharacter(),
            Importance.LOW,
            ESCAPE_DOC,
            GROUP,
            ++order,
            Width.SHORT,
            "Escape")
        .define(
            NULL,
            Type.STRING,
            null,
            new NoLineBreaks(),
            Importance.LOW,
            NULL_DOC,
            GROUP,
            ++order,
            Width.SHORT,
            "Null string");
  }

  /**
   * Reads the options from parsed values and checks the rules COPY itself would enforce, so the
   * error surfaces at validation with the key's name rather than at the first COPY.
   */
  public static CopyOptions from(Map<String, ?> values) {
    RowFormat format = RowFormat.fromConfig((String) values.get(FORMAT));
    Optional<String> delimiter = Optional.ofNullable((String) values.get(DELIMITER));
    Optional<String> quote = Optional.ofNullable((String) values.get(QUOTE));
    Optional<String> escape = Optional.ofNullable((String) values.get(ESCAPE));
    Optional<String> nullString = Optional.ofNullable((String) values.get(NULL));
    if (format != RowFormat.CSV) {
      quote.ifPresent(
          q -> {
            throw new ConfigException(QUOTE, q, "COPY accepts quote only with format=csv");
          });
      escape.ifPresent(
          e -> {
            throw new ConfigException(ESCAPE, e, "COPY accepts escape only with format=csv");
          });
    }
    if (format == RowFormat.JSON || format == RowFormat.BINARY) {
      String name = format.configValue();
      delimiter.ifPresent(
          d -> {
            throw new ConfigException(
                DELIMITER,
                d,
                "format=" + name + " maps fields to columns; delimiter applies to text/csv");
          });
      nullString.ifPresent(
          n -> {
            throw new ConfigException(NULL, n, "format=" + name + " writes null as SQL NULL");
          });
    }
    CopyOptions options = new CopyOptions(format, delimiter, quote, escape, nullString);
    if (format == RowFormat.TEXT && delimiter.map(d -> d.equals("\\")).orElse(false)) {
      throw new ConfigException(
          DELIMITER, "\\", "COPY text format cannot use backslash as delimiter");
    }
    if (format == RowFormat.CSV && options.effectiveDelimiter() == options.effectiveQuote()) {
      throw new ConfigException(
          DELIMITER, delimiter.orElse(","), "COPY requires delimiter and quote to differ");
    }
    return options;
  }

  /** A single character other than a line break, as COPY requires of DELIMITER/QUOTE/ESCAPE. */
  static final class SingleCharacter implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (value == null) {
        return;
      }
      String s = value.toString();
      if (s.length() != 1 || s.charAt(0) > 0x7f) {
        throw new ConfigException(name, value, "COPY requires a single one-byte character");
      }
      if (s.equals("\n") || s.equals("\r")) {
        throw new ConfigException(name, value, "COPY does not allow a line break here");
      }
    }

    @Override
    public String toString() {
      return "a single ASCII character, not a line break";
    }
  }

  /** A NULL string cannot contain line breaks (COPY's rule). */
  static final class NoLineBreaks implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (value != null && (value.toString().contains("\n") || value.toString().contains("\r"))) {
        throw new ConfigException(
            name, value, "COPY does not allow line breaks in the NULL string");
      }
    }

    @Override
    public String toString() {
      return "any string without line breaks";
    }
  }
}
