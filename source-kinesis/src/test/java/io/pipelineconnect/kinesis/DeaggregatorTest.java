package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.Record;

/** What one Kinesis record delivers, and where the shard stands after it. */
class DeaggregatorTest {
  private static final Deaggregator DEAGGREGATE = new Deaggregator("s", true, true);
  private static final ShardInfo SHARD = new ShardInfo("shard-0", List.of(), false);

  private static Record record(String sequence, String key, byte[] data) {
    return Record.builder()
        .sequenceNumber(sequence)
        .partitionKey(key)
        .data(SdkBytes.fromByteArray(data))
        .build();
  }

  private static final Record AGGREGATE =
      record(
          "100",
          "agg-key",
          new KplAggregates().add("a", "a1").add("b", "b1").add("c", "c1").build());

  private static List<String> values(Deaggregator.Unpacked unpacked) {
    return unpacked.records().stream()
        .map(r -> r.partitionKey() + "=" + new String(r.value(), StandardCharsets.UTF_8))
        .toList();
  }

  @Test
  void aPlainRecordIsItselfAndMovesThePositionAfterIt() {
    Record plain = record("7", "k", "v".getBytes(StandardCharsets.UTF_8));
    Deaggregator.Unpacked unpacked = DEAGGREGATE.unpack(SHARD, plain, ShardPosition.after("6"));
    assertThat(values(unpacked)).containsExactly("k=v");
    assertThat(unpacked.records().get(0).record()).isSameAs(plain);
    assertThat(unpacked.records().get(0).position()).isEqualTo(ShardPosition.after("7"));
    assertThat(unpacked.position()).isEqualTo(ShardPosition.after("7"));
    assertThat(unpacked.droppedOutsideShard()).isZero();
  }

  @Test
  void eachUserRecordOfAnAggregateIsARecordPositionedAfterItsSubRecord() {
    Deaggregator.Unpacked unpacked = DEAGGREGATE.unpack(SHARD, AGGREGATE, null);
    assertThat(values(unpacked)).containsExactly("a=a1", "b=b1", "c=c1");
    assertThat(unpacked.records())
        .extracting(PositionedRecord::position)
        .containsExactly(
            ShardPosition.afterSubRecord("100", 0, false),
            ShardPosition.afterSubRecord("100", 1, false),
            ShardPosition.afterSubRecord("100", 2, true));
    assertThat(unpacked.position()).isEqualTo(ShardPosition.afterSubRecord("100", 2, true));
  }

  @Test
  void aUserRecordPutWithAnExplicitHashKeyCarriesIt() {
    Record aggregate =
        record(
            "200", "agg-key", new KplAggregates().add("a", "12345", "a1").add("b", "b1").build());
    Deaggregator.Unpacked unpacked = DEAGGREGATE.unpack(SHARD, aggregate, null);
    assertThat(unpacked.records())
        .extracting(PositionedRecord.Data::explicitHashKey)
        .containsExactly("12345", null);
    Record plain = record("7", "k", "v".getBytes(StandardCharsets.UTF_8));
    assertThat(DEAGGREGATE.unpack(SHARD, plain, null).records().get(0).explicitHashKey()).isNull();
  }

  @Test
  void resumingInsideAnAggregateSkipsTheSubRecordsAlreadyDelivered() {
    Deaggregator.Unpacked unpacked =
        DEAGGREGATE.unpack(SHARD, AGGREGATE, ShardPosition.afterSubRecord("100", 0, false));
    assertThat(values(unpacked)).containsExactly("b=b1", "c=c1");
    // The same sub-sequence of another aggregate skips nothing.
    assertThat(
            values(
                DEAGGREGATE.unpack(SHARD, AGGREGATE, ShardPosition.afterSubRecord("99", 0, false))))
        .hasSize(3);
    assertThat(
            Deaggregator.deliveredSubRecords(ShardPosition.afterSubRecord("100", 1, false), "100"))
        .isEqualTo(2);
    assertThat(
            Deaggregator.deliveredSubRecords(ShardPosition.afterSubRecord("100", 2, true), "100"))
        .isZero();
    assertThat(Deaggregator.deliveredSubRecords(null, "100")).isZero();
  }

  @Test
  void userRecordsOutsideTheShardsHashKeysAreDroppedOrDeliveredAsConfigured() {
    BigInteger b = new KplAggregate.UserRecord("b", null, new byte[0]).hashKey();
    ShardInfo onlyB = new ShardInfo("shard-0", List.of(), false, new ShardInfo.HashKeyRange(b, b));
    Deaggregator.Unpacked dropped = DEAGGREGATE.unpack(onlyB, AGGREGATE, null);
    assertThat(values(dropped)).containsExactly("b=b1");
    assertThat(dropped.droppedOutsideShard()).isEqualTo(2);
    // A dropped last sub-record still moves the position past the whole aggregate.
    assertThat(dropped.position()).isEqualTo(ShardPosition.afterSubRecord("100", 2, true));

    Deaggregator.Unpacked delivered =
        new Deaggregator("s", true, false).unpack(onlyB, AGGREGATE, null);
    assertThat(values(delivered)).containsExactly("a=a1", "b=b1", "c=c1");
    assertThat(delivered.droppedOutsideShard()).isZero();
    // A shard whose range is unknown (task configs before 0.3) drops nothing.
    assertThat(values(DEAGGREGATE.unpack(SHARD, AGGREGATE, null))).hasSize(3);
  }

  @Test
  void turnedOffAnAggregateIsOneRecord() {
    Deaggregator.Unpacked unpacked =
        new Deaggregator("s", false, true).unpack(SHARD, AGGREGATE, null);
    assertThat(unpacked.records())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.partitionKey()).isEqualTo("agg-key");
              assertThat(r.value()).isEqualTo(AGGREGATE.data().asByteArray());
            });
    assertThat(unpacked.position()).isEqualTo(ShardPosition.after("100"));
  }

  @Test
  void aCorruptAggregateGoesThroughWholeAndAnEmptyOneOnlyMovesThePosition() {
    byte[] corrupt = new KplAggregates().add("x", "x1").build();
    corrupt[corrupt.length - 1] ^= 1;
    Deaggregator.Unpacked whole = DEAGGREGATE.unpack(SHARD, record("200", "k", corrupt), null);
    assertThat(whole.records())
        .singleElement()
        .satisfies(r -> assertThat(r.value()).isEqualTo(corrupt));
    assertThat(whole.position()).isEqualTo(ShardPosition.after("200"));

    Deaggregator.Unpacked empty =
        DEAGGREGATE.unpack(SHARD, record("201", "k", new KplAggregates().build()), null);
    assertThat(empty.records()).isEmpty();
    assertThat(empty.position()).isEqualTo(ShardPosition.after("201"));
  }
}
