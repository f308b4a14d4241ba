package io.pipelineconnect.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends bad records to the errant record reporter (the DLQ, with topic, partition and offset in its
 * headers), waits for them before a batch commits, and remembers when one could not be reported:
 * with errors.tolerance=none (no reporter, or one that refuses by throwing) the batch holding such
 * a record must never be committed, or the records after it would be and the bad one lost.
 */
final class BadRecords {
  private static final Logger log = LoggerFactory.getLogger(BadRecords.class);

  /** Null without a DLQ or error log, and on workers older than Kafka 2.6. */
  private final ErrantRecordReporter reporter;

  private final Runnable onReported;
  private final List<Future<Void>> pending = new ArrayList<>();
  private boolean unreportable;

  /**
   * @param onReported called for each record the reporter accepted (a metric)
   */
  /** Bad records of a task, reported through its context's errant-record reporter if any. */
  static BadRecords reportingTo(SinkTaskContext context, Runnable onReported) {
    ErrantRecordReporter reporter;
    try {
      reporter = context.errantRecordReporter();
    } catch (NoSuchMethodError | NoClassDefFoundError e) {
      // Workers older than Kafka 2.6 have no reporter: bad records fail the task.
      reporter = null;
    }
    return new BadRecords(reporter, onReported);
  }

  BadRecords(ErrantRecordReporter reporter, Runnable onReported) {
    this.reporter = reporter;
    this.onReported = onReported;
  }

  /**
   * Reports the record.
   *
   * @throws ConnectException when it cannot be reported: the task must fail, and {@link
   *     #unreportable()} says so from then on
   */
  void report(SinkRecord record, String reason, Throwable cause) {
    if (reporter == null) {
      unreportable = true;
      throw new ConnectException(
          "Bad record "
              + describe(record)
              + ": "
              + reason
              + ". Set errors.tolerance=all and errors.deadletterqueue.topic.name to route such"
              + " records to a dead letter queue.",
          cause);
    }
    log.warn("Bad record {} sent to the errant record reporter: {}", describe(record), reason);
    try {
      pending.add(reporter.report(record, new DataException(reason, cause)));
    } catch (RuntimeException e) {
      // errors.tolerance=none with a DLQ or error log: the reporter refuses by throwing.
      unreportable = true;
      throw e;
    }
    onReported.run();
  }

  /** Waits until every record reported so far is in the DLQ: call before committing past them. */
  void awaitReported() {
    for (Future<Void> report : pending) {
      try {
        report.get();
      } catch (ExecutionException e) {
        throw new ConnectException("Could not report a bad record: " + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ConnectException("Interrupted while reporting bad records", e);
      }
    }
    pending.clear();
  }

  /** Whether a bad record could not be reported: its batch must be dropped, never written. */
  boolean unreportable() {
    return unreportable;
  }

  /** The batch was dropped: its reports no longer hold up a commit. */
  void forgetPending() {
    pending.clear();
  }

  static String describe(SinkRecord record) {
    return record.topic() + "-" + record.kafkaPartition() + "@" + record.kafkaOffset();
  }
}
