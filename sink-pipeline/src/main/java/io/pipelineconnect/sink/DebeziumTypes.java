package io.pipelineconnect.sink;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Debezium's own semantic types as the Java values they stand for. With its defaults Debezium sends
 * a source's temporal columns as plain integers (or ISO text) named {@code io.debezium.time.*}, and
 * a {@code numeric} without a fixed scale as a {@code io.debezium.data.VariableScaleDecimal} struct
 * of scale and unscaled bytes, not as Connect's logical types; every row format reads them through
 * this one mapping. A zone-less timestamp becomes the instant whose UTC wall clock is the source's,
 * which is what PostgreSQL's {@code timestamp} stores.
 */
final class DebeziumTypes {
  static final String VARIABLE_SCALE_DECIMAL = "io.debezium.data.VariableScaleDecimal";
  static final String ZONED_TIMESTAMP = "io.debezium.time.ZonedTimestamp";

  private DebeziumTypes() {}

  /** Whether values of the schema name are ones {@link #toJava} maps. */
  static boolean maps(String name) {
    return name != null
        && ((name.startsWith("io.debezium.time.") && !name.equals("io.debezium.time.ZonedTime"))
            || name.equals(VARIABLE_SCALE_DECIMAL));
  }

  /**
   * The value as a {@link LocalDate}, {@link LocalTime}, {@link Instant} or {@link BigDecimal} if
   * its schema names a Debezium type, else the value unchanged.
   *
   * @throws BadRecordException for a value that is not what its type's name says
   */
  static Object toJava(Schema schema, Object value) throws BadRecordException {
    if (value == null || schema == null || schema.name() == null) {
      return value;
    }
    return toJava(schema.name(), value);
  }

  /** The same, by the schema's name. */
  static Object toJava(String name, Object value) throws BadRecordException {
    if (!maps(name)) {
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
      case ZONED_TIMESTAMP -> zoned(value);
      case VARIABLE_SCALE_DECIMAL -> variableScale(value);
      default -> value;
    };
  }

  static Instant micros(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000) * 1000L);
  }

  /**
   * A VariableScaleDecimal from its parts, whether a Struct or JSON's {@code scale} and base64
   * {@code value}.
   */
  static BigDecimal variableScale(int scale, Object unscaled) throws BadRecordException {
    byte[] bytes;
    if (unscaled instanceof byte[] b) {
      bytes = b;
    } else if (unscaled instanceof ByteBuffer buffer) {
      bytes = new byte[buffer.remaining()];
      buffer.duplicate().get(bytes);
    } else if (unscaled instanceof String base64) {
      try {
        bytes = Base64.getDecoder().decode(base64);
      } catch (IllegalArgumentException e) {
        throw new BadRecordException("A VariableScaleDecimal's value is not base64", e);
      }
    } else {
      throw new BadRecordException("A VariableScaleDecimal has no value");
    }
    if (bytes.length == 0) {
      throw new BadRecordException("A VariableScaleDecimal's value is empty");
    }
    return new BigDecimal(new BigInteger(bytes), scale);
  }

  private static BigDecimal variableScale(Object value) throws BadRecordException {
    if (value instanceof Struct struct
        && struct.schema().field("scale") != null
        && struct.schema().field("value") != null
        && struct.get("scale") instanceof Number scale) {
      return variableScale(scale.intValue(), struct.get("value"));
    }
    throw new BadRecordException(
        VARIABLE_SCALE_DECIMAL + " should be a struct of scale and value, got " + value);
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
