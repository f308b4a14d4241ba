package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.common.RelationName;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class PendingBatchTest {
  private static final TargetTable TABLE =
      new TargetTable(
          RelationName.parse("t"), false, List.of(new TargetTable.Column("v", "text", false)));
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);

  @Test
  void nextOffsetsFollowEachPartitionsLastCoveredRecordAcrossRuns() {
    PendingBatch batch = new PendingBatch();
    batch.covered(P0, 4);
    batch.covered(P0, 5);
    batch.covered(P1, 9);
    // An equal partition object that is not the same instance starts a new run of the same key.
    batch.covered(new TopicPartition("t", 0), 6);
    assertThat(batch.nextOffsets()).isEqualTo(Map.of(P0, 7L, P1, 10L));
    assertThat(batch.recordCount()).isEqualTo(4);

    batch.clear();
    assertThat(batch.nextOffsets()).isEmpty();
    assertThat(batch.isEmpty()).isTrue();
  }

  @Test
  void aTargetsRowsAreReusedEmptiedByTheNextBatch() {
    PendingBatch batch = new PendingBatch();
    TargetRows first = batch.rowsFor(TABLE);
    first.rows().write(new byte[] {'a', '\n'});
    first.rows().endRow();
    first.rowAdded(new SinkRecord("t", 0, null, null, null, "a", 0));
    first.reject(0);
    first.markWritten(1);
    batch.covered(P0, 0);

    batch.clear();
    TargetRows second = batch.rowsFor(TABLE);
    assertThat(second).isSameAs(first);
    assertThat(second.rowCount()).isZero();
    assertThat(second.rows().byteCount()).isZero();
    assertThat(second.rejectedCount()).isZero();
    assertThat(second.writtenRows()).isZero();
    assertThat(batch.targets()).containsExactly(second);
  }
}
