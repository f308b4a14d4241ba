package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.common.RelationName;
import io.pipelineconnect.sink.copy.RowBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class MetadataColumnsTest {
  private static final MetadataColumns ALL =
      MetadataColumns.parse(
          List.of("topic:t", "partition:p", "offset:o", "timestamp:at", "key:k", "key:kb"),
          List.of());

  private static final TargetTable AUDIT =
      new TargetTable(
          RelationName.of("audit"),
          false,
          List.of(
              new TargetTable.Column("v", "text", false),
              new TargetTable.Column("t", "text", false),
              new TargetTable.Column("p", "integer", false),
              new TargetTable.Column("o", "bigint", false),
              new TargetTable.Column("at", "timestamp with time zone", false),
              new TargetTable.Column("k", "text", false),
              new TargetTable.Column("kb", "bytea", false)));

  private static SinkRecord record(Object key, Object value, Long timestamp) {
    return new SinkRecord(
        "orders", 3, null, key, null, value, 41, timestamp, TimestampType.CREATE_TIME);
  }

  @Test
  void eachSourceGivesTheRecordsOwnValueAndKeysFitTheirColumn() throws Exception {
    SinkRecord record = record("k1".getBytes(StandardCharsets.UTF_8), "{}", 1_767_323_045_678L);
    assertThat(MetadataColumns.value(MetadataColumns.Source.TOPIC, record, false))
        .isEqualTo("orders");
    assertThat(MetadataColumns.value(MetadataColumns.Source.PARTITION, record, false)).isEqualTo(3);
    assertThat(MetadataColumns.value(MetadataColumns.Source.OFFSET, record, false)).isEqualTo(41L);
    assertThat(
            JsonFields.text(MetadataColumns.value(MetadataColumns.Source.TIMESTAMP, record, false)))
        .isEqualTo("2026-01-02T03:04:05.678Z");
    assertThat(MetadataColumns.value(MetadataColumns.Source.KEY, record, false)).isEqualTo("k1");
    assertThat(MetadataColumns.value(MetadataColumns.Source.KEY, record, true))
        .isEqualTo("k1".getBytes(StandardCharsets.UTF_8));

    Schema keySchema = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).build();
    SinkRecord structKey = record(new Struct(keySchema).put("id", 5L), "{}", null);
    assertThat(MetadataColumns.value(MetadataColumns.Source.KEY, structKey, false))
        .isEqualTo("{\"id\":5}");
    assertThat(MetadataColumns.value(MetadataColumns.Source.TIMESTAMP, structKey, false)).isNull();
  }

  @Test
  void jsonRowsCarryTheMetadataBesideTheValuesFields() throws Exception {
    JsonRowEncoder encoder = new JsonRowEncoder(false, ALL);
    encoder.checkTarget(AUDIT);
    RowBuffer buffer = new RowBuffer();
    byte[] key = "a\tb".getBytes(StandardCharsets.UTF_8);
    assertThat(encoder.encode(record(key, Map.of("v", "x", "t", "ignored"), 0L), AUDIT, buffer))
        .isTrue();
    assertThat(new String(buffer.array(), 0, buffer.byteCount(), StandardCharsets.UTF_8))
        .isEqualTo("x\torders\t3\t41\t1970-01-01T00:00:00Z\ta\\tb\t\\\\x610962\n");
  }

  @Test
  void aMetadataColumnTheTargetLacksFailsTheCheckNamingIt() {
    MetadataColumns missing = MetadataColumns.parse(List.of("offset:src_offset"), List.of());
    assertThatThrownBy(() -> new BinaryRowEncoder(missing).checkTarget(AUDIT))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("src_offset", "metadata.columns", "ADD COLUMN");
  }
}
