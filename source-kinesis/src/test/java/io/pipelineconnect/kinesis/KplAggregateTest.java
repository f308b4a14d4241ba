package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class KplAggregateTest {
  private static String text(KplAggregate.UserRecord record) {
    return new String(record.data(), StandardCharsets.UTF_8);
  }

  @Test
  void splitsAnAggregateIntoItsUserRecordsWithTheirOwnKeys() {
    byte[] aggregate =
        new KplAggregates().add("a", "one").add("b", "two").add("a", "three").build();
    assertThat(KplAggregate.isAggregated(aggregate)).isTrue();
    List<KplAggregate.UserRecord> records = KplAggregate.decode(aggregate);
    assertThat(records).extracting(KplAggregateTest::text).containsExactly("one", "two", "three");
    assertThat(KplAggregates.keys(records)).containsExactly("a", "b", "a");
    assertThat(records).allSatisfy(r -> assertThat(r.explicitHashKey()).isNull());
  }

  @Test
  void skipsUnknownFieldsAndTags() {
    byte[] aggregate = new KplAggregates().withUnknownFields().add("k", "x").add("k", "y").build();
    assertThat(KplAggregate.decode(aggregate))
        .extracting(KplAggregateTest::text)
        .containsExactly("x", "y");
  }

  @Test
  void anEmptyAggregateHasNoUserRecords() {
    byte[] aggregate = new KplAggregates().build();
    assertThat(aggregate).hasSize(KplAggregate.MAGIC.length + KplAggregate.DIGEST_LENGTH);
    assertThat(KplAggregate.isAggregated(aggregate)).isTrue();
    assertThat(KplAggregate.decode(aggregate)).isEmpty();
  }

  @Test
  void plainDataIsNotAnAggregate() {
    assertThat(KplAggregate.isAggregated("hello".getBytes(StandardCharsets.UTF_8))).isFalse();
    assertThat(KplAggregate.isAggregated(KplAggregate.MAGIC)).as("magic bytes alone").isFalse();
    assertThat(KplAggregate.isAggregated(new byte[0])).isFalse();
  }

  @Test
  void aWrongDigestIsRejected() {
    byte[] aggregate = new KplAggregates().add("k", "v").build();
    aggregate[aggregate.length - 1] ^= 1;
    assertThatThrownBy(() -> KplAggregate.decode(aggregate))
        .isInstanceOf(KplAggregate.InvalidAggregateException.class)
        .hasMessageContaining("MD5");
    byte[] changedPayload = new KplAggregates().add("k", "v").build();
    changedPayload[KplAggregate.MAGIC.length + 3] ^= 1;
    assertThatThrownBy(() -> KplAggregate.decode(changedPayload))
        .isInstanceOf(KplAggregate.InvalidAggregateException.class)
        .hasMessageContaining("MD5");
  }

  @Test
  void truncatedProtobufIsRejectedEvenWithAMatchingDigest() {
    byte[] protobuf = new KplAggregates().add("key", "value").add("key", "more").protobuf();
    for (int cut = 1; cut < protobuf.length; cut++) {
      byte[] truncated = KplAggregates.frame(Arrays.copyOf(protobuf, cut));
      try {
        List<KplAggregate.UserRecord> records = KplAggregate.decode(truncated);
        // A cut exactly between two top-level fields is a valid, shorter aggregate.
        assertThat(records.size()).as("records of a cut at " + cut).isLessThan(2);
      } catch (KplAggregate.InvalidAggregateException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
    }
    byte[] inRecord = KplAggregates.frame(Arrays.copyOf(protobuf, protobuf.length - 2));
    assertThatThrownBy(() -> KplAggregate.decode(inRecord))
        .isInstanceOf(KplAggregate.InvalidAggregateException.class)
        .hasMessageContaining("runs past the end");
  }

  @Test
  void aPartitionKeyIndexOutsideTheTableIsRejected() {
    // A record (field 3) whose partition_key_index is 1 while the table holds one key.
    byte[] record = {0x08, 0x01, 0x1A, 0x01, 'v'};
    byte[] protobuf = new byte[3 + 2 + record.length];
    protobuf[0] = 0x0A; // field 1, length-delimited
    protobuf[1] = 0x01;
    protobuf[2] = 'k';
    protobuf[3] = 0x1A; // field 3, length-delimited
    protobuf[4] = (byte) record.length;
    System.arraycopy(record, 0, protobuf, 5, record.length);
    assertThatThrownBy(() -> KplAggregate.decode(KplAggregates.frame(protobuf)))
        .isInstanceOf(KplAggregate.InvalidAggregateException.class)
        .hasMessageContaining("partition key index 1");
    protobuf[6] = 0x00; // index 0: valid
    assertThat(KplAggregate.decode(KplAggregates.frame(protobuf)))
        .singleElement()
        .satisfies(r -> assertThat(r.partitionKey()).isEqualTo("k"));
  }

  @Test
  void aRecordWithoutDataIsRejected() {
    byte[] protobuf = {0x0A, 0x01, 'k', 0x1A, 0x02, 0x08, 0x00};
    assertThatThrownBy(() -> KplAggregate.decode(KplAggregates.frame(protobuf)))
        .isInstanceOf(KplAggregate.InvalidAggregateException.class)
        .hasMessageContaining("lacks its data");
  }

  @Test
  void groupsAreNotAcceptedAsFields() {
    byte[] protobuf = {0x0B}; // field 1, wire type 3 (start group): not in this format
    assertThatThrownBy(() -> KplAggregate.decode(KplAggregates.frame(protobuf)))
        .isInstanceOf(KplAggregate.InvalidAggregateException.class)
        .hasMessageContaining("wire type 3");
  }
}
