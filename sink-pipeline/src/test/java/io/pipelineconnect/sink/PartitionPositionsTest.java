package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.common.RelationName;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The task's partition bookkeeping, without a database (openPending is covered by the ITs). */
class PartitionPositionsTest {
  private static final TopicPartition A = new TopicPartition("t", 0);
  private static final TopicPartition B = new TopicPartition("t", 1);

  private final RecordingSinkTaskContext context =
      new RecordingSinkTaskContext(Map.of(), Set.of(A, B));
  private final PartitionPositions positions =
      new PartitionPositions(
          new OffsetStore(RelationName.parse("pipeline_connect.sink_offsets"), "c"),
          new StartOffsets(Optional.empty()),
          PipelineSinkConfig.StartOffset.BEGINNING,
          context);

  @Test
  void onlyWhatTheDatabaseCommittedIsReportedToKafka() {
    positions.committed(Map.of(A, 10L));
    positions.buffered(A, 25L);
    assertThat(positions.preCommit(Set.of(A, B)))
        .containsOnly(Map.entry(A, new OffsetAndMetadata(10)));
  }

  @Test
  void aFencedPartitionIsRewoundAndItsRecordsInThisPutAreSkipped() {
    positions.committed(Map.of(A, 10L, B, 20L));
    positions.buffered(A, 15L);
    positions.buffered(B, 22L);
    assertThat(positions.stillOurs(Map.of(A, 10L, B, 20L), Set.of(A, B))).isTrue();
    assertThat(positions.stillOurs(Map.of(A, 12L, B, 20L), Set.of(A, B))).isFalse();

    // A moved by another writer; B's row is gone (an offsets reset).
    positions.startPut();
    positions.fenced(Map.of(A, 12L), Set.of(A, B), 7);
    assertThat(context.rewinds).containsOnly(Map.entry(A, 12L));
    assertThat(positions.nextToBuffer(A)).as("rewound in this put").isNull();
    assertThat(positions.hasPendingOpen()).isTrue();
    assertThat(positions.pendingOpen()).containsExactly(B);
    assertThat(positions.nextToBuffer(B)).isNull();

    // The put() failed: Connect redelivers its records, from before the seek.
    positions.startPut();
    assertThat(positions.nextToBuffer(A))
        .as("redelivered in a put() after one that failed")
        .isNull();
    positions.putEnded();

    positions.startPut();
    assertThat(positions.nextToBuffer(A)).isEqualTo(12L);
    assertThat(positions.preCommit(Set.of(A, B))).containsOnlyKeys(A);
  }

  @Test
  void aFenceFoundWhilePartitionsMoveAsksForNoSeekAndReopensThePartitionsThatStay() {
    positions.committed(Map.of(A, 10L, B, 20L));
    positions.buffered(A, 15L);
    positions.buffered(B, 22L);
    positions.rebalanceStarted();
    positions.fenced(Map.of(A, 12L, B, 25L), Set.of(A, B), 7);
    positions.closed(Set.of(B));
    assertThat(context.rewinds).as("B has left: the worker could not seek it").isEmpty();
    assertThat(positions.pendingOpen()).containsExactly(A);
    assertThat(positions.preCommit(Set.of(A, B))).isEmpty();

    // After the rebalance a fence rewinds again.
    positions.committed(Map.of(A, 12L));
    positions.buffered(A, 14L);
    positions.fenced(Map.of(A, 13L), Set.of(A), 2);
    assertThat(context.rewinds).containsOnly(Map.entry(A, 13L));
  }

  @Test
  void partitionsWhoseTakenRecordsAreNotWrittenAreReadAgainAsIfJustAssigned() {
    positions.committed(Map.of(A, 10L));
    positions.buffered(A, 30L);
    positions.reopen(Set.of(A, B));
    assertThat(positions.nextToBuffer(A)).isNull();
    assertThat(positions.pendingOpen()).containsExactly(A);
    assertThat(context.rewinds).as("asked for when the next put() reads the offsets").isEmpty();
  }

  @Test
  void closedPartitionsAreForgotten() {
    positions.opened(Set.of(A, B));
    positions.committed(Map.of(A, 10L, B, 3L));
    positions.closed(Set.of(A, B));
    assertThat(positions.hasPendingOpen()).isFalse();
    assertThat(positions.preCommit(Set.of(A, B))).isEmpty();
    assertThat(positions.nextToBuffer(A)).isNull();
  }
}
