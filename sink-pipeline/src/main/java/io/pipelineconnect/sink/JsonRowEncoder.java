package io.pipelineconnect.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pipelineconnect.common.Identifiers;
import io.pipelineconnect.sink.copy.CopyLines;
import io.pipelineconnect.sink.copy.CopyOptions;
import io.pipelineconnect.sink.copy.RowBuffer;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
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
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * {@code format=json}: a JSON object per message (or a Connect Struct or Map, from JsonConverter
 * with or without schemas, Avro and the like), written as text-format COPY rows.
 *
 * <p>Into a target with a single json/jsonb column, each whole message lands in it (what
 * pipeline_kafka's json format did). Otherwise each top-level key goes to the column of that name:
 * unknown keys are ignored, missing keys become the column default (PostgreSQL 16+, whose COPY has
 * a DEFAULT marker) or NULL, and nested objects and arrays are written as JSON text. A message
 * holding JsonConverter's envelope ({@code {"schema":…,"payload":…}}, read with the
 * ByteArrayConverter) is read by {@link JsonEnvelope}: the payload's fields, rendered by the
 * schema's logical types, without a Struct.
 */
final class JsonRowEncoder implements RowEncoder {
  /**
   * COPY's DEFAULT marker (PostgreSQL 16+): a raw field of exactly this means "use the default".
   */
  private static final String DEFAULT_MARKER = "\\D";

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  private final boolean serverHasCopyDefault;
  private final JsonEnvelope envelope = new JsonEnvelope();

  JsonRowEncoder(boolean serverHasCopyDefault) {
    this.serverHasCopyDefault = serverHasCopyDefault;
  }

  @Override
  public String withClause(TargetTable target) {
    return usesDefaultMarker(target)
        ? CopyOptions.TEXT_DEFAULTS.withClause(
            List.of("DEFAULT " + Identifiers.quoteLiteral(DEFAULT_MARKER)))
        : CopyOptions.TEXT_DEFAULTS.withClause();
  }

  private boolean usesDefaultMarker(TargetTable target) {
    return serverHasCopyDefault
        && !target.singleJsonColumn()
        && target.columns().stream().anyMatch(TargetTable.Column::hasDefault);
  }

  @Override
  public boolean encode(SinkRecord record, TargetTable target, RowBuffer buffer)
      throws BadRecordException {
    Object value = record.value();
    if (value == null) {
      return false;
    }
    try {
      if (target.singleJsonColumn()) {
        String json = wholeMessageAsJson(value);
        if (json.isEmpty()) {
          return false;
        }
        CopyLines.appendTextField(buffer, json);
      } else {
        Map<String, Object> fields = fieldsOf(value);
        if (fields == null) {
          return false;
        }
        boolean defaults = usesDefaultMarker(target);
        List<TargetTable.Column> columns = target.columns();
        for (int i = 0; i < columns.size(); i++) {
          if (i > 0) {
            buffer.write((byte) '\t');
          }
          TargetTable.Column column = columns.get(i);
          String name = column.name();
          if (!fields.containsKey(name)) {
            if (defaults && column.hasDefault()) {
              buffer.write(DEFAULT_MARKER.getBytes(StandardCharsets.US_ASCII));
            } else {
              CopyLines.appendNull(buffer);
            }
            continue;
          }
          String text = fieldText(fields.get(name));
          if (text == null) {
            CopyLines.appendNull(buffer);
          } else {
            CopyLines.appendTextField(buffer, text);
          }
        }
      }
    } catch (BadRecordException e) {
      buffer.discardPartialRow();
      throw e;
    } catch (IOException | RuntimeException e) {
      buffer.discardPartialRow();
      throw new BadRecordException("Not a JSON object: " + e.getMessage(), e);
    }
    buffer.write((byte) '\n');
    buffer.endRow();
    return true;
  }

  /** The message as JSON text, for a single json/jsonb column. */
  private static String wholeMessageAsJson(Object value) throws IOException {
    if (value instanceof byte[] bytes) {
      return new String(bytes, StandardCharsets.UTF_8).strip();
    }
    if (value instanceof String text) {
      return text.strip();
    }
    return MAPPER.writeValueAsString(ConnectValues.plain(value));
  }

  /** The top-level fields of the message, by name; null for an empty message. */
  private Map<String, Object> fieldsOf(Object value) throws IOException, BadRecordException {
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
      JsonNode node = MAPPER.readTree(text);
      if (!node.isObject()) {
        throw new BadRecordException("Expected a JSON object, got " + node.getNodeType());
      }
      Map<String, Object> fields = new LinkedHashMap<>();
      node.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue()));
      return fields;
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
        "format=json needs a JSON object, Struct or Map value, got "
            + value.getClass().getSimpleName());
  }

  /** A Struct field's value with its schema, so logical types render as PostgreSQL reads them. */
  private record SchemaValue(Schema schema, Object value) {}

  /** One field as the text COPY reads for it, or null for SQL NULL. */
  private static String fieldText(Object value) throws JsonProcessingException {
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
    return value.toString();
  }

  private static String schemaText(Schema schema, Object value) throws JsonProcessingException {
    if (value == null) {
      return null;
    }
    String logical = schema.name();
    if (Decimal.LOGICAL_NAME.equals(logical)) {
      return ((BigDecimal) value).toPlainString();
    }
    if (Date.LOGICAL_NAME.equals(logical)) {
      return ((java.util.Date) value).toInstant().atZone(ZoneOffset.UTC).toLocalDate().toString();
    }
    if (Time.LOGICAL_NAME.equals(logical)) {
      return TIME.format(((java.util.Date) value).toInstant());
    }
    if (Timestamp.LOGICAL_NAME.equals(logical)) {
      return ((java.util.Date) value).toInstant().toString();
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

  private static byte[] toArray(java.nio.ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }
}
