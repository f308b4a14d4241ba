package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.common.RelationName;
import io.pipelineconnect.sink.copy.RowBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class ChangeRowEncoderTest {
  private static final TargetTable ITEMS =
      new TargetTable(
          RelationName.of("items"),
          false,
          List.of(
              new TargetTable.Column("id", "bigint", false),
              new TargetTable.Column("name", "text", false),
              new TargetTable.Column("updated_at", "timestamp without time zone", false)),
          List.of("id"));

  private static final Schema ROW =
      SchemaBuilder.struct()
          .name("srv.public.items.Value")
          .optional()
          .field("id", Schema.INT64_SCHEMA)
          .field("name", Schema.OPTIONAL_STRING_SCHEMA)
          .field(
              "updated_at",
              SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").optional().build())
          .build();
  private static final Schema SOURCE =
      SchemaBuilder.struct().field("db", Schema.STRING_SCHEMA).build();
  private static final Schema ENVELOPE =
      SchemaBuilder.struct()
          .name("srv.public.items.Envelope")
          .field("before", ROW)
          .field("after", ROW)
          .field("source", SOURCE)
          .field("op", Schema.STRING_SCHEMA)
          .build();
  private static final Schema KEY =
      SchemaBuilder.struct().name("srv.public.items.Key").field("id", Schema.INT64_SCHEMA).build();

  private static final WriteMode UPSERT_BY_KEY =
      new WriteMode(WriteMode.Insert.UPSERT, WriteMode.KeySource.RECORD_KEY, List.of(), true);

  private static Struct row(long id, String name, Long micros) {
    return new Struct(ROW).put("id", id).put("name", name).put("updated_at", micros);
  }

  private static Struct event(String op, Struct before, Struct after) {
    return new Struct(ENVELOPE)
        .put("before", before)
        .put("after", after)
        .put("source", new Struct(SOURCE).put("db", "shop"))
        .put("op", op);
  }

  private static SinkRecord record(Object key, Object value) {
    return new SinkRecord("t", 0, null, key, null, value, 7);
  }

  /** The rows the encoder writes for the records, in order, as COPY text; "-" for a skip. */
  private static List<String> encode(ChangeRowEncoder encoder, SinkRecord... records)
      throws BadRecordException {
    RowBuffer buffer = new RowBuffer();
    List<String> rows = new java.util.ArrayList<>();
    for (SinkRecord record : records) {
      int before = buffer.byteCount();
      if (encoder.encode(record, ITEMS, buffer)) {
        rows.add(
            new String(
                buffer.array(), before, buffer.byteCount() - before, StandardCharsets.UTF_8));
      } else {
        rows.add("-");
      }
    }
    return rows;
  }

  @Test
  void debeziumEventsBecomeUpsertsAndDeletesNumberedByTheirPlaceInTheBatch() throws Exception {
    Struct key = new Struct(KEY).put("id", 1L);
    assertThat(
            encode(
                new ChangeRowEncoder(UPSERT_BY_KEY),
                record(key, event("c", null, row(1, "a", 1_700_000_000_123_456L))),
                record(key, event("u", row(1, "a", null), row(1, "b\tc", null))),
                record(key, event("t", null, null)),
                record(key, event("d", row(1, "b\tc", null), null)),
                record(key, null)))
        .containsExactly(
            "1\ta\t2023-11-14T22:13:20.123456Z\tf\t0\n",
            "1\tb\\tc\t\\N\tf\t1\n",
            "-",
            "1\t\\N\t\\N\tt\t2\n",
            "1\t\\N\t\\N\tt\t3\n");
  }

  /**
   * JsonConverter's bytes of the same events, read by the envelope reader: the after's Debezium
   * MicroTimestamp renders as from the Struct (it went out as a bare number, which PostgreSQL
   * refused).
   */
  @Test
  void debeziumEventsReadFromBytesGiveTheRowsTheirStructsGive() throws Exception {
    JsonConverter json = new JsonConverter();
    json.configure(Map.of("schemas.enable", "true"), false);
    Struct key = new Struct(KEY).put("id", 1L);
    List<Struct> events =
        List.of(
            event("c", null, row(1, "a", 1_700_000_000_123_456L)),
            event("u", row(1, "a", null), row(1, "b\tc", -1L)),
            event("d", row(1, "b\tc", null), null));
    for (Struct event : events) {
      byte[] bytes = json.fromConnectData("t", ENVELOPE, event);
      assertThat(encode(new ChangeRowEncoder(UPSERT_BY_KEY), record(key, bytes)))
          .as(new String(bytes, StandardCharsets.UTF_8))
          .isEqualTo(encode(new ChangeRowEncoder(UPSERT_BY_KEY), record(key, event)));
    }
  }

  @Test
  void plainJsonRowsTakeTheirKeyFromTheRecordKeyWhichWinsOverTheValue() throws Exception {
    assertThat(
            encode(
                new ChangeRowEncoder(UPSERT_BY_KEY),
                record("5", "{\"id\": 9, \"name\": \"x\"}"),
                record("{\"id\": 6}", "{\"name\": \"y\"}".getBytes(StandardCharsets.UTF_8))))
        .containsExactly("5\tx\t\\N\tf\t0\n", "6\ty\t\\N\tf\t1\n");
  }

  @Test
  void withoutDeletesTombstonesAndDeleteEventsAreSkipped() throws Exception {
    ChangeRowEncoder encoder =
        new ChangeRowEncoder(
            new WriteMode(
                WriteMode.Insert.UPSERT, WriteMode.KeySource.RECORD_VALUE, List.of(), false));
    assertThat(
            encode(
                encoder,
                record(null, null),
                record(null, event("d", row(1, "a", null), null)),
                record(null, "{\"id\": 2, \"name\": \"z\"}")))
        .containsExactly("-", "-", "2\tz\t\\N\tf\t0\n");
  }

  @Test
  void aRowWithoutItsKeyIsABadRecordAndLeavesNothingBehind() {
    ChangeRowEncoder byValue =
        new ChangeRowEncoder(
            new WriteMode(
                WriteMode.Insert.UPSERT, WriteMode.KeySource.RECORD_VALUE, List.of(), false));
    RowBuffer buffer = new RowBuffer();
    assertThatThrownBy(() -> byValue.encode(record(null, "{\"name\": \"z\"}"), ITEMS, buffer))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("Key column id");
    assertThat(buffer.byteCount()).isZero();
    assertThatThrownBy(
            () -> new ChangeRowEncoder(UPSERT_BY_KEY).encode(record(null, null), ITEMS, buffer))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("no key");
  }

  @Test
  void targetsUpsertsCannotWriteAreRefusedWithTheFix() {
    ChangeRowEncoder encoder = new ChangeRowEncoder(UPSERT_BY_KEY);
    assertThatThrownBy(
            () ->
                encoder.checkTarget(
                    new TargetTable(ITEMS.name(), true, ITEMS.columns(), List.of())))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("PipelineDB stream");
    assertThatThrownBy(
            () -> encoder.checkTarget(new TargetTable(ITEMS.name(), false, ITEMS.columns())))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("pk.fields");
    assertThatThrownBy(
            () ->
                new ChangeRowEncoder(
                        new WriteMode(
                            WriteMode.Insert.UPSERT,
                            WriteMode.KeySource.RECORD_VALUE,
                            List.of("sku"),
                            false))
                    .checkTarget(ITEMS))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("Key column sku");
  }
}
