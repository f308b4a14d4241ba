package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.connect.json.JsonConverter;
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
}
