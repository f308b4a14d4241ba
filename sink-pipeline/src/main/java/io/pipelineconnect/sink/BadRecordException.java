package io.pipelineconnect.sink;

/**
 * A record that cannot become a row (wrong value type, several lines, no such target, a row the
 * database refuses): it goes to the errant record reporter, the rest of the batch is written.
 */
final class BadRecordException extends Exception {
  BadRecordException(String message) {
    super(message);
  }

  BadRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
