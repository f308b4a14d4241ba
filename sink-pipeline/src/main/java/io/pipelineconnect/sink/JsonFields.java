package io.pipelineconnect.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;

/**
 * A message's top-level fields by name, and each field as the text COPY reads for its column: what
 * {@code format=json} rows and the upsert writer's staging rows are made of.
 *
 * <p>A value may be JSON bytes or text (a plain object, or JsonConverter's envelope, read by {@link
 * JsonEnvelope}), a Connect Struct (logical types rendered as PostgreSQL reads them, Debezium's
 * {@code io.debezium.time} types too) or a Map. Nested objects and arrays render as JSON text.
 */
final class JsonFields {
  static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  private final JsonEnvelope envelope = new JsonEnvelope();

  /** A Struct field's value with its schema, so logical types render as PostgreSQL reads them. */
  record SchemaValue(Schema schema, Object value) {}

  /**
   * The top-level fields of the message, by name; null for an empty message. A map read from a
   * JsonConverter envelope is reused for the next message: read it first.
   *
   * @throws BadRecordException if the message is not an object
   */
  Map<String, Object> of(Object value) throws IOException, BadRecordException {
    if (value instanceof byte[] || value instanceof String) {
      if (value instanceof byte[] bytes
          ? JsonEnvelope.isEnvelope(bytes)
          : JsonEnvelope.isEnvelope((String) value)) {
        // JsonConverter's schema and payload, read without building a Struct.
        return envelope.fields(
            value instanceof byte[] bytes
                ? bytes
                : ((String) value).getBytes(StandardCharsets.UTF_8));
      }
      String text =
          value instanceof byte[] bytes
              ? new String(bytes, StandardCharsets.UTF_8)
              : (String) value;
      if (text.isBlank()) {
        return null;
      }
      return ofNode(MAPPER.readTree(text));
    }
    if (value instanceof Struct struct) {
      Map<String, Object> fields = new LinkedHashMap<>();
      for (Field field : struct.schema().fields()) {
        fields.put(field.name(), new SchemaValue(field.schema(), struct.get(field)));
      }
      return fields;
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> fields = new LinkedHashMap<>();
      map.forEach((k, v) -> fields.put(String.valueOf(k), v));
      return fields;
    }
    throw new BadRecordException(
        "Expected a JSON object, Struct or Map, got " + value.getClass().getSimpleName());
  }

  /**
   * The fields of a field that holds an object (a change event's {@code after}, say), or null if it
   * is null.
   *
   * @throws BadRecordException if it holds something else
   */
  Map<String, Object> nested(Object field) throws IOException, BadRecordException {
    if (field == null) {
      return null;
    }
    if (field instanceof SchemaValue sv) {
      return sv.value() == null ? null : of(sv.value());
    }
    if (field instanceof JsonNode node) {
      return node.isNull() || node.isMissingNode() ? null : ofNode(node);
    }
    if (field instanceof JsonEnvelope.StructText struct) {
      // A nested struct read from an envelope whose schema gives its fields' types.
      return struct.fields();
    }
    if (field instanceof String json) {
      // A nested struct read from an envelope arrives as its JSON text.
      return ofNode(MAPPER.readTree(json));
    }
    return of(field);
  }

  private static Map<String, Object> ofNode(JsonNode node) throws BadRecordException {
    if (!node.isObject()) {
      throw new BadRecordException("Expected a JSON object, got " + node.getNodeType());
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    node.properties().forEach(e -> fields.put(e.getKey(), e.getValue()));
    return fields;
  }

  /** One field as the text COPY reads for it, or null for SQL NULL. */
  static String text(Object value) throws JsonProcessingException {
    if (value == null) {
      return null;
    }
    if (value instanceof JsonNode node) {
      if (node.isNull() || node.isMissingNode()) {
        return null;
      }
      if (node.isContainerNode()) {
        return MAPPER.writeValueAsString(node);
      }
      if (node.isBigDecimal()) {
        return node.decimalValue().toPlainString();
      }
      return node.asText();
    }
    if (value instanceof SchemaValue sv) {
      return schemaText(sv.schema(), sv.value());
    }
    if (value instanceof Map<?, ?> || value instanceof List<?>) {
      return MAPPER.writeValueAsString(ConnectValues.plain(value));
    }
    if (value instanceof byte[] bytes) {
      return "\\x" + HexFormat.of().formatHex(bytes);
    }
    if (value instanceof BigDecimal decimal) {
      return decimal.toPlainString();
    }
    if (value instanceof java.util.Date date) {
      // A record's timestamp; Date.toString() would drop the milliseconds and the zone's offset.
      return date.toInstant().toString();
    }
    return value.toString();
  }

  /** The text COPY reads for the value in the column: an array literal for an array column. */
  static String columnText(TargetTable.Column column, Object value) throws JsonProcessingException {
    return column.isArray() ? arrayText(value) : text(value);
  }

  /**
   * The text of a value for a PostgreSQL array column: a JSON or Connect array as an array literal
   * ({@code {"a","b"}}, nested arrays nested), which PostgreSQL reads where it refuses JSON's
   * brackets; anything else as {@link #text}.
   */
  static String arrayText(Object value) throws JsonProcessingException {
    Object items = value instanceof SchemaValue sv ? sv.value() : value;
    if (items instanceof JsonNode node && node.isArray()) {
      StringBuilder literal = new StringBuilder("{");
      for (int i = 0; i < node.size(); i++) {
        appendElement(literal, i, node.get(i));
      }
      return literal.append('}').toString();
    }
    if (items instanceof List<?> list) {
      StringBuilder literal = new StringBuilder("{");
      for (int i = 0; i < list.size(); i++) {
        appendElement(literal, i, list.get(i));
      }
      return literal.append('}').toString();
    }
    return text(value);
  }

  private static void appendElement(StringBuilder literal, int index, Object element)
      throws JsonProcessingException {
    if (index > 0) {
      literal.append(',');
    }
    if (element instanceof List<?> || (element instanceof JsonNode n && n.isArray())) {
      literal.append(arrayText(element));
      return;
    }
    String text = text(element);
    if (text == null) {
      literal.append("NULL");
      return;
    }
    // Always quoted: then only backslash and double quote need escaping, and "NULL" stays text.
    literal.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        literal.append('\\');
      }
      literal.append(c);
    }
    literal.append('"');
  }

  private static String schemaText(Schema schema, Object value) throws JsonProcessingException {
    if (value == null) {
      return null;
    }
    String logical = schema.name();
    if (logical != null) {
      String text = logicalText(logical, value);
      if (text != null) {
        return text;
      }
    }
    return switch (schema.type()) {
      case BYTES ->
          "\\x"
              + HexFormat.of()
                  .formatHex(
                      value instanceof java.nio.ByteBuffer buffer
                          ? toArray(buffer)
                          : (byte[]) value);
      case STRUCT, MAP, ARRAY -> MAPPER.writeValueAsString(ConnectValues.plain(value));
      default -> value.toString();
    };
  }

  /**
   * Kafka's logical types, and Debezium's time types (its default {@code time.precision.mode} sends
   * them as plain integers named {@code io.debezium.time.*}); null for any other name.
   */
  private static String logicalText(String logical, Object value) {
    return switch (logical) {
      case Decimal.LOGICAL_NAME -> ((BigDecimal) value).toPlainString();
      case Date.LOGICAL_NAME ->
          ((java.util.Date) value).toInstant().atZone(ZoneOffset.UTC).toLocalDate().toString();
      case Time.LOGICAL_NAME -> TIME.format(((java.util.Date) value).toInstant());
      case Timestamp.LOGICAL_NAME -> ((java.util.Date) value).toInstant().toString();
      case "io.debezium.time.Date",
          "io.debezium.time.Time",
          "io.debezium.time.MicroTime",
          "io.debezium.time.NanoTime",
          "io.debezium.time.Timestamp",
          "io.debezium.time.MicroTimestamp",
          "io.debezium.time.NanoTimestamp",
          DebeziumTypes.VARIABLE_SCALE_DECIMAL ->
          debeziumText(logical, value);
      default -> null;
    };
  }

  /**
   * Debezium's time types (ZonedTimestamp is ISO text already) and VariableScaleDecimal as
   * PostgreSQL reads them.
   */
  static String debeziumText(String logical, Object value) {
    Object java;
    try {
      java = DebeziumTypes.toJava(logical, value);
    } catch (BadRecordException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    if (java instanceof LocalTime local) {
      return MICRO_TIME.format(local);
    }
    return java instanceof BigDecimal decimal ? decimal.toPlainString() : java.toString();
  }

  private static byte[] toArray(java.nio.ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }
}
