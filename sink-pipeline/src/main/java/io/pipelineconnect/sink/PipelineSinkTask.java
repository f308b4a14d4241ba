package io.pipelineconnect.sink;

import io.pipelineconnect.common.RelationName;
import io.pipelineconnect.common.RetryPolicy;
import io.pipelineconnect.common.Version;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies records into their target relations, one COPY and commit cycle per batch, with the offsets
 * of the batch saved in the same transaction.
 *
 * <p>The database, not Kafka, holds the truth about what was written: on assignment the task reads
 * the saved offsets and rewinds the consumer to them; each cycle locks the partitions' offset rows
 * and checks they are where this task left them (a zombie that lost its partitions backs off); and
 * {@link #preCommit} reports to Kafka only what the database has committed.
 */
public class PipelineSinkTask extends SinkTask {
  private static final Logger log = LoggerFactory.getLogger(PipelineSinkTask.class);

  /** feature_not_supported: what COPY FROM raises on a table whose row-level security applies. */
  private static final String ROW_SECURITY_REFUSES_COPY = "0A000";

  private PipelineSinkConfig config;
  private String connectorName;
  private OffsetStore offsets;
  private TargetResolver targets;
  private RowEncoder encoder;
  private CopyWriter writer;
  private StreamingCopy stream;
  private StartOffsets startOffsets;
  private BadRecords badRecords;
  private PartitionPositions positions;
  private SinkTaskMetrics metrics;
  private Connection connection;

  private final PendingBatch batch = new PendingBatch();

  // One instance: a method reference created per record was a tenth of the task's allocation.
  private final TargetResolver.SqlSupplier<Connection> connectionForQueries =
      this::connectionForQueries;
  private RetryPolicy retries;

  /** A deferred constraint refused the last COMMIT: check constraints per row until one passes. */
  private boolean immediateConstraints;

  // Read once: AbstractConfig lookups per record showed up in the sink's profile.
  private int batchSize;
  private long maxBytes;
  private long lingerNanos;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new PipelineSinkConfig(props);
    connectorName = props.getOrDefault("name", "pipeline-sink");
    offsets = new OffsetStore(config.offsetsTable(), connectorName);
    targets = TargetResolver.from(config);
    startOffsets = new StartOffsets(config.kafkaAdminSettings());
    positions = new PartitionPositions(offsets, startOffsets, config.startOffset(), context);
    retries = config.retryPolicy();
    badRecords = new BadRecords(errantRecordReporter(), () -> metrics.badRecord());
    metrics = SinkTaskMetrics.create(context, connectorName, config.taskIndex());
    batchSize = config.batchSize();
    maxBytes = config.maxBytes();
    lingerNanos = config.linger().toNanos();
    config.connection().plaintextWarning().ifPresent(log::warn);
    try {
      // A task may start while the database restarts: connection failures are retried with
      // backoff rather than leaving the task FAILED.
      retries.retryingConnectionFailures(
          this::prepare,
          (failure, waitMs) -> {
            closeConnection();
            log.warn(
                "Could not reach {} to start, retrying in {} ms: {}",
                config.connection(),
                waitMs,
                failure.getMessage());
          });
    } catch (SQLException e) {
      closeConnection();
      throw new ConnectException(
          "Could not prepare " + config.connection() + ": " + e.getMessage(), e);
    }
    log.info(
        "Sink task for {} started: format {}, batches of {} records / {} bytes, offsets in {}",
        connectorName,
        config.copyOptions().format().configValue(),
        config.batchSize(),
        config.maxBytes(),
        config.offsetsTable());
  }

  /** Opens the session, makes the offsets table and picks the encoder and writer. */
  private Void prepare() throws SQLException {
    Connection db = connection();
    offsets.createIfMissing(db);
    boolean copyHasDefault = db.getMetaData().getDatabaseMajorVersion() >= 16;
    encoder =
        switch (config.copyOptions().format()) {
          case JSON -> new JsonRowEncoder(copyHasDefault);
          case BINARY -> new BinaryRowEncoder();
          case TEXT, CSV -> new LineRowEncoder(config.copyOptions());
        };
    int streamChunk = Catalog.pipelineDbBatchSize(db).orElse(Integer.MAX_VALUE);
    writer = new CopyWriter(encoder, streamChunk);
    stream = new StreamingCopy(writer);
    if (config.stream().isPresent()) {
      checkFixedTarget(db, config.stream().get());
    }
    db.commit();
    return null;
  }

  /** The fixed target must exist and be writable, and its COPY options must be acceptable. */
  private void checkFixedTarget(Connection db, RelationName name) throws SQLException {
    Optional<TargetTable> found;
    try {
      found = Catalog.lookUp(db, name, config.columns(), TargetPolicy.from(config), false);
    } catch (BadRecordException e) {
      throw new ConnectException(e.getMessage() + ". Set stream to a table or stream of yours.");
    }
    TargetTable table =
        found.orElseThrow(
            () ->
                new ConnectException(
                    "Target "
                        + name
                        + " does not exist. Create it first, e.g. CREATE TABLE "
                        + name.quoted()
                        + " (...), or on PipelineDB CREATE FOREIGN TABLE "
                        + name.quoted()
                        + " (...) SERVER pipelinedb"));
    encoder.checkTarget(table);
    // An empty COPY checks the options and the column list the way every batch will use them.
    try (Statement statement = db.createStatement()) {
      statement.execute("SAVEPOINT check_copy");
    }
    try {
      writer.check(db, table);
    } catch (SQLException e) {
      if (ROW_SECURITY_REFUSES_COPY.equals(e.getSQLState())
          && String.valueOf(e.getMessage()).contains("row-level security")) {
        throw new ConnectException(
            "Target "
                + name
                + " has row-level security enabled for "
                + config.connection().user()
                + ", and COPY FROM cannot write such a table ("
                + e.getMessage()
                + "). Connect as the table's owner or a role with BYPASSRLS, or disable row-level"
                + " security on it (ALTER TABLE "
                + name.quoted()
                + " DISABLE ROW LEVEL SECURITY)");
      }
      throw e;
    } finally {
      try (Statement statement = db.createStatement()) {
        statement.execute("ROLLBACK TO SAVEPOINT check_copy");
      }
    }
  }

  @Override
  public void open(Collection<TopicPartition> partitions) {
    positions.opened(partitions);
    try {
      positions.openPending(connection());
    } catch (SQLException | RuntimeException e) {
      // An exception here would kill the task: the rewind is done in the next put() instead.
      log.warn(
          "Could not read saved offsets for {} yet ({}); will retry before writing",
          partitions,
          e.getMessage());
      closeConnection();
    }
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    positions.startPut();
    if (positions.hasPendingOpen()) {
      // Reading offsets commits: the buffered batch goes first, whole.
      flush();
      try {
        positions.openPending(connection());
      } catch (SQLException | RuntimeException e) {
        closeConnection();
        throw retry("reading saved offsets of " + positions.pendingOpen(), e);
      }
    }
    // Records come in runs of one partition: its next offset to buffer is read at the start of a
    // run and written back at its end, not looked up and boxed per record.
    TopicPartition run = null;
    long runNext = 0;
    boolean runOpen = false;
    for (SinkRecord record : records) {
      TopicPartition partition = partitionOf(record);
      if (partition != run) {
        if (runOpen) {
          positions.buffered(run, runNext);
        }
        run = partition;
        Long next = positions.nextToBuffer(partition);
        runOpen = next != null;
        runNext = runOpen ? next : 0;
      }
      if (!runOpen || record.kafkaOffset() < runNext) {
        // Not (yet) ours, rewound, or already buffered or written: Connect redelivers after a
        // retry.
        continue;
      }
      // On a retriable failure accept() saves this record's offset as the next to buffer.
      accept(partition, record);
      runNext = record.kafkaOffset() + 1;
      if (batch.recordCount() >= batchSize || batch.byteCount() >= maxBytes) {
        positions.buffered(run, runNext);
        // A fenced batch rewinds partitions: the next record starts a new run that reads them.
        run = null;
        runOpen = false;
        flush();
      }
    }
    if (runOpen) {
      positions.buffered(run, runNext);
    }
    // The topics went quiet or the oldest record waited long enough: write what is buffered,
    // as the original flushed at the end of every pass over its partitions.
    if (records.isEmpty() || batch.ageNanos() >= lingerNanos) {
      flush();
    } else if (connection != null && !batch.isEmpty()) {
      // PostgreSQL parses these rows while Connect polls the next ones.
      stream.send(connection, batch.firstTarget());
    }
    if (!batch.isEmpty()) {
      // With no new records the worker's next poll waits for its offset-commit tick (60 s by
      // default) before it calls put() again: bound that wait by what is left of linger.ms.
      context.timeout(Math.max(1, (lingerNanos - batch.ageNanos()) / 1_000_000));
    }
  }

  private TopicPartition lastPartition;

  /** The record's partition; records come in runs of one partition, so reuse the last one. */
  private TopicPartition partitionOf(SinkRecord record) {
    TopicPartition last = lastPartition;
    if (last == null
        || last.partition() != record.kafkaPartition()
        || !last.topic().equals(record.topic())) {
      last = new TopicPartition(record.topic(), record.kafkaPartition());
      lastPartition = last;
    }
    return last;
  }

  private void accept(TopicPartition partition, SinkRecord record) {
    try {
      TargetTable target = targets.resolve(connectionForQueries, record);
      TargetRows rows = batch.rowsFor(target);
      if (encoder.encode(record, target, rows.rows())) {
        rows.rowAdded(record);
        if (connection != null && rows == batch.firstTarget()) {
          stream.sendIfWorthIt(connection, rows);
        }
      }
    } catch (BadRecordException e) {
      badRecords.report(record, e.getMessage(), e);
    } catch (SQLException e) {
      closeConnection();
      // Connect redelivers the whole put(): this record is not marked as buffered.
      positions.buffered(partition, record.kafkaOffset());
      throw retry("resolving the target of " + describe(record), e);
    }
    batch.covered(partition, record.kafkaOffset());
  }

  /** Writes the buffered batch: COPY per target, offsets, commit. */
  private void flush() {
    if (batch.isEmpty()) {
      return;
    }
    try {
      writeBatch();
      retries.succeeded();
    } catch (SQLException e) {
      closeConnection();
      throw retry("writing " + batch.recordCount() + " records", e);
    }
  }

  private void writeBatch() throws SQLException {
    long started = System.nanoTime();
    Connection db = connection();
    // The streamed rows join the transaction first; the offsets check below covers them too,
    // and a rollback there undoes them.
    long rows = stream.finish();
    Set<TopicPartition> partitions = batch.nextOffsets().keySet();
    Map<TopicPartition, Long> stored = offsets.lock(db, partitions);
    if (stored.equals(batch.nextOffsets())) {
      // An earlier attempt's COMMIT went through although its answer was lost.
      db.rollback();
      log.info(
          "Batch of {} records was already committed; not writing it again", batch.recordCount());
      positions.committed(batch.nextOffsets());
      clearBatch();
      return;
    }
    if (!positions.stillOurs(stored, partitions)) {
      db.rollback();
      positions.fenced(stored, partitions, batch.recordCount());
      clearBatch();
      return;
    }
    for (TargetRows target : batch.targets()) {
      rows +=
          writer.write(
              db,
              target,
              (t, row, reason) ->
                  badRecords.report(
                      t.record(row),
                      "COPY into " + t.target().name() + " refused the row: " + reason,
                      null));
    }
    offsets.save(db, batch.nextOffsets());
    badRecords.awaitReported();
    commit(db);
    metrics.batchCommitted(rows, System.nanoTime() - started);
    log.debug(
        "Committed {} rows from {} records, offsets {}",
        rows,
        batch.recordCount(),
        batch.nextOffsets());
    positions.committed(batch.nextOffsets());
    clearBatch();
  }

  private void clearBatch() {
    batch.clear();
    badRecords.forgetPending();
    stream.reset();
  }

  private void commit(Connection db) throws SQLException {
    try {
      db.commit();
      immediateConstraints = false;
    } catch (SQLException e) {
      if (DatabaseErrors.mayBeRecordsFault(e)) {
        // A deferred constraint refused a row at COMMIT, where no row can be blamed: the
        // transaction is rolled back. The retry checks constraints row by row, so CopyWriter can
        // isolate the row and commit the rest.
        immediateConstraints = true;
        throw new SQLException(
            "COMMIT refused the batch (a deferred constraint): " + e.getMessage(),
            e.getSQLState(),
            e);
      }
      // The outcome is unknown. The buffer is kept; the next attempt re-reads the offsets and
      // either finds the batch committed or writes it again. Never assume.
      throw new SQLException(
          "COMMIT failed, outcome unknown: " + e.getMessage(), e.getSQLState(), e);
    }
  }

  private RuntimeException retry(String what, Exception e) {
    OptionalLong backoff = retries.failed();
    if (backoff.isEmpty()) {
      return new ConnectException(
          "Failed "
              + what
              + " into "
              + config.connection()
              + " after "
              + retries.maxRetries()
              + " retries: "
              + e.getMessage(),
          e);
    }
    log.warn(
        "Failed {} (attempt {} of {}), retrying in {} ms: {}",
        what,
        retries.failures(),
        retries.maxAttempts(),
        backoff.getAsLong(),
        e.getMessage());
    context.timeout(backoff.getAsLong());
    return new RetriableException(e.getMessage(), e);
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> preCommit(
      Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    // Only what the database has committed: Kafka's group offsets are a mirror for monitoring.
    return positions.preCommit(currentOffsets.keySet());
  }

  @Override
  public void close(Collection<TopicPartition> partitions) {
    if (badRecords.unreportable()) {
      // The task dies on a bad record it could not report. The batch still holds it, marked
      // rejected; written now, the records after it would be committed and the bad one lost.
      // Nothing of the batch is committed: a restart reads it again and stops on the same record.
      log.warn(
          "Dropping the uncommitted batch of {} records: a bad record in it could not be reported",
          batch.recordCount());
      closeConnection();
      clearBatch();
    } else if (!batch.isEmpty()) {
      try {
        writeBatch();
      } catch (SQLException | RuntimeException e) {
        // Not written: whoever gets the partitions next starts from the database's offsets.
        log.warn(
            "Could not write the batch while partitions move ({}); it will be re-read",
            e.getMessage());
        closeConnection();
        positions.rewindToCommitted(batch.nextOffsets().keySet());
        clearBatch();
      }
    }
    positions.closed(partitions);
  }

  @Override
  public void stop() {
    closeConnection();
    if (startOffsets != null) {
      startOffsets.close();
    }
    if (metrics != null) {
      metrics.close();
    }
    log.info("Sink task for {} stopped", connectorName);
  }

  /** The connection, for a query: a streaming COPY on it ends first. */
  private Connection connectionForQueries() throws SQLException {
    if (connection != null) {
      stream.finish();
    }
    return connection();
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = config.connection().open();
      connection.setAutoCommit(false);
      targets.forget();
      if (immediateConstraints) {
        try (Statement statement = connection.createStatement()) {
          statement.execute("SET CONSTRAINTS ALL IMMEDIATE");
        }
      }
    }
    return connection;
  }

  private void closeConnection() {
    if (stream != null) {
      stream.transactionLost();
    }
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // Already broken.
      }
      connection = null;
    }
  }

  private ErrantRecordReporter errantRecordReporter() {
    try {
      return context.errantRecordReporter();
    } catch (NoSuchMethodError | NoClassDefFoundError e) {
      // Workers older than Kafka 2.6 have no reporter: bad records fail the task.
      return null;
    }
  }

  private static String describe(SinkRecord record) {
    return BadRecords.describe(record);
  }
}
