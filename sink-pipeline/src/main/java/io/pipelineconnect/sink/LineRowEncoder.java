package io.pipelineconnect.sink;

import io.pipelineconnect.sink.copy.CopyLines;
import io.pipelineconnect.sink.copy.CopyOptions;
import io.pipelineconnect.sink.copy.RowBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * {@code format=text} and {@code format=csv}: the message bytes are one line of COPY input, copied
 * as they are; only checked to be exactly one line, and given a trailing newline.
 */
final class LineRowEncoder implements RowEncoder {
  private final CopyOptions options;
  private final String withClause;

  LineRowEncoder(CopyOptions options) {
    this.options = options;
    this.withClause = options.withClause();
  }

  @Override
  public boolean encode(SinkRecord record, TargetTable target, RowBuffer buffer)
      throws BadRecordException {
    byte[] message = bytesOf(record.value());
    if (message == null || message.length == 0) {
      return false;
    }
    int length = CopyLines.contentLength(message);
    Optional<String> problem = CopyLines.problem(message, length, options);
    if (problem.isPresent()) {
      throw new BadRecordException("Not one " + options.copyFormat() + " row: " + problem.get());
    }
    buffer.write(message, 0, length);
    buffer.write((byte) '\n');
    buffer.endRow();
    return true;
  }

  @Override
  public String withClause(TargetTable target) {
    return withClause;
  }

  private byte[] bytesOf(Object value) throws BadRecordException {
    if (value == null || value instanceof byte[]) {
      return (byte[]) value;
    }
    if (value instanceof String text) {
      return text.getBytes(StandardCharsets.UTF_8);
    }
    throw new BadRecordException(
        "format="
            + options.format().configValue()
            + " needs the raw message (value.converter ByteArrayConverter or StringConverter),"
            + " got "
            + value.getClass().getSimpleName());
  }
}
