package io.pipelineconnect.sink;

import io.pipelineconnect.common.RowBuffer;
import org.apache.kafka.connect.sink.SinkRecord;

/** Turns a record into one row of COPY input for its target. Chosen once per task, by format. */
interface RowEncoder {

  /**
   * Appends the record's row, ending with a newline, to the buffer.
   *
   * @return false if the record holds nothing to write (a null or empty value), which is skipped
   * @throws BadRecordException if the record cannot be exactly one row; nothing is appended then
   */
  boolean encode(SinkRecord record, TargetTable target, RowBuffer buffer) throws BadRecordException;

  /** The {@code WITH (...)} options of the COPY statement for the rows this encoder writes. */
  String withClause(TargetTable target);
}
