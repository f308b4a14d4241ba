package io.pipelineconnect.sink.copy;

import java.util.Locale;

/**
 * How a Kafka message becomes a row: the seed's {@code format} argument.
 *
 * <ul>
 *   <li>{@link #TEXT} and {@link #CSV}: the message bytes are one line of COPY input in that
 *       format, streamed into COPY unparsed.
 *   <li>{@link #JSON}: a JSON object (or a Connect Struct/Map); into a single json/jsonb column
 *       whole, or key by key into the columns of the same names.
 *   <li>{@link #BINARY}: a Connect Struct, field by field into the columns of the same names, sent
 *       in COPY's binary format (PostgreSQL parses no text: measured at about half the server CPU
 *       of text COPY for the same rows).
 * </ul>
 */
public enum RowFormat {
  TEXT,
  CSV,
  JSON,
  BINARY;

  /** The config value, e.g. {@code csv}. */
  public String configValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static RowFormat fromConfig(String value) {
    return valueOf(value.trim().toUpperCase(Locale.ROOT));
  }
}
