package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.common.RelationName;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class ManagedTablesTest {
  private static final Schema ROW =
      SchemaBuilder.struct()
          .name("shop.public.orders.Value")
          .optional()
          .field("id", Schema.INT64_SCHEMA)
          .field("note", Schema.OPTIONAL_STRING_SCHEMA)
          .field("amount", Decimal.builder(2).optional().build())
          .field("placed", Timestamp.SCHEMA)
          .field("day", Date.builder().optional().build())
          .field("at", Time.builder().optional().build())
          .field("paid", Schema.OPTIONAL_BOOLEAN_SCHEMA)
          .field("blob", Schema.OPTIONAL_BYTES_SCHEMA)
          .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
          .field("scores", SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).optional().build())
          .field(
              "grid",
              SchemaBuilder.array(SchemaBuilder.array(Schema.INT32_SCHEMA).build())
                  .optional()
                  .build())
          .field("stamps", SchemaBuilder.array(Timestamp.SCHEMA).optional().build())
          .field("blobs", SchemaBuilder.array(Schema.BYTES_SCHEMA).optional().build())
          .field(
              "exact",
              SchemaBuilder.struct()
                  .name("io.debezium.data.VariableScaleDecimal")
                  .field("scale", Schema.INT32_SCHEMA)
                  .field("value", Schema.BYTES_SCHEMA)
                  .optional()
                  .build())
          .field("micros", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").build())
          .field("weird \"name\"", Schema.OPTIONAL_INT16_SCHEMA)
          .build();

  private static final Schema ENVELOPE =
      SchemaBuilder.struct()
          .name("shop.public.orders.Envelope")
          .field("before", ROW)
          .field("after", ROW)
          .field("op", Schema.STRING_SCHEMA)
          .build();

  private static final Schema KEY =
      SchemaBuilder.struct()
          .name("shop.public.orders.Key")
          .field("id", Schema.INT64_SCHEMA)
          .build();

  private static SinkRecord event() {
    return new SinkRecord("orders", 0, KEY, new Struct(KEY).put("id", 1L), ENVELOPE, null, 0);
  }

  @Test
  void aChangeEventsAfterBecomesTheTableWithTheRecordKeyAsPrimaryKey() throws Exception {
    WriteMode upsert =
        new WriteMode(WriteMode.Insert.UPSERT, WriteMode.KeySource.RECORD_KEY, List.of(), true);
    MetadataColumns metadata = MetadataColumns.parse(List.of("offset:src_offset"), List.of());
    String ddl =
        new ManagedTables(upsert, metadata, null)
            .createStatement(RelationName.parse("public.orders"), event());
    assertThat(ddl)
        .isEqualTo(
            "CREATE TABLE IF NOT EXISTS \"public\".\"orders\" (\"id\" bigint NOT NULL,"
                + " \"note\" text, \"amount\" numeric, \"placed\" timestamptz NOT NULL,"
                + " \"day\" date, \"at\" time, \"paid\" boolean, \"blob\" bytea, \"tags\" text[],"
                + " \"scores\" integer[], \"grid\" jsonb, \"stamps\" jsonb, \"blobs\" jsonb,"
                + " \"exact\" numeric,"
                + " \"micros\" timestamp NOT NULL, \"weird \"\"name\"\"\" smallint,"
                + " \"src_offset\" bigint, PRIMARY KEY (\"id\"))");
  }

  @Test
  void anAppendedTableHasNoKeyAndAKeyFromNowhereIsRefused() throws Exception {
    SinkRecord plain = new SinkRecord("orders", 0, null, "k", ROW, null, 0);
    assertThat(
            new ManagedTables(WriteMode.APPEND, MetadataColumns.NONE, null)
                .createStatement(RelationName.parse("t"), plain))
        .doesNotContain("PRIMARY KEY");
    WriteMode byValue =
        new WriteMode(WriteMode.Insert.UPSERT, WriteMode.KeySource.RECORD_VALUE, List.of(), false);
    assertThatThrownBy(
            () ->
                new ManagedTables(byValue, MetadataColumns.NONE, null)
                    .createStatement(RelationName.parse("t"), plain))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("pk.fields");
    SinkRecord schemaless = new SinkRecord("orders", 0, null, null, null, "{}", 0);
    assertThatThrownBy(
            () ->
                new ManagedTables(WriteMode.APPEND, MetadataColumns.NONE, null)
                    .createStatement(RelationName.parse("t"), schemaless))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("schemas.enable=true");
  }

  @Test
  void onlyTheFieldsTheTableLacksAreAddedAndAsNullable() {
    TargetTable table =
        new TargetTable(
            RelationName.parse("orders"),
            false,
            List.of(
                new TargetTable.Column("id", "bigint", false),
                new TargetTable.Column("note", "text", false)),
            List.of("id"));
    Schema grown =
        SchemaBuilder.struct()
            .field("id", Schema.INT64_SCHEMA)
            .field("note", Schema.OPTIONAL_STRING_SCHEMA)
            .field("email", Schema.STRING_SCHEMA)
            .build();
    assertThat(ManagedTables.addColumnStatements(table, grown))
        .containsExactly("ALTER TABLE \"orders\" ADD COLUMN IF NOT EXISTS \"email\" text");
  }

  private static SinkRecord fromBytes(Schema schema, Struct value, long offset) {
    JsonConverter converter = new JsonConverter();
    converter.configure(Map.of("schemas.enable", "true"), false);
    byte[] message = converter.fromConnectData("orders", schema, value);
    return new SinkRecord(
        "orders",
        0,
        KEY,
        new Struct(KEY).put("id", 1L),
        Schema.OPTIONAL_BYTES_SCHEMA,
        message,
        offset);
  }

  private static Struct change(long id) {
    Struct after =
        new Struct(ROW)
            .put("id", id)
            .put("placed", new java.util.Date(0))
            .put("micros", 1_700_000_000_000_000L);
    return new Struct(ENVELOPE).put("after", after).put("op", "c");
  }

  @Test
  void aChangeEventReadFromBytesMakesTheTableItsStructMakes() throws Exception {
    WriteMode upsert =
        new WriteMode(WriteMode.Insert.UPSERT, WriteMode.KeySource.RECORD_KEY, List.of(), true);
    ManagedTables tables = new ManagedTables(upsert, MetadataColumns.NONE, null);
    SinkRecord first = fromBytes(ENVELOPE, change(1), 0);
    Schema row = tables.rowSchema(first);
    assertThat(row.fields())
        .map(Field::name)
        .isEqualTo(ROW.fields().stream().map(Field::name).toList());
    assertThat(tables.rowSchema(fromBytes(ENVELOPE, change(2), 1))).isSameAs(row);
    RelationName orders = RelationName.parse("public.orders");
    assertThat(tables.createStatement(orders, first))
        .isEqualTo(tables.createStatement(orders, event()));
  }

  @Test
  void aSchemaReadFromBytesIsComparedOnceAndAChangedOneAgain() {
    ManagedTables tables = new ManagedTables(WriteMode.APPEND, MetadataColumns.NONE, null);
    Schema v1 = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).build();
    Schema v2 =
        SchemaBuilder.struct()
            .field("id", Schema.INT64_SCHEMA)
            .field("color", Schema.OPTIONAL_STRING_SCHEMA)
            .build();
    SinkRecord first = fromBytes(v1, new Struct(v1).put("id", 1L), 0);
    assertThat(tables.isNewSchema(first)).isTrue();
    tables.fits(first);
    assertThat(tables.isNewSchema(fromBytes(v1, new Struct(v1).put("id", 2L), 1))).isFalse();
    SinkRecord grown = fromBytes(v2, new Struct(v2).put("id", 3L).put("color", "red"), 2);
    assertThat(tables.isNewSchema(grown)).isTrue();
    TargetTable table =
        new TargetTable(
            RelationName.parse("orders"),
            false,
            List.of(new TargetTable.Column("id", "bigint", false)),
            List.of());
    assertThat(tables.missingColumns(table, grown))
        .containsExactly("ALTER TABLE \"orders\" ADD COLUMN IF NOT EXISTS \"color\" text");
  }

  @Test
  void bytesThatAreNoEnvelopeCarryNoSchemaAndCannotCreateATable() {
    ManagedTables tables = new ManagedTables(WriteMode.APPEND, MetadataColumns.NONE, null);
    SinkRecord plain =
        new SinkRecord(
            "orders",
            0,
            null,
            null,
            Schema.OPTIONAL_BYTES_SCHEMA,
            "{\"id\":1}".getBytes(StandardCharsets.UTF_8),
            0);
    assertThat(tables.rowSchema(plain)).isNull();
    assertThat(tables.isNewSchema(plain)).isFalse();
    assertThatThrownBy(() -> tables.createStatement(RelationName.parse("t"), plain))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("struct schema");
  }
}
