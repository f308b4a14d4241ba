package io.pipelineconnect.sink;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Appends rows with COPY: {@link StreamingCopy} sends the first target's rows while the batch
 * fills, and {@link CopyWriter} writes the rest at flush, isolating refused rows. Streaming is an
 * optimistic first attempt: what it could not write, CopyWriter writes as if nothing was streamed.
 */
final class AppendWriter implements BatchWriter {
  private final CopyWriter copy;
  private final StreamingCopy stream;

  /**
   * @param streamChunkLimit the most rows one COPY may send into a PipelineDB stream (its {@code
   *     pipelinedb.batch_size}: a failed COPY that small leaves nothing behind)
   */
  AppendWriter(RowEncoder encoder, int streamChunkLimit) {
    this.copy = new CopyWriter(encoder, streamChunkLimit);
    this.stream = new StreamingCopy(copy);
  }

  @Override
  public void check(Connection db, TargetTable target) throws SQLException {
    copy.check(db, target);
  }

  @Override
  public void rowsAdded(Connection db, TargetRows rows) {
    stream.sendIfWorthIt(db, rows);
  }

  @Override
  public void putEnded(Connection db, TargetRows first) {
    stream.send(db, first);
  }

  @Override
  public long finishInFlight() throws SQLException {
    return stream.finish();
  }

  @Override
  public long write(Connection db, TargetRows target, CopyWriter.RejectedRowHandler onRejected)
      throws SQLException {
    return copy.write(db, target, onRejected);
  }

  @Override
  public void transactionLost() {
    stream.transactionLost();
  }

  @Override
  public void batchDone() {
    stream.reset();
  }
}
