package io.pipelineconnect.sink;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.json.JsonConverterConfig;
import org.apache.kafka.connect.storage.ConverterConfig;
import org.apache.kafka.connect.storage.ConverterType;

/**
 * Reads JsonConverter's {@code {"schema":…,"payload":…}} envelope straight from a message's bytes,
 * for {@code format=json} with the ByteArrayConverter: no Struct is built, and the schema, which
 * for narrow rows is longer than the payload, is parsed once and then only compared byte for byte
 * with the next message's.
 *
 * <p>Each payload field becomes the text COPY reads for its column, rendered as the Struct path
 * renders it: Timestamp, Date and Time as ISO text, Decimal (base64 or numeric) as a plain number,
 * bytes as {@code \x} hex, nested structs and maps as JSON text, arrays as JSON nodes (an array
 * column's literal or a jsonb column's JSON; logical types inside any of them stay in
 * JsonConverter's JSON form).
 */
final class JsonEnvelope {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory FACTORY = MAPPER.getFactory();
  private static final byte[] SCHEMA_KEY = "{\"schema\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PAYLOAD_KEY = ",\"payload\":".getBytes(StandardCharsets.US_ASCII);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  /** How a payload field is rendered, from its schema. */
  private sealed interface Kind {}

  private record Plain() implements Kind {}

  private record LogicalTimestamp() implements Kind {}

  private record LogicalDate() implements Kind {}

  private record LogicalTime() implements Kind {}

  private record LogicalDecimal(int scale) implements Kind {}

  private record Bytes() implements Kind {}

  private record Nested() implements Kind {}

  /** Debezium's integer time types ({@link DebeziumTypes}). */
  private record DebeziumTimeType(String name) implements Kind {}

  /** Debezium's ZonedTimestamp: ISO text, which text COPY reads as it is. */
  private record ZonedTimestamp() implements Kind {}

  /** Debezium's VariableScaleDecimal: a struct of scale and base64 unscaled value. */
  private record VariableScale() implements Kind {}

  /** A struct whose own fields' kinds are known: a change event's before and after. */
  private record StructOf(Map<String, Kind> kinds) implements Kind {}

  private static final Kind PLAIN = new Plain();

  /** The last schema seen, as its bytes, and the field kinds it gives. */
  private byte[] lastSchema;

  private Map<String, Kind> lastKinds;

  private final Map<String, Object> fields = new HashMap<>();

  /** Whether the message is a JsonConverter envelope: it starts with {@code {"schema":}. */
  static boolean isEnvelope(byte[] message) {
    return startsWith(message, 0, SCHEMA_KEY);
  }

  /** The same for a StringConverter's value, without encoding every message to bytes. */
  static boolean isEnvelope(String message) {
    return message.startsWith("{\"schema\":");
  }

  /**
   * The payload's fields by name, each as the text COPY reads (null for SQL NULL), in a map reused
   * for the next message; null when the payload is null (nothing to write).
   *
   * @throws BadRecordException when the envelope is malformed or its schema is not a struct
   */
  Map<String, Object> fields(byte[] message) throws IOException, BadRecordException {
    return payload(message, false);
  }

  /**
   * The payload's fields by name as the Java values binary COPY's writers take, typed by the schema
   * as JsonConverter would type a Struct's fields: integers as Long, floats as Double, Timestamp as
   * java.util.Date, Date as LocalDate, Time as java.util.Date, Decimal as BigDecimal, bytes as
   * byte[], Debezium's time types and VariableScaleDecimal as {@link DebeziumTypes} gives them,
   * arrays as Lists, nested structs and maps as their JSON text. In a map reused for the next
   * message; null when the payload is null.
   */
  Map<String, Object> values(byte[] message) throws IOException, BadRecordException {
    return payload(message, true);
  }

  private Map<String, Object> payload(byte[] message, boolean typed)
      throws IOException, BadRecordException {
    int payloadStart = payloadStart(message);
    // Closed, so the field names it read go back to the factory's symbol table: a parser left
    // open made every message intern its names again (a tenth of the task's CPU, JFR).
    try (JsonParser payload =
        FACTORY.createParser(message, payloadStart, message.length - payloadStart)) {
      JsonToken first = payload.nextToken();
      if (first == JsonToken.VALUE_NULL) {
        return null;
      }
      if (first != JsonToken.START_OBJECT) {
        throw new BadRecordException("The envelope's payload is not an object but " + first);
      }
      // One map reused: the caller reads it before the next message.
      fields.clear();
      if (typed) {
        while (payload.nextToken() == JsonToken.FIELD_NAME) {
          String name = payload.currentName();
          JsonToken token = payload.nextToken();
          fields.put(name, value(payload, token, lastKinds.getOrDefault(name, PLAIN)));
        }
      } else {
        readFields(payload, lastKinds, fields);
      }
      return fields;
    }
  }

  /** Reads an object's fields, after its START_OBJECT, each rendered by the kind of its name. */
  private static void readFields(
      JsonParser object, Map<String, Kind> kinds, Map<String, Object> into)
      throws IOException, BadRecordException {
    while (object.nextToken() == JsonToken.FIELD_NAME) {
      String name = object.currentName();
      JsonToken token = object.nextToken();
      into.put(name, render(object, token, kinds.getOrDefault(name, PLAIN)));
    }
  }

  /**
   * A nested struct of the payload whose field kinds the schema gives: its JSON text wherever it is
   * written whole (a jsonb column), and its fields, rendered as the payload's are, where it is read
   * as a row (a change event's after).
   */
  static final class StructText {
    private final String json;
    private final Map<String, Kind> kinds;

    private StructText(String json, Map<String, Kind> kinds) {
      this.json = json;
      this.kinds = kinds;
    }

    /** The struct's fields by name, each as the text COPY reads (null for SQL NULL). */
    Map<String, Object> fields() throws IOException, BadRecordException {
      try (JsonParser object = FACTORY.createParser(json)) {
        if (object.nextToken() != JsonToken.START_OBJECT) {
          throw new BadRecordException("Expected a JSON object, got " + json);
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        readFields(object, kinds, fields);
        return fields;
      }
    }

    @Override
    public String toString() {
      return json;
    }
  }

  /** Where the payload value starts; parses the schema when it differs from the last one. */
  private int payloadStart(byte[] message) throws IOException, BadRecordException {
    int schemaStart = SCHEMA_KEY.length;
    byte[] known = lastSchema;
    if (known != null && hasSchema(message, known)) {
      return schemaStart + known.length + PAYLOAD_KEY.length;
    }
    int end = schemaEnd(message);
    JsonNode schema = MAPPER.readTree(message, schemaStart, end - schemaStart);
    lastKinds = kinds(schema);
    lastSchema = Arrays.copyOfRange(message, schemaStart, end);
    return end + PAYLOAD_KEY.length;
  }

  /** Whether the envelope's schema is exactly these bytes (then its payload follows them). */
  private static boolean hasSchema(byte[] message, byte[] schema) {
    int end = SCHEMA_KEY.length + schema.length;
    return end <= message.length
        && Arrays.equals(message, SCHEMA_KEY.length, end, schema, 0, schema.length)
        && startsWith(message, end, PAYLOAD_KEY);
  }

  /** Where the envelope's schema object ends, found by skipping it, not by building it. */
  private static int schemaEnd(byte[] message) throws IOException, BadRecordException {
    int schemaStart = SCHEMA_KEY.length;
    int end;
    try (JsonParser parser =
        FACTORY.createParser(message, schemaStart, message.length - schemaStart)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new BadRecordException("The envelope's schema is not an object");
      }
      parser.skipChildren();
      end = schemaStart + (int) parser.currentLocation().getByteOffset();
    }
    if (!startsWith(message, end, PAYLOAD_KEY)) {
      throw new BadRecordException("Expected \"payload\" right after the envelope's schema");
    }
    return end;
  }

  private static Map<String, Kind> kinds(JsonNode schema) throws BadRecordException {
    if (!"struct".equals(schema.path("type").asText())) {
      throw new BadRecordException(
          "The sink writes an envelope whose schema is a struct, got type "
              + schema.path("type").asText());
    }
    return fieldKinds(schema);
  }

  private static Map<String, Kind> fieldKinds(JsonNode struct) {
    Map<String, Kind> kinds = new HashMap<>();
    for (JsonNode field : struct.path("fields")) {
      kinds.put(field.path("field").asText(), kind(field));
    }
    return kinds;
  }

  private static Kind kind(JsonNode field) {
    String logical = field.path("name").asText("");
    switch (logical) {
      case "org.apache.kafka.connect.data.Timestamp":
        return new LogicalTimestamp();
      case "org.apache.kafka.connect.data.Date":
        return new LogicalDate();
      case "org.apache.kafka.connect.data.Time":
        return new LogicalTime();
      case "org.apache.kafka.connect.data.Decimal":
        return new LogicalDecimal(field.path("parameters").path("scale").asInt(0));
      default:
        if (logical.equals(DebeziumTypes.VARIABLE_SCALE_DECIMAL)) {
          return new VariableScale();
        }
        if (logical.equals(DebeziumTypes.ZONED_TIMESTAMP)) {
          return new ZonedTimestamp();
        }
        if (DebeziumTypes.maps(logical)) {
          return new DebeziumTimeType(logical);
        }
        break;
    }
    return switch (field.path("type").asText()) {
      case "bytes" -> new Bytes();
      case "struct" -> structOf(field);
      case "map", "array" -> new Nested();
      default -> PLAIN;
    };
  }

  private static Kind structOf(JsonNode schema) {
    return new StructOf(fieldKinds(schema));
  }

  private static Object render(JsonParser p, JsonToken token, Kind kind)
      throws IOException, BadRecordException {
    if (token == JsonToken.VALUE_NULL) {
      return null;
    }
    if (token == JsonToken.START_ARRAY) {
      // Kept as a node: an array column takes it as an array literal, a jsonb column as JSON.
      return MAPPER.readTree(p);
    }
    if (token == JsonToken.START_OBJECT && kind instanceof VariableScale) {
      JsonNode decimal = MAPPER.readTree(p);
      return DebeziumTypes.variableScale(
              decimal.path("scale").asInt(0),
              decimal.path("value").isTextual() ? decimal.path("value").asText() : null)
          .toPlainString();
    }
    if (token == JsonToken.START_OBJECT) {
      String json = MAPPER.writeValueAsString(MAPPER.readTree(p));
      return kind instanceof StructOf struct ? new StructText(json, struct.kinds()) : json;
    }
    if (kind instanceof DebeziumTimeType time && token == JsonToken.VALUE_NUMBER_INT) {
      return JsonFields.debeziumText(time.name(), p.getLongValue());
    }
    if (kind instanceof LogicalTimestamp) {
      return Instant.ofEpochMilli(p.getLongValue()).toString();
    }
    if (kind instanceof LogicalDate) {
      return LocalDate.ofEpochDay(p.getLongValue()).toString();
    }
    if (kind instanceof LogicalTime) {
      return TIME.format(Instant.ofEpochMilli(p.getLongValue()));
    }
    if (kind instanceof LogicalDecimal decimal && token == JsonToken.VALUE_STRING) {
      byte[] unscaled = Base64.getDecoder().decode(p.getText());
      return new BigDecimal(new BigInteger(unscaled), decimal.scale()).toPlainString();
    }
    if (kind instanceof Bytes && token == JsonToken.VALUE_STRING) {
      return "\\x" + HexFormat.of().formatHex(Base64.getDecoder().decode(p.getText()));
    }
    return p.getText();
  }

  /** A payload field as a Java value for binary COPY (see {@link #values}). */
  private static Object value(JsonParser p, JsonToken token, Kind kind)
      throws IOException, BadRecordException {
    switch (token) {
      case VALUE_NULL:
        return null;
      case START_ARRAY:
        // Lists, Maps, Integer/Long/BigInteger, Double, String, Boolean, null: Jackson's own.
        return MAPPER.readValue(p, Object.class);
      case START_OBJECT:
        if (kind instanceof VariableScale) {
          JsonNode decimal = MAPPER.readTree(p);
          return DebeziumTypes.variableScale(
              decimal.path("scale").asInt(0),
              decimal.path("value").isTextual() ? decimal.path("value").asText() : null);
        }
        return MAPPER.writeValueAsString(MAPPER.readTree(p));
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NUMBER_INT:
        if (kind instanceof DebeziumTimeType time) {
          return DebeziumTypes.toJava(time.name(), p.getLongValue());
        }
        if (kind instanceof LogicalTimestamp || kind instanceof LogicalTime) {
          return new java.util.Date(p.getLongValue());
        }
        if (kind instanceof LogicalDate) {
          return LocalDate.ofEpochDay(p.getLongValue());
        }
        if (kind instanceof LogicalDecimal decimal) {
          return new BigDecimal(p.getBigIntegerValue()).setScale(decimal.scale());
        }
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? p.getBigIntegerValue()
            : (Object) p.getLongValue();
      case VALUE_NUMBER_FLOAT:
        if (kind instanceof LogicalDecimal decimal) {
          // decimal.format=NUMERIC writes the number itself.
          try {
            return p.getDecimalValue()
                .setScale(decimal.scale(), java.math.RoundingMode.UNNECESSARY);
          } catch (ArithmeticException e) {
            throw new BadRecordException(
                "A Decimal of scale " + decimal.scale() + " holds " + p.getText());
          }
        }
        return p.getDoubleValue();
      case VALUE_STRING:
        if (kind instanceof LogicalDecimal decimal) {
          return new BigDecimal(new BigInteger(base64(p.getText(), "a Decimal")), decimal.scale());
        }
        if (kind instanceof Bytes) {
          return base64(p.getText(), "bytes");
        }
        if (kind instanceof ZonedTimestamp) {
          return DebeziumTypes.toJava(DebeziumTypes.ZONED_TIMESTAMP, p.getText());
        }
        return p.getText();
      default:
        throw new BadRecordException("Unexpected " + token + " in the envelope's payload");
    }
  }

  private static byte[] base64(String text, String what) throws BadRecordException {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new BadRecordException("A field typed " + what + " is not base64: " + e.getMessage());
    }
  }

  /**
   * The Connect schemas of envelopes read from bytes, as JsonConverter makes them, for auto.create
   * and auto.evolve: the same Schema object while the schema bytes stay the same (ManagedTables
   * remembers by identity which schemas fit their table), each distinct schema parsed once. A
   * message like the last one costs a comparison of its schema bytes, as in {@link #fields}.
   */
  static final class ConnectSchemas {
    /**
     * Distinct schemas kept, the most recently used: a task's topics carry a few at a time, and the
     * bytes are the producers', so the number they can make us keep is bounded.
     */
    static final int CACHED = 32;

    /*
     * Kafka's converter reads the schema wrapped as the items of an optional array, with a null
     * payload: only bytes cross into it. Under plugin isolation JsonConverter is the worker's, on
     * the worker's Jackson, and a JsonNode of ours handed to asConnectSchema would be another
     * class (a LinkageError); a required struct with a null payload would be refused.
     */
    private static final byte[] WRAP_START =
        "{\"schema\":{\"type\":\"array\",\"optional\":true,\"items\":"
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WRAP_END =
        "},\"payload\":null}".getBytes(StandardCharsets.US_ASCII);

    private final JsonConverter converter = new JsonConverter();
    private final Map<ByteBuffer, Schema> cache =
        new LinkedHashMap<>(CACHED, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Schema> eldest) {
            return size() > CACHED;
          }
        };

    /** The last message's schema, as its bytes, and what it gave. */
    private byte[] lastBytes;

    private Schema last;

    ConnectSchemas() {
      converter.configure(
          Map.of(
              JsonConverterConfig.SCHEMAS_ENABLE_CONFIG,
              "true",
              ConverterConfig.TYPE_CONFIG,
              ConverterType.VALUE.getName(),
              JsonConverterConfig.SCHEMAS_CACHE_SIZE_CONFIG,
              String.valueOf(CACHED)));
    }

    /**
     * The Connect schema of the message's envelope; null when the message is no JsonConverter
     * envelope or its schema is not one JsonConverter reads (the record then carries no schema).
     */
    Schema of(byte[] message) {
      if (!isEnvelope(message)) {
        return null;
      }
      if (lastBytes != null && hasSchema(message, lastBytes)) {
        return last;
      }
      byte[] bytes;
      try {
        bytes = Arrays.copyOfRange(message, SCHEMA_KEY.length, schemaEnd(message));
      } catch (IOException | BadRecordException e) {
        return null;
      }
      ByteBuffer key = ByteBuffer.wrap(bytes);
      Schema schema = cache.get(key);
      if (schema == null) {
        schema = convert(bytes);
        if (schema == null) {
          return null;
        }
        cache.put(key, schema);
      }
      lastBytes = bytes;
      last = schema;
      return schema;
    }

    private Schema convert(byte[] schema) {
      byte[] wrapped = new byte[WRAP_START.length + schema.length + WRAP_END.length];
      System.arraycopy(WRAP_START, 0, wrapped, 0, WRAP_START.length);
      System.arraycopy(schema, 0, wrapped, WRAP_START.length, schema.length);
      System.arraycopy(WRAP_END, 0, wrapped, WRAP_START.length + schema.length, WRAP_END.length);
      try {
        return converter.toConnectData("", wrapped).schema().valueSchema();
      } catch (DataException e) {
        return null;
      }
    }
  }

  private static boolean startsWith(byte[] bytes, int at, byte[] prefix) {
    return at + prefix.length <= bytes.length
        && Arrays.equals(bytes, at, at + prefix.length, prefix, 0, prefix.length);
  }
}
