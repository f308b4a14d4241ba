package io.pipelineconnect.sink;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import org.apache.kafka.connect.data.Schema;

/**
 * Debezium's time types as the instants, dates and times they stand for. With its default {@code
 * time.precision.mode} Debezium sends a source's temporal columns as plain integers (or ISO text)
 * named {@code io.debezium.time.*}, not as Connect's logical types; both row formats read them
 * through this one mapping. A zone-less timestamp becomes the instant whose UTC wall clock is the
 * source's, which is what PostgreSQL's {@code timestamp} stores.
 */
final class DebeziumTime {
  private DebeziumTime() {}

  /**
   * The value as a {@link LocalDate}, {@link LocalTime} or {@link Instant} if its schema names a
   * Debezium time type, else the value unchanged.
   *
   * @throws BadRecordException for a ZonedTimestamp that is no ISO-8601 timestamp with an offset
   */
  static Object toJavaTime(Schema schema, Object value) throws BadRecordException {
    if (value == null || schema == null || schema.name() == null) {
      return value;
    }
    return toJavaTime(schema.name(), value);
  }

  /** The same, by the schema's name. */
  static Object toJavaTime(String name, Object value) throws BadRecordException {
    if (!name.startsWith("io.debezium.time.")) {
      return value;
    }
    return switch (name) {
      case "io.debezium.time.Date" -> LocalDate.ofEpochDay(number(value));
      case "io.debezium.time.Time" -> LocalTime.ofNanoOfDay(number(value) * 1_000_000L);
      case "io.debezium.time.MicroTime" -> LocalTime.ofNanoOfDay(number(value) * 1000L);
      case "io.debezium.time.NanoTime" -> LocalTime.ofNanoOfDay(number(value));
      case "io.debezium.time.Timestamp" -> Instant.ofEpochMilli(number(value));
      case "io.debezium.time.MicroTimestamp" -> micros(number(value));
      case "io.debezium.time.NanoTimestamp" -> Instant.ofEpochSecond(0, number(value));
      case "io.debezium.time.ZonedTimestamp" -> zoned(value);
      default -> value;
    };
  }

  static Instant micros(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000) * 1000L);
  }

  private static long number(Object value) throws BadRecordException {
    if (value instanceof Number n) {
      return n.longValue();
    }
    throw new BadRecordException(
        "A Debezium time value should be a number, got " + value.getClass().getSimpleName());
  }

  private static Instant zoned(Object value) throws BadRecordException {
    try {
      return OffsetDateTime.parse(value.toString()).toInstant();
    } catch (DateTimeParseException e) {
      throw new BadRecordException(
          "io.debezium.time.ZonedTimestamp " + value + " is no ISO-8601 timestamp with an offset",
          e);
    }
  }
}
