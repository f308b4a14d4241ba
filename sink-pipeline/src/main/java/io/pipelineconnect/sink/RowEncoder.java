package io.pipelineconnect.sink;

import io.pipelineconnect.sink.copy.CopyOptions;
import io.pipelineconnect.sink.copy.RowBuffer;
import org.apache.kafka.connect.sink.SinkRecord;

/** Turns a record into one row of COPY input for its target. Chosen once per task, by format. */
interface RowEncoder {

  /**
   * The encoder for the configured format.
   *
   * @param copyHasDefault whether the server's COPY takes DEFAULT (PostgreSQL 16+), which json rows
   *     use for absent fields
   * @param metadata the columns filled from the record's topic, offset and the like (json and
   *     binary; the config refuses them for text and csv)
   */
  static RowEncoder forFormat(
      CopyOptions options, boolean copyHasDefault, MetadataColumns metadata) {
    return switch (options.format()) {
      case JSON -> new JsonRowEncoder(copyHasDefault, metadata);
      case BINARY -> new BinaryRowEncoder(metadata);
      case TEXT, CSV -> new LineRowEncoder(options);
    };
  }

  /**
   * Appends the record's row, ending with a newline, to the buffer.
   *
   * @return false if the record holds nothing to write (a null or empty value), which is skipped
   * @throws BadRecordException if the record cannot be exactly one row; nothing is appended then
   */
  boolean encode(SinkRecord record, TargetTable target, RowBuffer buffer) throws BadRecordException;

  /** The {@code WITH (...)} options of the COPY statement for the rows this encoder writes. */
  String withClause(TargetTable target);

  /**
   * Checks, before any record, that this encoder can write into the target.
   *
   * @throws org.apache.kafka.connect.errors.ConnectException naming what it cannot write
   */
  default void checkTarget(TargetTable target) {}

  /** What every COPY sends before its rows: nothing, except binary COPY's signature and flags. */
  default byte[] copyHeader() {
    return NO_BYTES;
  }

  /** What every COPY sends after its rows: nothing, except binary COPY's end marker. */
  default byte[] copyTrailer() {
    return NO_BYTES;
  }

  /**
   * Whether rows are text lines, whose line breaks inside csv quotes PostgreSQL counts as lines of
   * their own in an error's "line N"; binary COPY counts one per row.
   */
  default boolean rowsAreLines() {
    return true;
  }

  byte[] NO_BYTES = new byte[0];
}
