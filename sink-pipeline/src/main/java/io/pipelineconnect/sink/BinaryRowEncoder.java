package io.pipelineconnect.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pipelineconnect.sink.copy.RowBuffer;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.postgresql.util.ByteConverter;

/**
 * {@code format=binary}: a Connect Struct, each field into the column of its name, as one tuple of
 * COPY's binary format. PostgreSQL then parses no text (numbers, timestamps): about half the server
 * CPU of text COPY for the same rows ({@code CopyFormatBenchmark}).
 *
 * <p>Binary COPY has no DEFAULT marker: a column whose field is missing or null gets NULL. Only the
 * column types below are written; a target with another type fails the task at its first record,
 * naming the column (format=json writes any type, as text). A value that does not fit its column (a
 * string for a bigint, a number out of an integer's range) is a bad record.
 */
final class BinaryRowEncoder implements RowEncoder {
  /** PostgreSQL's epoch, 2000-01-01T00:00Z, after the Unix epoch. */
  private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;

  private static final long POSTGRES_EPOCH_DAYS = 10_957;
  private static final byte[] HEADER = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0
  };
  private static final byte[] TRAILER = {(byte) 0xff, (byte) 0xff};
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** How each column of a target is written, resolved once per target. */
  private final Map<TargetTable, List<ColumnWriter>> plans = new IdentityHashMap<>();

  private final MetadataColumns metadata;

  BinaryRowEncoder() {
    this(MetadataColumns.NONE);
  }

  BinaryRowEncoder(MetadataColumns metadata) {
    this.metadata = metadata;
  }

  private final byte[] scratch = new byte[8];

  /** Reads JsonConverter envelopes given as bytes, its last schema remembered. */
  private final JsonEnvelope envelope = new JsonEnvelope();

  /** An array's elements, encoded before the array's length (which comes first) is known. */
  private final RowBuffer arrayElements = new RowBuffer(256);

  @Override
  public boolean rowsAreLines() {
    return false;
  }

  @Override
  public boolean encode(SinkRecord record, TargetTable target, RowBuffer buffer)
      throws BadRecordException {
    Object value = record.value();
    if (value == null) {
      return false;
    }
    Struct struct = value instanceof Struct s ? s : null;
    Map<String, Object> envelopeValues = null;
    if (struct == null) {
      envelopeValues = envelopeValues(value);
      if (envelopeValues == null) {
        return false; // a null payload: nothing to write, as a null value
      }
    }
    List<ColumnWriter> plan = plans.computeIfAbsent(target, this::plan);
    try {
      writeShort(buffer, plan.size());
      for (ColumnWriter column : plan) {
        Object fieldValue;
        if (column.source() != null) {
          fieldValue =
              MetadataColumns.value(column.source(), record, column.writer() == ColumnType.BYTEA);
        } else if (struct != null) {
          Field field = struct.schema().field(column.name());
          fieldValue =
              field == null ? null : DebeziumTypes.toJava(field.schema(), struct.get(field));
        } else {
          fieldValue = envelopeValues.get(column.name());
        }
        if (fieldValue == null) {
          writeInt(buffer, -1);
        } else {
          column.writer().write(this, buffer, fieldValue, column.name());
        }
      }
    } catch (BadRecordException e) {
      buffer.discardPartialRow();
      throw e;
    } catch (JsonProcessingException e) {
      buffer.discardPartialRow();
      throw new BadRecordException("The record's key cannot be written as JSON: " + e, e);
    }
    buffer.endRow();
    return true;
  }

  /**
   * The payload fields of a JsonConverter envelope handed over as bytes (ByteArrayConverter) or
   * text (StringConverter), typed by its schema; null for a null payload.
   */
  private Map<String, Object> envelopeValues(Object value) throws BadRecordException {
    byte[] message;
    if (value instanceof byte[] bytes && JsonEnvelope.isEnvelope(bytes)) {
      message = bytes;
    } else if (value instanceof String text && JsonEnvelope.isEnvelope(text)) {
      message = text.getBytes(StandardCharsets.UTF_8);
    } else {
      throw new BadRecordException(
          "format=binary needs each field's type: a Struct value (a converter with schemas:"
              + " JsonConverter with schemas.enable=true, Avro, Protobuf) or, as bytes or text,"
              + " JsonConverter's {\"schema\":…,\"payload\":…} message; got "
              + describe(value));
    }
    try {
      return envelope.values(message);
    } catch (IOException e) {
      throw new BadRecordException("The message is not a readable JSON envelope: " + e, e);
    }
  }

  private static String describe(Object value) {
    return value instanceof byte[] || value instanceof String
        ? "a message without a schema"
        : value.getClass().getSimpleName();
  }

  @Override
  public String withClause(TargetTable target) {
    return "WITH (FORMAT binary)";
  }

  @Override
  public void checkTarget(TargetTable target) {
    metadata.checkTarget(target);
    plans.computeIfAbsent(target, this::plan);
  }

  @Override
  public byte[] copyHeader() {
    return HEADER;
  }

  @Override
  public byte[] copyTrailer() {
    return TRAILER;
  }

  /**
   * @param source where the value comes from if not the Struct's field of the column's name
   */
  private record ColumnWriter(String name, ValueWriter writer, MetadataColumns.Source source) {}

  private List<ColumnWriter> plan(TargetTable target) {
    List<ColumnWriter> plan = new ArrayList<>();
    for (TargetTable.Column column : target.columns()) {
      ValueWriter type = writerFor(column.type());
      if (type == null) {
        throw new ConnectException(
            "format=binary cannot write column "
                + column.name()
                + " of "
                + target.name()
                + " (type "
                + column.type()
                + "); supported: smallint, integer, bigint, real, double precision, numeric,"
                + " boolean, text, varchar, char, bytea, timestamp(tz), date, time, uuid, json, jsonb,"
                + " inet, cidr, and one-dimensional arrays of these. Use format=json for other"
                + " types.");
      }
      plan.add(new ColumnWriter(column.name(), type, metadata.source(column.name())));
    }
    return plan;
  }

  /** Writes one non-null value as a sized field of COPY's binary format. */
  private interface ValueWriter {
    void write(BinaryRowEncoder encoder, RowBuffer out, Object value, String column)
        throws BadRecordException;
  }

  /**
   * The writer for a column type as {@code format_type} names it ({@code integer}, {@code character
   * varying(20)[]}), or null if there is none.
   */
  private static ValueWriter writerFor(String formatType) {
    String type = formatType.toLowerCase(Locale.ROOT).trim();
    if (!type.endsWith("[]")) {
      return ColumnType.of(type);
    }
    String elementType = type.substring(0, type.length() - 2).trim();
    ColumnType element = ColumnType.of(elementType);
    Integer oid = element == null ? null : elementOid(elementType);
    return oid == null ? null : new ArrayWriter(element, oid);
  }

  /**
   * The type OID an array's send format names for its elements: array_recv refuses any other, so
   * varchar and text, or timestamp and timestamptz, differ here though written alike. Built-in
   * types' OIDs are fixed in PostgreSQL's catalog (pg_type.dat).
   */
  private static Integer elementOid(String type) {
    return switch (baseType(type)) {
      case "smallint" -> 21;
      case "integer" -> 23;
      case "bigint" -> 20;
      case "real" -> 700;
      case "double precision" -> 701;
      case "boolean" -> 16;
      case "text" -> 25;
      case "character varying" -> 1043;
      case "character" -> 1042;
      case "bytea" -> 17;
      case "timestamp with time zone" -> 1184;
      case "timestamp without time zone" -> 1114;
      case "date" -> 1082;
      case "time without time zone" -> 1083;
      case "uuid" -> 2950;
      case "numeric" -> 1700;
      case "json" -> 114;
      case "jsonb" -> 3802;
      case "inet" -> 869;
      case "cidr" -> 650;
      default -> null;
    };
  }

  /**
   * A one-dimensional array (a Connect array, a Java List) in array_send's format: dimensions, a
   * has-nulls flag, the element type's OID, the length and lower bound (1), then each element sized
   * as a field is, or -1 for a null one.
   */
  private record ArrayWriter(ColumnType element, int elementOid) implements ValueWriter {
    @Override
    public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
        throws BadRecordException {
      if (!(v instanceof List<?> list)) {
        throw mismatch(v, column, "an array");
      }
      RowBuffer elements = e.arrayElements;
      elements.clear();
      boolean hasNull = false;
      for (Object item : list) {
        if (item == null) {
          hasNull = true;
          e.writeInt(elements, -1);
        } else if (item instanceof List<?>) {
          throw new BadRecordException(
              "field "
                  + column
                  + " is a nested array: format=binary writes one-dimensional arrays (use"
                  + " format=json for more)");
        } else {
          element.write(e, elements, item, column + "[]");
        }
      }
      elements.endRow();
      boolean empty = list.isEmpty();
      // An empty array has no dimensions at all, as array_send writes it.
      e.writeInt(out, (empty ? 12 : 20) + elements.byteCount());
      e.writeInt(out, empty ? 0 : 1);
      e.writeInt(out, hasNull ? 1 : 0);
      e.writeInt(out, elementOid);
      if (!empty) {
        e.writeInt(out, list.size());
        e.writeInt(out, 1);
      }
      out.write(elements.array(), 0, elements.byteCount());
    }
  }

  /** The column types written, each with its binary send format. */
  private enum ColumnType implements ValueWriter {
    INT2 {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        long n = integer(v, column, Short.MIN_VALUE, Short.MAX_VALUE);
        e.writeInt(out, 2);
        e.writeShort(out, (int) n);
      }
    },
    INT4 {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        long n = integer(v, column, Integer.MIN_VALUE, Integer.MAX_VALUE);
        e.writeInt(out, 4);
        e.writeInt(out, (int) n);
      }
    },
    INT8 {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        long n = integer(v, column, Long.MIN_VALUE, Long.MAX_VALUE);
        e.writeInt(out, 8);
        e.writeLong(out, n);
      }
    },
    FLOAT4 {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        e.writeInt(out, 4);
        e.writeInt(out, Float.floatToIntBits(number(v, column).floatValue()));
      }
    },
    FLOAT8 {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        e.writeInt(out, 8);
        e.writeLong(out, Double.doubleToLongBits(number(v, column).doubleValue()));
      }
    },
    BOOL {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        if (!(v instanceof Boolean b)) {
          throw mismatch(v, column, "a boolean");
        }
        e.writeInt(out, 1);
        out.write((byte) (b ? 1 : 0));
      }
    },
    TEXT {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        if (!(v instanceof String s)) {
          throw mismatch(v, column, "a string");
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        e.writeInt(out, utf8.length);
        out.write(utf8);
      }
    },
    BYTEA {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        byte[] bytes;
        if (v instanceof byte[] b) {
          bytes = b;
        } else if (v instanceof ByteBuffer buffer) {
          bytes = new byte[buffer.remaining()];
          buffer.duplicate().get(bytes);
        } else {
          throw mismatch(v, column, "bytes");
        }
        e.writeInt(out, bytes.length);
        out.write(bytes);
      }
    },
    /** timestamp and timestamptz: microseconds after 2000-01-01 (UTC for timestamp too). */
    TIMESTAMP {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        long micros;
        if (v instanceof java.util.Date date) {
          micros = TimeUnit.MILLISECONDS.toMicros(date.getTime());
        } else if (v instanceof Instant instant) {
          micros =
              Math.addExact(
                  Math.multiplyExact(instant.getEpochSecond(), 1_000_000L),
                  instant.getNano() / 1000);
        } else {
          throw mismatch(
              v,
              column,
              "a Timestamp (org.apache.kafka.connect.data.Timestamp, or Debezium's"
                  + " io.debezium.time timestamps)");
        }
        e.writeInt(out, 8);
        e.writeLong(out, micros - POSTGRES_EPOCH_MICROS);
      }
    },
    DATE {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        long days;
        if (v instanceof java.util.Date date) {
          days = Math.floorDiv(date.getTime(), TimeUnit.DAYS.toMillis(1));
        } else if (v instanceof LocalDate date) {
          days = date.toEpochDay();
        } else {
          throw mismatch(
              v, column, "a Date (org.apache.kafka.connect.data.Date, or io.debezium.time.Date)");
        }
        e.writeInt(out, 4);
        e.writeInt(out, (int) (days - POSTGRES_EPOCH_DAYS));
      }
    },
    /** time: microseconds after midnight, from a Connect Time (milliseconds after midnight). */
    TIME {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        long micros;
        if (v instanceof java.util.Date date) {
          micros = TimeUnit.MILLISECONDS.toMicros(date.getTime());
        } else if (v instanceof LocalTime time) {
          micros = time.toNanoOfDay() / 1000;
        } else {
          throw mismatch(
              v,
              column,
              "a Time (org.apache.kafka.connect.data.Time, or Debezium's io.debezium.time times)");
        }
        e.writeInt(out, 8);
        e.writeLong(out, micros);
      }
    },
    /** uuid: its 16 bytes, from a string in the canonical form. */
    UUID {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        if (!(v instanceof String s)) {
          throw mismatch(v, column, "a string holding a uuid");
        }
        java.util.UUID uuid;
        try {
          uuid = java.util.UUID.fromString(s);
        } catch (IllegalArgumentException notUuid) {
          throw new BadRecordException(
              "Field " + column + " is not a uuid: " + notUuid.getMessage());
        }
        e.writeInt(out, 16);
        e.writeLong(out, uuid.getMostSignificantBits());
        e.writeLong(out, uuid.getLeastSignificantBits());
      }
    },
    NUMERIC {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        byte[] fields;
        if (v instanceof BigDecimal d) {
          fields = numeric(d);
        } else if (v instanceof Float || v instanceof Double) {
          double d = ((Number) v).doubleValue();
          // numeric has NaN and (since PostgreSQL 14) infinities, which BigDecimal lacks; an older
          // server refuses the infinities as a data error, and CopyWriter reports that row alone.
          fields = Double.isFinite(d) ? numeric(BigDecimal.valueOf(d)) : nonFinite(d);
        } else if (v instanceof Number n) {
          fields = numeric(BigDecimal.valueOf(n.longValue()));
        } else {
          throw mismatch(v, column, "a number or Decimal");
        }
        e.writeInt(out, fields.length);
        out.write(fields);
      }
    },
    /** inet: an IPv4 or IPv6 address, with an optional /bits netmask. */
    INET {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        writeNetwork(out, e, v, column, false);
      }
    },
    /** cidr: a network, whose address has no bits set right of its mask. */
    CIDR {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        writeNetwork(out, e, v, column, true);
      }
    },
    JSON {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        byte[] json = jsonBytes(v, column);
        e.writeInt(out, json.length);
        out.write(json);
      }
    },
    /** jsonb's send format: a version byte (1), then the JSON text. */
    JSONB {
      @Override
      public void write(BinaryRowEncoder e, RowBuffer out, Object v, String column)
          throws BadRecordException {
        byte[] json = jsonBytes(v, column);
        e.writeInt(out, json.length + 1);
        out.write((byte) 1);
        out.write(json);
      }
    };

    /** The writer for a scalar type as {@code format_type} names it, or null if there is none. */
    static ColumnType of(String formatType) {
      return switch (baseType(formatType)) {
        case "smallint" -> INT2;
        case "integer" -> INT4;
        case "bigint" -> INT8;
        case "real" -> FLOAT4;
        case "double precision" -> FLOAT8;
        case "boolean" -> BOOL;
        case "text", "character varying", "character" -> TEXT;
        case "bytea" -> BYTEA;
        case "timestamp with time zone", "timestamp without time zone" -> TIMESTAMP;
        case "date" -> DATE;
        case "time without time zone" -> TIME;
        case "uuid" -> UUID;
        case "numeric" -> NUMERIC;
        case "json" -> JSON;
        case "jsonb" -> JSONB;
        case "inet" -> INET;
        case "cidr" -> CIDR;
        default -> null;
      };
    }
  }

  /**
   * A {@code format_type} name without its type modifier, which the writers do not depend on:
   * {@code character varying(20)} is {@code character varying}, {@code timestamp(3) with time zone}
   * is {@code timestamp with time zone}.
   */
  static String baseType(String formatType) {
    String type = formatType.toLowerCase(Locale.ROOT).trim();
    int open = type.indexOf('(');
    int close = type.indexOf(')', open + 1);
    if (open < 0 || close < 0) {
      return type;
    }
    return (type.substring(0, open) + " " + type.substring(close + 1))
        .replaceAll("\\s+", " ")
        .trim();
  }

  /**
   * inet and cidr in network_send's format: family (PostgreSQL's own numbers: 2 for IPv4, 3 for
   * IPv6), mask bits, the cidr flag, the address length, the address.
   */
  private static void writeNetwork(
      RowBuffer out, BinaryRowEncoder e, Object v, String column, boolean cidr)
      throws BadRecordException {
    if (!(v instanceof String s)) {
      throw mismatch(v, column, "a string holding an IP address");
    }
    int slash = s.indexOf('/');
    byte[] address = NetworkAddress.parse(slash < 0 ? s : s.substring(0, slash));
    if (address == null) {
      throw new BadRecordException(
          "field "
              + column
              + " is not an IP address (a dotted quad or IPv6 text, with an optional /bits): "
              + s);
    }
    int maxBits = address.length * 8;
    int bits = maxBits;
    if (slash >= 0) {
      String mask = s.substring(slash + 1);
      bits = mask.matches("[0-9]{1,3}") ? Integer.parseInt(mask) : -1;
      if (bits < 0 || bits > maxBits) {
        throw new BadRecordException("field " + column + " has an invalid netmask: " + s);
      }
    }
    if (cidr && !NetworkAddress.hostBitsClear(address, bits)) {
      throw new BadRecordException(
          "field " + column + " is not a network: it has bits set right of its mask: " + s);
    }
    e.writeInt(out, 4 + address.length);
    out.write((byte) (address.length == 4 ? 2 : 3));
    out.write((byte) bits);
    out.write((byte) (cidr ? 1 : 0));
    out.write((byte) address.length);
    out.write(address);
  }

  private static long integer(Object v, String column, long min, long max)
      throws BadRecordException {
    if (!(v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long)) {
      throw mismatch(v, column, "an integer");
    }
    long n = ((Number) v).longValue();
    if (n < min || n > max) {
      throw new BadRecordException(
          "field " + column + " = " + n + " is out of range for its column");
    }
    return n;
  }

  private static Number number(Object v, String column) throws BadRecordException {
    if (v instanceof Number n && !(v instanceof BigDecimal)) {
      return n;
    }
    throw mismatch(v, column, "a number");
  }

  private static BadRecordException mismatch(Object v, String column, String expected) {
    return new BadRecordException(
        "field "
            + column
            + " is "
            + v.getClass().getSimpleName()
            + ", its column needs "
            + expected);
  }

  private static byte[] jsonBytes(Object v, String column) throws BadRecordException {
    try {
      Object plain = ConnectValues.plain(v);
      return plain instanceof String s && v instanceof String
          ? s.getBytes(StandardCharsets.UTF_8) // a string field already holding JSON text
          : MAPPER.writeValueAsBytes(plain);
    } catch (JsonProcessingException e) {
      throw new BadRecordException("field " + column + " cannot be written as JSON: " + e);
    }
  }

  /** The sign word numeric's send format uses for NaN, +Infinity and -Infinity. */
  static short nonFiniteSign(double value) {
    if (Double.isNaN(value)) {
      return (short) 0xC000;
    }
    return value > 0 ? (short) 0xD000 : (short) 0xF000;
  }

  /**
   * NaN or an infinity in numeric's send format: no digits, weight 0, the special sign, scale 0.
   */
  private static byte[] nonFinite(double value) {
    byte[] fields = new byte[8];
    ByteConverter.int2(fields, 4, nonFiniteSign(value));
    return fields;
  }

  /**
   * A decimal in numeric's send format (ndigits, weight, sign, dscale, then the base-10000 digits
   * from the most significant, the first standing for 10000^weight), as pgjdbc writes it.
   */
  static byte[] numeric(BigDecimal value) {
    return ByteConverter.numeric(value);
  }

  private void writeShort(RowBuffer out, int value) {
    ByteConverter.int2(scratch, 0, value);
    out.write(scratch, 0, 2);
  }

  private void writeInt(RowBuffer out, int value) {
    ByteConverter.int4(scratch, 0, value);
    out.write(scratch, 0, 4);
  }

  private void writeLong(RowBuffer out, long value) {
    ByteConverter.int8(scratch, 0, value);
    out.write(scratch, 0, 8);
  }
}
