package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class BadRecordsTest {
  private static final SinkRecord RECORD = new SinkRecord("t", 2, null, null, null, "v", 7);

  @Test
  void withoutAReporterTheRecordFailsTheTaskAndMarksTheBatchUnreportable() {
    BadRecords bad = new BadRecords(null, () -> {});
    assertThat(bad.unreportable()).isFalse();
    assertThatThrownBy(() -> bad.report(RECORD, "refused", null))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("t-2@7")
        .hasMessageContaining("errors.tolerance=all");
    assertThat(bad.unreportable()).isTrue();
  }

  @Test
  void aReporterThatRefusesMarksTheBatchUnreportable() {
    ErrantRecordReporter refusing =
        (record, error) -> {
          throw new ConnectException("Tolerance exceeded in error handler");
        };
    BadRecords bad = new BadRecords(refusing, () -> {});
    assertThatThrownBy(() -> bad.report(RECORD, "refused", null))
        .hasMessageContaining("Tolerance exceeded");
    assertThat(bad.unreportable()).isTrue();
  }

  @Test
  void reportsAreAwaitedBeforeACommitAndAFailedOneFailsIt() {
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    ErrantRecordReporter reporter =
        (record, error) -> {
          CompletableFuture<Void> future = new CompletableFuture<>();
          sent.add(future);
          return future;
        };
    AtomicInteger counted = new AtomicInteger();
    BadRecords bad = new BadRecords(reporter, counted::incrementAndGet);
    bad.report(RECORD, "refused", null);
    bad.report(RECORD, "refused again", null);
    assertThat(counted).hasValue(2);
    assertThat(bad.unreportable()).isFalse();
    sent.get(0).complete(null);
    sent.get(1).completeExceptionally(new IllegalStateException("DLQ topic gone"));
    assertThatThrownBy(bad::awaitReported).hasMessageContaining("DLQ topic gone");

    bad.forgetPending();
    bad.awaitReported(); // nothing left to wait for
  }
}
