package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

class OutboxMessageTest {
  @Test
  void theSourcePartitionSerializesAsConnectsOwnLookupsReserializeIt() {
    // Connect's REST GET and DELETE read stored partitions back into maps and serialize those
    // again: a partition whose bytes do not survive that round trip is invisible to them. (These
    // two keys share a HashMap bucket, so the sorted order they have always been stored in
    // survives; the Kinesis source's did not.)
    JsonConverter converter = new JsonConverter();
    converter.configure(Map.of("schemas.enable", "false"), true);
    byte[] key = converter.fromConnectData("t", null, OutboxMessage.sourcePartition("s", 3));
    Object readBack = converter.toConnectData("t", key).value();
    assertThat(converter.fromConnectData("t", null, readBack)).isEqualTo(key);
  }

  @Test
  void aMessageBecomesARecordOfItsRawBytesUnderItsBucketAndPosition() {
    byte[] key = {1, 2};
    byte[] value = {3};
    SourceRecord record = new OutboxMessage(42, 7, 9, "users", 2, key, value).toSourceRecord("s");
    assertThat(record.sourcePartition()).isEqualTo(Map.of("schema", "s", "bucket", 7));
    assertThat(record.sourceOffset()).isEqualTo(Map.of("batch", 9L, "id", 42L));
    assertThat(record.topic()).isEqualTo("users");
    assertThat(record.kafkaPartition()).isEqualTo(2);
    assertThat(record.keySchema()).isEqualTo(Schema.OPTIONAL_BYTES_SCHEMA);
    assertThat(record.key()).isSameAs(key);
    assertThat(record.valueSchema()).isEqualTo(Schema.OPTIONAL_BYTES_SCHEMA);
    assertThat(record.value()).isSameAs(value);
  }

  @Test
  void aMessageCarriesItsOutboxIdAsIdHeaderAndTheTimeItWasWrittenAsTimestamp() {
    SourceRecord record =
        new OutboxMessage(42, 7, 9, "users", null, null, null, List.of(), 1_700_000_000_123L)
            .toSourceRecord("s");
    assertThat(record.timestamp()).isEqualTo(1_700_000_000_123L);
    assertThat(headers(record)).containsExactly("id=42");
  }

  @Test
  void anApplicationOutboxRowsEventIdReplacesTheOutboxIdAndItsOtherHeadersFollow() {
    SourceRecord record =
        new OutboxMessage(
                42,
                7,
                9,
                "outbox.event.order",
                null,
                null,
                null,
                Arrays.asList("id", "0b0e-uuid", "eventType", "OrderCreated", "tenant", null),
                5L)
            .toSourceRecord("s");
    assertThat(headers(record))
        .containsExactly("id=0b0e-uuid", "eventType=OrderCreated", "tenant=null");
  }

  private static List<String> headers(SourceRecord record) {
    List<String> headers = new ArrayList<>();
    record.headers().forEach(h -> headers.add(h.key() + "=" + h.value()));
    return headers;
  }

  @Test
  void aMessageWithoutPartitionOrKeyLeavesThePartitionToKafka() {
    SourceRecord record = new OutboxMessage(1, 0, 1, "t", null, null, null).toSourceRecord("s");
    assertThat(record.kafkaPartition()).isNull();
    assertThat(record.key()).isNull();
    assertThat(record.value()).isNull();
    assertThat(record.timestamp()).isNull();
  }

  @Test
  void aCommittedPositionIsReadBackFromTheOffsetWhateverNumberTypeConnectGivesBack() {
    assertThat(OutboxMessage.Position.fromOffset(Map.of("batch", 3, "id", 5L)))
        .isEqualTo(new OutboxMessage.Position(3, 5));
    assertThat(OutboxMessage.Position.fromOffset(null)).isNull();
    assertThat(OutboxMessage.Position.fromOffset(Map.of("batch", 3))).isNull();
  }
}
