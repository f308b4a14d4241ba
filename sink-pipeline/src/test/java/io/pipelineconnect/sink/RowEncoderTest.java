package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.common.RelationName;
import io.pipelineconnect.sink.copy.CopyOptions;
import io.pipelineconnect.sink.copy.RowBuffer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class RowEncoderTest {
  private static final TargetTable PAGE_VIEWS =
      new TargetTable(
          RelationName.of("page_views"),
          false,
          List.of(
              new TargetTable.Column("url", "text", false),
              new TargetTable.Column("user_id", "bigint", false),
              new TargetTable.Column("meta", "jsonb", false),
              new TargetTable.Column("seen", "timestamp with time zone", true)));
  private static final TargetTable ONE_JSON =
      new TargetTable(
          RelationName.of("raw"), false, List.of(new TargetTable.Column("doc", "json", false)));

  private static SinkRecord record(Object value) {
    return new SinkRecord("t", 0, null, null, null, value, 7);
  }

  private static String encode(RowEncoder encoder, TargetTable target, Object value)
      throws BadRecordException {
    RowBuffer buffer = new RowBuffer();
    assertThat(encoder.encode(record(value), target, buffer)).isTrue();
    return new String(buffer.array(), 0, buffer.byteCount(), StandardCharsets.UTF_8);
  }

  @Test
  void linesPassThroughWithOneTrailingNewline() throws BadRecordException {
    LineRowEncoder text = new LineRowEncoder(CopyOptions.TEXT_DEFAULTS);
    assertThat(encode(text, PAGE_VIEWS, "a\t1".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("a\t1\n");
    assertThat(encode(text, PAGE_VIEWS, "a\t1\r\n")).isEqualTo("a\t1\n");
  }

  @Test
  void lineEncoderSkipsEmptyAndRejectsStructuredValues() {
    LineRowEncoder text = new LineRowEncoder(CopyOptions.TEXT_DEFAULTS);
    RowBuffer buffer = new RowBuffer();
    assertThat(rowsAfter(text, null, buffer)).isZero();
    assertThat(rowsAfter(text, new byte[0], buffer)).isZero();
    assertThatThrownBy(() -> text.encode(record(Map.of("a", 1)), PAGE_VIEWS, buffer))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("ByteArrayConverter");
    assertThatThrownBy(() -> text.encode(record("a\nb"), PAGE_VIEWS, buffer))
        .hasMessageContaining("several rows");
    assertThat(buffer.rowCount()).isZero();
  }

  private static int rowsAfter(RowEncoder encoder, Object value, RowBuffer buffer) {
    try {
      encoder.encode(record(value), PAGE_VIEWS, buffer);
    } catch (BadRecordException e) {
      throw new AssertionError(e);
    }
    return buffer.rowCount();
  }

  @Test
  void jsonKeysGoToColumnsByName() throws BadRecordException {
    JsonRowEncoder json = new JsonRowEncoder(false);
    String row =
        encode(
            json,
            PAGE_VIEWS,
            "{\"user_id\": 42, \"url\": \"/a\\tb\", \"meta\": {\"x\": [1, 2]}, \"unknown\": 1}");
    assertThat(row).isEqualTo("/a\\tb\t42\t{\"x\":[1,2]}\t\\N\n");
  }

  @Test
  void missingKeysUseTheColumnDefaultWhereCopyHasOne() throws BadRecordException {
    JsonRowEncoder json = new JsonRowEncoder(true);
    assertThat(encode(json, PAGE_VIEWS, "{\"url\": null}")).isEqualTo("\\N\t\\N\t\\N\t\\D\n");
    assertThat(json.withClause(PAGE_VIEWS)).isEqualTo("WITH (FORMAT text, DEFAULT E'\\\\D')");
  }

  @Test
  void aWholeMessageLandsInASingleJsonColumnWithBackslashesEscaped() throws BadRecordException {
    JsonRowEncoder json = new JsonRowEncoder(true);
    assertThat(encode(json, ONE_JSON, "{\"path\": \"C:\\\\x\",\n \"n\": 1}"))
        .isEqualTo("{\"path\": \"C:\\\\\\\\x\",\\n \"n\": 1}\n");
    assertThat(json.withClause(ONE_JSON)).isEqualTo("WITH (FORMAT text)");
  }

  @Test
  void structFieldsGoToColumnsWithLogicalTypes() throws BadRecordException {
    Schema schema =
        SchemaBuilder.struct()
            .field("url", Schema.STRING_SCHEMA)
            .field("user_id", Schema.INT64_SCHEMA)
            .field("meta", SchemaBuilder.map(Schema.STRING_SCHEMA, Decimal.schema(2)).build())
            .build();
    Struct value =
        new Struct(schema)
            .put("url", "/s")
            .put("user_id", 9L)
            .put("meta", Map.of("price", new BigDecimal("1.50")));
    assertThat(encode(new JsonRowEncoder(false), PAGE_VIEWS, value))
        .isEqualTo("/s\t9\t{\"price\":1.50}\t\\N\n");
  }

  @Test
  void jsonThatIsNotAnObjectIsABadRecord() {
    JsonRowEncoder json = new JsonRowEncoder(false);
    RowBuffer buffer = new RowBuffer();
    assertThatThrownBy(() -> json.encode(record("[1,2]"), PAGE_VIEWS, buffer))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("object");
    assertThatThrownBy(() -> json.encode(record("{not json"), PAGE_VIEWS, buffer))
        .isInstanceOf(BadRecordException.class);
    assertThat(buffer.byteCount()).isZero();
  }

  @Test
  void copyStatementQuotesEveryIdentifier() {
    TargetTable evil =
        new TargetTable(
            RelationName.of("s", "a\"; drop table x; --"),
            false,
            List.of(new TargetTable.Column("c\"", "text", false)));
    assertThat(evil.copyStatement(CopyOptions.TEXT_DEFAULTS.withClause()))
        .isEqualTo(
            "COPY \"s\".\"a\"\"; drop table x; --\" (\"c\"\"\") FROM STDIN WITH (FORMAT text)");
    assertThat(
            TargetResolver.fillTemplate(RelationName.parse("raw.${topic}_in"), "Page.Views")
                .quoted())
        .isEqualTo("\"raw\".\"Page.Views_in\"");
  }
}
