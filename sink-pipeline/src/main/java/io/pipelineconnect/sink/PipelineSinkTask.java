package io.pipelineconnect.sink;

import io.pipelineconnect.common.Version;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
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

  private PipelineSinkConfig config;
  private String connectorName;
  private SinkSession session;
  private BatchAssembler assembler;
  private TargetResolver targets;

  /** auto.create / auto.evolve, or null. */
  private ManagedTables tables;

  private boolean evolve;
  private BatchTransaction transaction;
  private StartOffsets startOffsets;
  private BadRecords badRecords;
  private PartitionPositions positions;
  private SinkTaskMetrics metrics;
  private SinkRetries sinkRetries;

  private final PendingBatch batch = new PendingBatch();

  // Read once: AbstractConfig lookups per record showed up in the sink's profile.
  private int batchSize;
  private long maxBytes;

  /**
   * How long a poll may bring nothing before the topics count as quiet and a partial batch is
   * written: long enough to span the gap between two fetches of a busy partition, short enough that
   * a burst's tail is committed at once.
   */
  static final long QUIET_POLL_MS = 20;

  private long lingerNanos;

  /**
   * Writes a batch that filled at the end of a put() while Connect polls and converts the next
   * records: PostgreSQL parses the batch's last rows and commits while the task thread is in
   * Connect's code, where a single task otherwise left one of them idle at each batch end. Only one
   * batch is in flight, and every entry point that touches the batch, the session or the positions
   * waits for it first, so nothing else runs concurrently with it; what it found about the
   * positions is applied then, on the task thread.
   */
  private ExecutorService batchWriter;

  private Future<BatchTransaction.PositionsUpdate> inFlight;

  /** A failure of the batch written in the background, raised by the next put(). */
  private Throwable inFlightFailure;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new PipelineSinkConfig(props);
    connectorName = props.getOrDefault("name", "pipeline-sink");
    OffsetStore offsets = new OffsetStore(config.offsetsTable(), connectorName);
    targets = TargetResolver.from(config);
    if (config.autoCreate() || config.autoEvolve()) {
      tables = new ManagedTables(config.writeMode(), config.metadataColumns(), config.connection());
      if (config.autoCreate()) {
        targets.createMissingWith(tables);
      }
      evolve = config.autoEvolve();
    }
    session = new SinkSession(config.connection(), targets::forget);
    startOffsets = new StartOffsets(config.kafkaAdminSettings());
    positions = new PartitionPositions(offsets, startOffsets, config.startOffset(), context);
    sinkRetries = new SinkRetries(config.retryPolicy(), context, config.connection());
    metrics = SinkTaskMetrics.create(context, connectorName, config.taskIndex());
    badRecords = BadRecords.reportingTo(context, metrics::badRecord);
    batchSize = config.batchSize(false);
    maxBytes = config.maxBytes();
    lingerNanos = config.linger().toNanos();
    batchWriter =
        Executors.newSingleThreadExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "pipeline-sink-batch-writer-" + connectorName);
              thread.setDaemon(true);
              return thread;
            });
    config.connection().plaintextWarning().ifPresent(log::warn);
    sinkRetries.atStart(() -> prepare(offsets, targets), session::close);
    log.info(
        "Sink task for {} started: format {}, insert.mode {}, batches of {} records / {} bytes,"
            + " offsets in {}",
        connectorName,
        config.copyOptions().format().configValue(),
        config.writeMode().insert().configValue(),
        batchSize,
        config.maxBytes(),
        config.offsetsTable());
  }

  /**
   * Opens the session, makes the offsets table, picks the encoder and the writer (once, by
   * insert.mode: COPY appends, or changes staged and applied by key) and checks a fixed target.
   */
  private Void prepare(OffsetStore offsets, TargetResolver targets) throws SQLException {
    Connection db = session.connection();
    offsets.createIfMissing(db);
    WritePath path = WritePath.choose(config, db);
    RowEncoder encoder = path.encoder();
    BatchWriter writer = path.writer();
    session.writeWith(writer);
    targets.checkEachWith(encoder::checkTarget);
    if (config.stream().isPresent()) {
      boolean intoStream =
          FixedTargetCheck.check(db, config.stream().get(), config, encoder, writer)
              .map(TargetTable::pipelineDbStream)
              .orElse(false);
      batchSize = config.batchSize(intoStream);
    }
    db.commit();
    assembler = new BatchAssembler(batch, targets, encoder, writer, session, badRecords);
    transaction = new BatchTransaction(session, writer, offsets, positions, badRecords, metrics);
    return null;
  }

  @Override
  public void open(Collection<TopicPartition> partitions) {
    settleInFlight();
    positions.opened(partitions);
    try {
      positions.openPending(session.connection());
    } catch (SQLException | RuntimeException e) {
      // An exception here would kill the task: the rewind is done in the next put() instead.
      log.warn(
          "Could not read saved offsets for {} yet ({}); will retry before writing",
          partitions,
          e.getMessage());
      session.close();
    }
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    positions.startPut();
    // After startPut: a rewind the batch in flight asks for skips the records delivered so far.
    raiseInFlightFailure();
    if (positions.hasPendingOpen()) {
      // Reading offsets commits: the buffered batch goes first, whole.
      flush();
      try {
        positions.openPending(session.connection());
      } catch (SQLException | RuntimeException e) {
        session.close();
        throw sinkRetries.failed("reading saved offsets of " + positions.pendingOpen(), e);
      }
    }
    // Records come in runs of one partition: its next offset to buffer is read at the start of a
    // run and written back at its end, not looked up and boxed per record.
    TopicPartition run = null;
    long runNext = 0;
    boolean runOpen = false;
    boolean fullAtEnd = false;
    Iterator<SinkRecord> remaining = records.iterator();
    while (remaining.hasNext()) {
      SinkRecord record = remaining.next();
      if (evolve && tables.isNewSchema(record)) {
        // Rows buffered so far go first, in the table as it is: ALTER TABLE waits for them.
        if (runOpen) {
          positions.buffered(run, runNext);
        }
        run = null;
        runOpen = false;
        addMissingColumns(record);
      }
      TopicPartition partition = assembler.partitionOf(record);
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
        if (remaining.hasNext()) {
          flush();
        } else {
          fullAtEnd = true;
        }
      }
    }
    if (fullAtEnd) {
      writeInBackground();
      positions.putEnded();
      return;
    }
    if (runOpen) {
      positions.buffered(run, runNext);
    }
    // The topics went quiet or the oldest record waited long enough: write what is buffered,
    // as the original flushed at the end of every pass over its partitions.
    if (records.isEmpty() || batch.ageNanos() >= lingerNanos) {
      flush();
    } else {
      // PostgreSQL parses these rows while Connect polls the next ones.
      assembler.putEnded();
    }
    if (!batch.isEmpty()) {
      // With no new records the worker's next poll waits for its offset-commit tick (60 s by
      // default) before it calls put() again. A short poll tells quiet topics from busy ones: if
      // it brings nothing, the empty put() writes the batch now, not once linger.ms has passed.
      long lingerLeftMs = Math.max(1, (lingerNanos - batch.ageNanos()) / 1_000_000);
      context.timeout(Math.min(QUIET_POLL_MS, lingerLeftMs));
    }
    positions.putEnded();
  }

  private void accept(TopicPartition partition, SinkRecord record) {
    try {
      assembler.add(partition, record);
    } catch (SQLException e) {
      session.close();
      // Connect redelivers the whole put(): this record is not marked as buffered.
      positions.buffered(partition, record.kafkaOffset());
      throw sinkRetries.failed("resolving the target of " + BadRecords.describe(record), e);
    }
  }

  /**
   * auto.evolve: adds the columns the record's target lacks for its fields, after writing the batch
   * buffered so far. The schema counts as fitting only once that is done, so a failure retried by
   * Connect tries again.
   */
  private void addMissingColumns(SinkRecord record) {
    List<String> statements;
    try {
      TargetTable target = targets.resolve(session::forQueries, record);
      statements = tables.missingColumns(target, record);
    } catch (BadRecordException e) {
      return; // reported when the record is added
    } catch (SQLException e) {
      session.close();
      throw sinkRetries.failed("resolving the target of " + BadRecords.describe(record), e);
    }
    if (!statements.isEmpty()) {
      flush();
      try {
        tables.execute(statements);
      } catch (SQLException e) {
        throw sinkRetries.failed("adding columns for " + BadRecords.describe(record), e);
      }
      log.info("auto.evolve for {}: {}", BadRecords.describe(record), statements);
      targets.forget();
    }
    tables.fits(record);
  }

  /** Starts writing the full batch on the batch writer thread; put() returns meanwhile. */
  private void writeInBackground() {
    inFlight =
        batchWriter.submit(
            () -> {
              try {
                return transaction.write(batch);
              } catch (SQLException e) {
                session.close();
                throw new CompletionException(e);
              }
            });
  }

  /**
   * Waits for the batch in flight and applies what it found to the positions, keeping a failure for
   * put() to raise.
   */
  private void settleInFlight() {
    Future<BatchTransaction.PositionsUpdate> pending = inFlight;
    if (pending == null) {
      return;
    }
    inFlight = null;
    try {
      pending.get().apply();
      sinkRetries.succeeded();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      inFlightFailure =
          cause instanceof CompletionException && cause.getCause() != null
              ? cause.getCause()
              : cause;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      inFlightFailure = new ConnectException("Interrupted while a batch was written", e);
    }
  }

  /**
   * Raises what the batch written in the background failed with, as flush() would have: the batch
   * is still buffered, and Connect retries after the backoff.
   */
  private void raiseInFlightFailure() {
    settleInFlight();
    Throwable failure = inFlightFailure;
    if (failure == null) {
      return;
    }
    inFlightFailure = null;
    if (failure instanceof SQLException e) {
      throw sinkRetries.failed("writing " + batch.recordCount() + " records", e);
    }
    if (failure instanceof RuntimeException e) {
      throw e;
    }
    throw new ConnectException("Writing a batch failed", failure);
  }

  /** Writes the buffered batch: COPY per target, offsets, commit. */
  private void flush() {
    if (batch.isEmpty()) {
      return;
    }
    try {
      transaction.write(batch).apply();
      sinkRetries.succeeded();
    } catch (SQLException e) {
      session.close();
      throw sinkRetries.failed("writing " + batch.recordCount() + " records", e);
    }
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> preCommit(
      Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    settleInFlight();
    // Only what the database has committed: Kafka's group offsets are a mirror for monitoring.
    return positions.preCommit(currentOffsets.keySet());
  }

  @Override
  public void close(Collection<TopicPartition> partitions) {
    positions.rebalanceStarted();
    try {
      // A batch that failed in the background is still buffered: it is written again below.
      settleInFlight();
      inFlightFailure = null;
      if (badRecords.unreportable()) {
        // The task dies on a bad record it could not report. The batch still holds it, marked
        // rejected; written now, the records after it would be committed and the bad one lost.
        // Nothing of the batch is committed: a restart reads it again and stops on the same record.
        log.warn(
            "Dropping the uncommitted batch of {} records: a bad record in it could not be reported",
            batch.recordCount());
        session.close();
        transaction.discard(batch);
      } else if (!batch.isEmpty()) {
        try {
          transaction.write(batch).apply();
        } catch (SQLException | RuntimeException e) {
          // Not written: whoever gets the partitions next starts from the database's offsets.
          log.warn(
              "Could not write the batch while partitions move ({}); it will be re-read",
              e.getMessage());
          session.close();
          positions.reopen(batch.nextOffsets().keySet());
          transaction.discard(batch);
        }
      }
    } finally {
      positions.closed(partitions);
    }
  }

  @Override
  public void stop() {
    if (batchWriter != null) {
      settleInFlight();
      batchWriter.shutdownNow();
    }
    if (session != null) {
      session.close();
    }
    if (startOffsets != null) {
      startOffsets.close();
    }
    if (metrics != null) {
      metrics.close();
    }
    log.info("Sink task for {} stopped", connectorName);
  }
}
