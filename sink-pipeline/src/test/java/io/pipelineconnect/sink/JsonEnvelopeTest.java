package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.common.RelationName;
import io.pipelineconnect.sink.copy.RowBuffer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

/**
 * The envelope read from bytes must give the rows the Struct path gives for the same message, as
 * Kafka's own JsonConverter writes and reads it.
 */
class JsonEnvelopeTest {
  private static final Schema NESTED =
      SchemaBuilder.struct().field("k", Schema.STRING_SCHEMA).optional().build();
  private static final Schema SCHEMA =
      SchemaBuilder.struct()
          .name("row")
          .field("id", Schema.INT64_SCHEMA)
          .field("small", Schema.INT16_SCHEMA)
          .field("at", Timestamp.SCHEMA)
          .field("day", Date.SCHEMA)
          .field("clock", Time.SCHEMA)
          .field("amount", Decimal.builder(3).optional().build())
          .field("name", Schema.OPTIONAL_STRING_SCHEMA)
          .field("value", Schema.FLOAT64_SCHEMA)
          .field("flag", Schema.BOOLEAN_SCHEMA)
          .field("blob", Schema.OPTIONAL_BYTES_SCHEMA)
          .field("inner", NESTED)
          .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
          .build();
  private static final TargetTable TABLE =
      new TargetTable(
          RelationName.of("t"),
          false,
          List.of(
              new TargetTable.Column("id", "bigint", false),
              new TargetTable.Column("small", "smallint", false),
              new TargetTable.Column("at", "timestamp with time zone", false),
              new TargetTable.Column("day", "date", false),
              new TargetTable.Column("clock", "time without time zone", false),
              new TargetTable.Column("amount", "numeric", false),
              new TargetTable.Column("name", "text", false),
              new TargetTable.Column("value", "double precision", false),
              new TargetTable.Column("flag", "boolean", false),
              new TargetTable.Column("blob", "bytea", false),
              new TargetTable.Column("inner", "jsonb", false),
              new TargetTable.Column("tags", "jsonb", false),
              new TargetTable.Column("absent", "text", false)));

  private final JsonConverter converter = new JsonConverter();

  JsonEnvelopeTest() {
    converter.configure(Map.of("schemas.enable", "true"), false);
  }

  private static Struct row(long id, String name, BigDecimal amount, byte[] blob) {
    return new Struct(SCHEMA)
        .put("id", id)
        .put("small", (short) -7)
        .put("at", new java.util.Date(1_700_000_000_123L + id))
        .put("day", new java.util.Date(86_400_000L * (19_000 + id)))
        .put("clock", new java.util.Date(45_296_789L))
        .put("amount", amount)
        .put("name", name)
        .put("value", id + 0.25)
        .put("flag", id % 2 == 0)
        .put("blob", blob)
        .put("inner", new Struct(NESTED).put("k", "v\t" + id))
        .put("tags", List.of("a", "b\"c"));
  }

  /** Rows with text to escape, NULLs, empty and non-ASCII values, and a wide Decimal. */
  private static List<Struct> sampleRows() {
    return List.of(
        row(1, "first", new BigDecimal("12.345"), new byte[] {1, 2, (byte) 0xff}),
        row(2, null, null, null),
        row(3, "tab\there, back\\slash", new BigDecimal("-0.001"), new byte[0]),
        row(4, "ünïcode", new BigDecimal("123456789012345678.901"), new byte[] {0}));
  }

  private static String encode(JsonRowEncoder encoder, Object value) throws BadRecordException {
    RowBuffer buffer = new RowBuffer();
    assertThat(encoder.encode(new SinkRecord("t", 0, null, null, null, value, 1), TABLE, buffer))
        .isTrue();
    return new String(buffer.array(), 0, buffer.byteCount(), StandardCharsets.UTF_8);
  }

  @Test
  void theEnvelopeFromBytesGivesTheRowsTheStructPathGives() throws Exception {
    JsonRowEncoder fromBytes = new JsonRowEncoder(false);
    JsonRowEncoder fromStructs = new JsonRowEncoder(false);
    for (Struct row : sampleRows()) {
      byte[] message = converter.fromConnectData("t", SCHEMA, row);
      SchemaAndValue read = converter.toConnectData("t", message);
      assertThat(encode(fromBytes, message))
          .as(new String(message, StandardCharsets.UTF_8))
          .isEqualTo(encode(fromStructs, read.value()));
    }
  }

  /** The same table for binary COPY, with the string array in a text[] column. */
  private static final TargetTable BINARY_TABLE =
      new TargetTable(
          RelationName.of("t"),
          false,
          TABLE.columns().stream()
              .map(
                  c ->
                      c.name().equals("tags") ? new TargetTable.Column("tags", "text[]", false) : c)
              .toList());

  private static byte[] binary(BinaryRowEncoder encoder, Object value, TargetTable table)
      throws BadRecordException {
    RowBuffer buffer = new RowBuffer();
    assertThat(encoder.encode(new SinkRecord("t", 0, null, null, null, value, 1), table, buffer))
        .isTrue();
    return java.util.Arrays.copyOf(buffer.array(), buffer.byteCount());
  }

  /**
   * Binary COPY of an envelope read from bytes (or text) is byte for byte what the Struct path
   * sends for the same message: integers, Timestamp, Date, Time, Decimal, text, floats, booleans,
   * bytes, a nested struct into jsonb, a string array into text[], and NULLs.
   */
  @Test
  void theEnvelopeFromBytesGivesTheBinaryTuplesTheStructPathGives() throws Exception {
    BinaryRowEncoder fromBytes = new BinaryRowEncoder();
    BinaryRowEncoder fromText = new BinaryRowEncoder();
    BinaryRowEncoder fromStructs = new BinaryRowEncoder();
    for (Struct row : sampleRows()) {
      byte[] message = converter.fromConnectData("t", SCHEMA, row);
      byte[] expected =
          binary(fromStructs, converter.toConnectData("t", message).value(), BINARY_TABLE);
      assertThat(binary(fromBytes, message, BINARY_TABLE))
          .as(new String(message, StandardCharsets.UTF_8))
          .isEqualTo(expected);
      assertThat(binary(fromText, new String(message, StandardCharsets.UTF_8), BINARY_TABLE))
          .isEqualTo(expected);
    }
  }

  /** Debezium's MicroTimestamp, ZonedTimestamp, Date and VariableScaleDecimal, likewise. */
  @Test
  void debeziumTypesFromBytesGiveTheBinaryTuplesTheStructPathGives() throws Exception {
    Schema variable =
        SchemaBuilder.struct()
            .name(DebeziumTypes.VARIABLE_SCALE_DECIMAL)
            .field("scale", Schema.INT32_SCHEMA)
            .field("value", Schema.BYTES_SCHEMA)
            .optional()
            .build();
    Schema schema =
        SchemaBuilder.struct()
            .field("micros", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").build())
            .field("zoned", SchemaBuilder.string().name(DebeziumTypes.ZONED_TIMESTAMP).build())
            .field("day", SchemaBuilder.int32().name("io.debezium.time.Date").build())
            .field("amount", variable)
            .field("counts", SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).build())
            .build();
    TargetTable table =
        new TargetTable(
            RelationName.of("d"),
            false,
            List.of(
                new TargetTable.Column("micros", "timestamp without time zone", false),
                new TargetTable.Column("zoned", "timestamp with time zone", false),
                new TargetTable.Column("day", "date", false),
                new TargetTable.Column("amount", "numeric", false),
                new TargetTable.Column("counts", "integer[]", false)));
    Struct row =
        new Struct(schema)
            .put("micros", 1_700_000_000_123_456L)
            .put("zoned", "2026-12-08T03:04:05.123456+01:00")
            .put("day", 19_700)
            .put(
                "amount",
                new Struct(variable)
                    .put("scale", 4)
                    .put("value", new java.math.BigInteger("-1234567").toByteArray()))
            .put("counts", java.util.Arrays.asList(3, null, -7));
    byte[] message = converter.fromConnectData("d", schema, row);
    assertThat(binary(new BinaryRowEncoder(), message, table))
        .isEqualTo(
            binary(new BinaryRowEncoder(), converter.toConnectData("d", message).value(), table));
  }

  /** A message without a schema gives binary COPY no types: a bad record that says so. */
  @Test
  void aMessageWithoutASchemaIsABadRecordForBinary() {
    BinaryRowEncoder encoder = new BinaryRowEncoder();
    byte[] plain = "{\"id\":1}".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(
            () ->
                encoder.encode(
                    new SinkRecord("t", 0, null, null, null, plain, 1),
                    BINARY_TABLE,
                    new RowBuffer()))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("a message without a schema");
  }

  @Test
  void theSchemaIsParsedOnceAndAChangedSchemaIsNoticed() throws Exception {
    JsonRowEncoder encoder = new JsonRowEncoder(false);
    byte[] first =
        converter.fromConnectData("t", SCHEMA, row(1, "a", new BigDecimal("1.000"), null));
    encode(encoder, first);
    // The same field names with other types: the cached schema must not be used for it.
    Schema other =
        SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).field("at", Schema.STRING_SCHEMA);
    byte[] second =
        converter.fromConnectData("t", other, new Struct(other).put("id", 9L).put("at", "now"));
    String row = encode(encoder, second);
    assertThat(row).startsWith("9\t\\N\tnow\t");
  }

  @Test
  void aMalformedEnvelopeIsABadRecord() {
    JsonRowEncoder encoder = new JsonRowEncoder(false);
    byte[] noPayload = "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"data\":{}}".getBytes();
    assertThatThrownBy(() -> encode(encoder, noPayload))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("payload");
    byte[] notAStruct = "{\"schema\":{\"type\":\"string\"},\"payload\":\"x\"}".getBytes();
    assertThatThrownBy(() -> encode(encoder, notAStruct))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("struct");
  }

  @Test
  void messagesWithTheSameSchemaBytesGiveOneSchemaObjectAsJsonConverterReadsIt() {
    JsonEnvelope.ConnectSchemas schemas = new JsonEnvelope.ConnectSchemas();
    byte[] first =
        converter.fromConnectData("t", SCHEMA, row(1, "a", new BigDecimal("1.000"), null));
    byte[] second = converter.fromConnectData("t", SCHEMA, row(2, null, null, new byte[] {7}));
    Schema read = schemas.of(first);
    assertThat(read).isEqualTo(converter.toConnectData("t", first).schema());
    assertThat(schemas.of(second)).isSameAs(read);
  }

  @Test
  void aChangedSchemaGivesANewSchemaAndTheFormerOneComesBackAsTheSameObject() {
    JsonEnvelope.ConnectSchemas schemas = new JsonEnvelope.ConnectSchemas();
    byte[] first =
        converter.fromConnectData("t", SCHEMA, row(1, "a", new BigDecimal("1.000"), null));
    Schema grown =
        SchemaBuilder.struct()
            .name("row")
            .field("id", Schema.INT64_SCHEMA)
            .field("color", Schema.OPTIONAL_STRING_SCHEMA)
            .build();
    byte[] second =
        converter.fromConnectData("t", grown, new Struct(grown).put("id", 9L).put("color", "red"));
    Schema before = schemas.of(first);
    Schema after = schemas.of(second);
    assertThat(after).isNotSameAs(before).isEqualTo(grown);
    assertThat(schemas.of(first)).isSameAs(before);
    assertThat(schemas.of(second)).isSameAs(after);
  }

  @Test
  void onlyTheMostRecentlyUsedSchemasAreKept() {
    JsonEnvelope.ConnectSchemas schemas = new JsonEnvelope.ConnectSchemas();
    List<Schema> read = new java.util.ArrayList<>();
    for (int i = 0; i <= JsonEnvelope.ConnectSchemas.CACHED; i++) {
      Schema distinct = SchemaBuilder.struct().name("row" + i).field("id", Schema.INT64_SCHEMA);
      read.add(
          schemas.of(converter.fromConnectData("t", distinct, new Struct(distinct).put("id", 1L))));
    }
    Schema newest = read.get(read.size() - 1);
    byte[] oldest =
        converter.fromConnectData("t", read.get(0), new Struct(read.get(0)).put("id", 2L));
    // The oldest was dropped to keep the cache bounded: read again, a new (equal) object.
    assertThat(schemas.of(oldest)).isEqualTo(read.get(0)).isNotSameAs(read.get(0));
    byte[] again = converter.fromConnectData("t", newest, new Struct(newest).put("id", 3L));
    assertThat(schemas.of(again)).isSameAs(newest);
  }

  @Test
  void aMessageThatIsNoEnvelopeOrWhoseSchemaJsonConverterCannotReadHasNoSchema() {
    JsonEnvelope.ConnectSchemas schemas = new JsonEnvelope.ConnectSchemas();
    assertThat(schemas.of("{\"id\":1}".getBytes(StandardCharsets.UTF_8))).isNull();
    assertThat(schemas.of("not json".getBytes(StandardCharsets.UTF_8))).isNull();
    assertThat(schemas.of("{\"schema\":null,\"payload\":{}}".getBytes(StandardCharsets.UTF_8)))
        .isNull();
    assertThat(
            schemas.of(
                "{\"schema\":{\"type\":\"no such\"},\"payload\":{}}"
                    .getBytes(StandardCharsets.UTF_8)))
        .isNull();
    assertThat(
            schemas.of(
                "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"data\":{}}"
                    .getBytes(StandardCharsets.UTF_8)))
        .isNull();
  }
}
