package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardInfoTest {
  private static final BigInteger TOP = BigInteger.TWO.pow(128).subtract(BigInteger.ONE);

  @Test
  void aShardWithItsHashKeyRangeAndParentsSurvivesTheTaskConfig() {
    ShardInfo shard =
        new ShardInfo(
            "shardId-000000000003",
            List.of("shardId-000000000001", "shardId-000000000002"),
            true,
            new ShardInfo.HashKeyRange(BigInteger.TEN, TOP));
    assertThat(ShardInfo.decodeAll(ShardInfo.encodeAll(List.of(shard, shard))))
        .containsExactly(shard, shard);
  }

  @Test
  void aTaskConfigWrittenBeforeHashKeyRangesReadsWithoutOne() {
    assertThat(ShardInfo.decode("shardId-000000000002|0|shardId-000000000000"))
        .isEqualTo(new ShardInfo("shardId-000000000002", List.of("shardId-000000000000"), false));
  }

  @Test
  void aRangeHoldsBothEnds() {
    ShardInfo.HashKeyRange range = new ShardInfo.HashKeyRange(BigInteger.TEN, TOP);
    assertThat(range.contains(BigInteger.TEN)).isTrue();
    assertThat(range.contains(TOP)).isTrue();
    assertThat(range.contains(BigInteger.valueOf(9))).isFalse();
  }

  @Test
  void aUserRecordHashesAsKinesisDoesUnlessItHasAnExplicitHashKey() {
    // MD5("a") = 0cc175b9c0f1b6a831c399e269772661, as an unsigned 128-bit number.
    assertThat(new KplAggregate.UserRecord("a", null, new byte[0]).hashKey())
        .isEqualTo(new BigInteger("0cc175b9c0f1b6a831c399e269772661", 16));
    assertThat(new KplAggregate.UserRecord("a", "42", new byte[0]).hashKey())
        .isEqualTo(BigInteger.valueOf(42));
  }
}
