package io.pipelineconnect.kinesis;

import io.pipelineconnect.common.Version;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Reads the shards of its shard families with GetRecords and turns each Kinesis record into a Kafka
 * record whose source offset is the shard's sequence number.
 *
 * <p>Within a family, a child shard is read only after all its parents reached SHARD_END, so
 * records of one partition key stay in order across splits and merges. Positions no data record
 * carries (a resolved LATEST start, a reached SHARD_END) go out as marker records, so they are
 * saved like any offset.
 *
 * <p>A fetcher thread calls GetRecords while Connect converts and sends what the last call
 * returned: {@link #poll()} only hands over pages, one page a poll, so each page (and its offsets)
 * is one producer transaction under exactly-once. At most one page waits in between: memory stays
 * bounded (a page is at most 10 MB) and a slow Kafka slows the reading down.
 */
public class KinesisSourceTask extends SourceTask {
  /** Connect only reads a record's partition, so one map per shard serves all its records. */
  private final Map<String, Map<String, Object>> sourcePartitions = new ConcurrentHashMap<>();

  private static final Logger log = LoggerFactory.getLogger(KinesisSourceTask.class);
  private static final long MAX_SLEEP_MS = 500;

  /** How long a poll waits for a page before returning to Connect with none. */
  private static final long POLL_WAIT_MS = 100;

  private KinesisSourceConfig config;

  /** Read from the config once: both are needed per record. */
  private Long streamCreatedMs;

  private boolean dropOutsideShard;
  private KinesisClient kinesis;
  // Insertion order: shards are polled in the order they were assigned, children after parents.
  private final Map<String, ShardReader> readers = new LinkedHashMap<>();
  private final Set<String> familyShards = new HashSet<>();
  private volatile boolean stopping;
  private List<ShardInfo> shards = List.of();
  private final Function<KinesisSourceConfig, KinesisClient> clients;
  private KinesisTaskMetrics metrics;
  private final BlockingQueue<List<SourceRecord>> pages = new ArrayBlockingQueue<>(1);
  // Started by the task's thread in poll(), interrupted by whichever thread calls stop().
  private volatile Thread fetcher;
  private volatile RuntimeException fetchFailure;

  public KinesisSourceTask() {
    this(KinesisClientFactory::create);
  }

  /** For tests: a task on a client of the test's making (kinesalite cannot throttle). */
  KinesisSourceTask(Function<KinesisSourceConfig, KinesisClient> clients) {
    this.clients = clients;
  }

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new KinesisSourceConfig(props);
    streamCreatedMs = config.streamCreatedMs();
    dropOutsideShard = config.outsideShard() == KinesisSourceConfig.OutsideShard.DROP;
    kinesis = clients.apply(config);
    shards = ShardInfo.decodeAll(config.taskShards());
    shards.forEach(shard -> familyShards.add(shard.id()));
    metrics =
        KinesisTaskMetrics.create(
            context, props.getOrDefault("name", config.stream()), config.taskIndex());
    log.info(
        "Kinesis task reading {} shards of {} into {}: {}",
        shards.size(),
        config.stream(),
        config.topic(),
        familyShards);
  }

  /**
   * Reads the saved positions on the first poll rather than in start(): with exactly-once, a
   * crashed worker's open transactions are aborted only as the tasks that replace it start, and
   * positions read before then were seen to miss what the crashed tasks had committed.
   */
  private void loadPositions() {
    List<Map<String, Object>> partitions = new ArrayList<>();
    for (ShardInfo shard : shards) {
      partitions.add(ShardPosition.partition(config.stream(), shard.id()));
    }
    Map<Map<String, Object>, Map<String, Object>> saved =
        context.offsetStorageReader().offsets(partitions);
    List<Map<String, Object>> legacy = new ArrayList<>();
    for (ShardInfo shard : shards) {
      if (saved.get(ShardPosition.partition(config.stream(), shard.id())) == null) {
        legacy.add(ShardPosition.legacyPartition(config.stream(), shard.id()));
      }
    }
    // Equal maps: a legacy entry is found under the new partition's key.
    Map<Map<String, Object>, Map<String, Object>> legacySaved =
        legacy.isEmpty() ? Map.of() : context.offsetStorageReader().offsets(legacy);
    for (ShardInfo shard : shards) {
      Map<String, Object> partition = ShardPosition.partition(config.stream(), shard.id());
      Map<String, Object> offset = saved.get(partition);
      if (offset == null) {
        offset = legacySaved.get(partition);
      }
      checkSameStream(offset);
      ShardPosition position = ShardPosition.fromOffset(offset);
      readers.put(shard.id(), new ShardReader(shard, position));
      log.info(
          "Shard {}: {}",
          shard.id(),
          position == null
              ? "no saved position, start_offset applies"
              : "resumes from " + position);
    }
  }

  /**
   * Refuses a saved position of an earlier stream of the same name: Kinesis reuses shard ids, so
   * its SHARD_END would skip a new shard silently and its sequence numbers fail forever.
   */
  private void checkSameStream(Map<String, Object> offset) {
    Long savedFor = ShardPosition.streamCreated(offset);
    Long current = streamCreatedMs;
    if (savedFor != null && current != null && !savedFor.equals(current)) {
      throw new ConnectException(recreatedMessage(config.stream(), savedFor, current));
    }
  }

  static String recreatedMessage(String stream, long savedForMs, long currentMs) {
    return "Kinesis stream "
        + stream
        + " was deleted and created again (the saved positions are of the stream created "
        + Instant.ofEpochMilli(savedForMs)
        + ", this one was created "
        + Instant.ofEpochMilli(currentMs)
        + "); they would skip or fail on the new stream's shards, whose ids repeat the old ones."
        + " To read the new stream, stop the connector and reset its offsets (PUT"
        + " /connectors/<name>/stop, then DELETE /connectors/<name>/offsets; start_offset then"
        + " applies), or read it with a connector of another name";
  }

  /**
   * The next page of records the fetcher read, if one comes within {@link #POLL_WAIT_MS}; the
   * fetcher's failure once every page read before it was handed over.
   */
  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    if (stopping) {
      return null;
    }
    if (fetcher == null) {
      fetcher = new Thread(this::fetchPages, "kinesis-fetcher-" + config.stream());
      fetcher.setDaemon(true);
      fetcher.start();
    }
    List<SourceRecord> page = pages.poll(POLL_WAIT_MS, TimeUnit.MILLISECONDS);
    if (page == null && fetchFailure != null) {
      throw fetchFailure;
    }
    if (page != null) {
      // Counted as handed to Connect; markers are positions, not records.
      metrics.recordsDelivered(
          (int) page.stream().filter(r -> r.topic().equals(config.topic())).count());
    }
    return page;
  }

  /** The fetcher thread: reads pages until the task stops or a read fails for good. */
  private void fetchPages() {
    try {
      loadPositions();
      while (!stopping) {
        List<SourceRecord> page = fetchPage();
        if (page != null) {
          pages.put(page);
        }
      }
    } catch (InterruptedException e) {
      // Stopping.
    } catch (RuntimeException | Error e) {
      if (!stopping) {
        log.error("Kinesis task for {} fails: {}", config.stream(), e.getMessage());
        fetchFailure =
            e instanceof RuntimeException failure
                ? failure
                : new ConnectException("Kinesis fetcher failed: " + e, e);
      }
    }
  }

  /** One pass over the shards that may be asked now; waits if none may. */
  private List<SourceRecord> fetchPage() throws InterruptedException {
    List<SourceRecord> records = new ArrayList<>();
    long now = System.currentTimeMillis();
    long earliest = Long.MAX_VALUE;
    // A copy: a shard that ends may add its children to the readers.
    for (ShardReader reader : List.copyOf(readers.values())) {
      if (stopping) {
        break;
      }
      if (reader.finished() || !parentsFinished(reader)) {
        continue;
      }
      if (reader.nextCallAtMs > now) {
        earliest = Math.min(earliest, reader.nextCallAtMs);
        continue;
      }
      read(reader, records, now);
      earliest = Math.min(earliest, reader.nextCallAtMs);
    }
    if (records.isEmpty()) {
      long sleep =
          earliest == Long.MAX_VALUE ? MAX_SLEEP_MS : earliest - System.currentTimeMillis();
      if (sleep > 0) {
        Thread.sleep(Math.min(MAX_SLEEP_MS, sleep));
      }
      return null;
    }
    return records;
  }

  private boolean parentsFinished(ShardReader reader) {
    for (String parent : reader.shard.parents()) {
      ShardReader parentReader = readers.get(parent);
      if (parentReader != null && !parentReader.finished()) {
        return false;
      }
    }
    return true;
  }

  /** One GetRecords call for the shard (and the iterator it needs), appending what it returns. */
  private void read(ShardReader reader, List<SourceRecord> out, long now) {
    try {
      if (reader.iterator == null) {
        try {
          if (!acquireIterator(reader, out)) {
            return;
          }
        } catch (InvalidArgumentException e) {
          if (reader.position == null) {
            throw e;
          }
          throw new ConnectException(
              "Kinesis refuses the saved position of shard "
                  + reader.shard.id()
                  + " of "
                  + config.stream()
                  + " ("
                  + reader.position
                  + "): "
                  + e.getMessage()
                  + ". The stream was probably deleted and created again under the same name,"
                  + " or the offset was set by hand. Stop the connector and reset its offsets"
                  + " (DELETE /connectors/<name>/offsets) or PATCH this shard's offset",
              e);
        }
      }
      GetRecordsResponse response =
          kinesis.getRecords(r -> r.shardIterator(reader.iterator).limit(config.batchSize()));
      long bytes = 0;
      int outsideShard = 0;
      for (Record record : response.records()) {
        bytes += record.data().asByteBuffer().remaining();
        outsideShard += deliver(reader, record, out);
      }
      if (outsideShard > 0) {
        metrics.subRecordsOutsideShard(outsideShard);
        log.info(
            "Shard {} of {}: dropped {} KPL user records whose hash keys lie outside the shard's"
                + " range {} (the KPL puts them again into their own shard; set {}=deliver for"
                + " aggregators that do not)",
            reader.shard.id(),
            config.stream(),
            outsideShard,
            reader.shard.hashKeys(),
            KinesisSourceConfig.OUTSIDE_SHARD);
      }
      if (response.millisBehindLatest() != null) {
        metrics.millisBehindLatest(reader.shard.id(), response.millisBehindLatest());
      }
      reader.iterator = response.nextShardIterator();
      if (reader.iterator == null) {
        String last = reader.position == null ? null : reader.position.sequence();
        reader.position = ShardPosition.end(last);
        out.add(marker(reader.shard, reader.position, "SHARD_END"));
        log.info("Shard {} of {} read to its end", reader.shard.id(), config.stream());
        reader.succeeded(now, 0);
        adoptChildren(response.childShards());
        return;
      }
      boolean caughtUp =
          response.records().isEmpty()
              || (response.millisBehindLatest() != null && response.millisBehindLatest() == 0);
      reader.succeeded(
          now, Math.max(caughtUp ? config.idleWait().toMillis() : 0, ShardReader.readPause(bytes)));
    } catch (ExpiredIteratorException e) {
      // Ask for a fresh iterator after the last sequence number delivered.
      log.info(
          "Iterator of shard {} expired; resuming after {}", reader.shard.id(), reader.position);
      reader.iterator = null;
      reader.succeeded(now, 0);
    } catch (ProvisionedThroughputExceededException | LimitExceededException e) {
      reader.backOff(config.maxBackoff().toMillis(), now);
      log.debug("Throttled on shard {}; retrying at {}", reader.shard.id(), reader.nextCallAtMs);
    } catch (ResourceNotFoundException e) {
      throw new ConnectException(
          "Kinesis stream "
              + config.stream()
              + " or shard "
              + reader.shard.id()
              + " no longer exists: "
              + e.getMessage(),
          e);
    } catch (KinesisException e) {
      if (isAuthFailure(e)) {
        throw new ConnectException(
            "Kinesis refused the credentials ("
                + e.awsErrorDetails().errorCode()
                + "): check kinesis.access.key.id / kinesis.credentials.file / kinesis.role.arn",
            e);
      }
      reader.backOff(config.maxBackoff().toMillis(), now);
      log.warn("Kinesis error on shard {}, backing off: {}", reader.shard.id(), e.getMessage());
    } catch (SdkClientException e) {
      reader.backOff(config.maxBackoff().toMillis(), now);
      log.warn(
          "Could not reach Kinesis for shard {}, backing off: {}",
          reader.shard.id(),
          e.getMessage());
    }
  }

  /**
   * Starts reading the children that GetRecords named at a parent's SHARD_END, without waiting for
   * the connector's shard monitor to notice the reshard and reassign tasks. Only children whose
   * parents all belong to this task: it alone can tell when they are all finished, which keeps
   * per-key order. Others (a merge with a parent in another task) wait for the reassignment. A
   * child that is read again after a restart resumes from its saved offset.
   */
  private void adoptChildren(List<ChildShard> children) {
    for (ChildShard child : children) {
      if (readers.containsKey(child.shardId())
          || !readers.keySet().containsAll(child.parentShards())) {
        continue;
      }
      ShardInfo.HashKeyRange hashKeys =
          child.hashKeyRange() == null
              ? null
              : ShardInfo.HashKeyRange.of(
                  child.hashKeyRange().startingHashKey(), child.hashKeyRange().endingHashKey());
      ShardInfo shard = new ShardInfo(child.shardId(), child.parentShards(), false, hashKeys);
      Map<String, Object> offset =
          context
              .offsetStorageReader()
              .offset(ShardPosition.partition(config.stream(), shard.id()));
      if (offset == null) {
        offset =
            context
                .offsetStorageReader()
                .offset(ShardPosition.legacyPartition(config.stream(), shard.id()));
      }
      checkSameStream(offset);
      ShardPosition saved = ShardPosition.fromOffset(offset);
      familyShards.add(shard.id());
      readers.put(shard.id(), new ShardReader(shard, saved));
      log.info(
          "Shard {} of {} is a child of {}: read here once its parents ended ({})",
          shard.id(),
          config.stream(),
          child.parentShards(),
          saved == null ? "from its beginning" : "resumes from " + saved);
    }
  }

  private boolean acquireIterator(ShardReader reader, List<SourceRecord> out) {
    GetShardIteratorRequest request;
    if (reader.position != null) {
      request = reader.resumeRequest(config.stream());
    } else {
      boolean child = reader.shard.parents().stream().anyMatch(familyShards::contains);
      var builder =
          GetShardIteratorRequest.builder().streamName(config.stream()).shardId(reader.shard.id());
      KinesisSourceConfig.StartPosition start = config.startPosition();
      if (child || start instanceof KinesisSourceConfig.StartPosition.TrimHorizon) {
        request = builder.shardIteratorType(ShardIteratorType.TRIM_HORIZON).build();
      } else if (start instanceof KinesisSourceConfig.StartPosition.AtTimestamp at) {
        request =
            builder
                .shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                .timestamp(at.timestamp())
                .build();
      } else if (reader.shard.closed()) {
        // LATEST on a closed shard: nothing will ever come; it is finished.
        reader.position = ShardPosition.end(null);
        out.add(marker(reader.shard, reader.position, "SHARD_END (closed before start at LATEST)"));
        return false;
      } else {
        // Resolve LATEST to an instant and save it, so a restart reads what arrived meanwhile.
        Instant resolvedAt = Instant.now();
        request = builder.shardIteratorType(ShardIteratorType.LATEST).build();
        reader.iterator = kinesis.getShardIterator(request).shardIterator();
        reader.position = ShardPosition.latestAt(resolvedAt);
        out.add(marker(reader.shard, reader.position, "LATEST resolved at " + resolvedAt));
        return true;
      }
    }
    reader.iterator = kinesis.getShardIterator(request).shardIterator();
    return true;
  }

  /**
   * Appends the Kafka records of one Kinesis record and moves the shard's position past it: one per
   * user record of a KPL aggregate (skipping those delivered before a restart), else one. Returns
   * how many user records were dropped as outside the shard's hash-key range.
   *
   * <p>A dropped user record moves no offset: after a restart inside the aggregate it is judged
   * again, the same way, so dropping stays deterministic.
   */
  private int deliver(ShardReader reader, Record record, List<SourceRecord> out) {
    String sequence = record.sequenceNumber();
    byte[] data = record.data().asByteArray();
    if (config.deaggregate() && KplAggregate.isAggregated(data)) {
      List<KplAggregate.UserRecord> userRecords = null;
      try {
        userRecords = KplAggregate.decode(data);
      } catch (KplAggregate.InvalidAggregateException e) {
        log.warn(
            "Shard {} of {}, sequence number {}: not a valid KPL aggregate ({}); passing it"
                + " through as one record",
            reader.shard.id(),
            config.stream(),
            sequence,
            e.getMessage());
      }
      if (userRecords != null) {
        ShardInfo.HashKeyRange range = dropOutsideShard ? reader.shard.hashKeys() : null;
        int dropped = 0;
        int last = userRecords.size() - 1;
        for (int i = (int) reader.deliveredSubRecords(sequence); i <= last; i++) {
          KplAggregate.UserRecord user = userRecords.get(i);
          if (range != null && !range.contains(user.hashKey())) {
            dropped++;
            continue;
          }
          ShardPosition position = ShardPosition.afterSubRecord(sequence, i, i == last);
          out.add(dataRecord(reader.shard, record, user.partitionKey(), user.data(), position));
        }
        reader.position =
            last < 0
                ? ShardPosition.after(sequence)
                : ShardPosition.afterSubRecord(sequence, last, true);
        return dropped;
      }
    }
    reader.position = ShardPosition.after(sequence);
    out.add(dataRecord(reader.shard, record, record.partitionKey(), data, reader.position));
    return 0;
  }

  private SourceRecord dataRecord(
      ShardInfo shard, Record record, String partitionKey, byte[] value, ShardPosition position) {
    ConnectHeaders headers = new ConnectHeaders();
    headers.addString("kinesis.stream", config.stream());
    headers.addString("kinesis.shard.id", shard.id());
    headers.addString("kinesis.sequence.number", record.sequenceNumber());
    if (position.subSequence() != null) {
      headers.addLong("kinesis.sub.sequence.number", position.subSequence());
    }
    Long timestamp =
        record.approximateArrivalTimestamp() == null
            ? null
            : record.approximateArrivalTimestamp().toEpochMilli();
    return new SourceRecord(
        partitionOf(shard.id()),
        position.toOffset(streamCreatedMs),
        config.topic(),
        null,
        Schema.OPTIONAL_BYTES_SCHEMA,
        partitionKey == null ? null : partitionKey.getBytes(StandardCharsets.UTF_8),
        Schema.OPTIONAL_BYTES_SCHEMA,
        value,
        timestamp,
        headers);
  }

  /** The shard's source partition, made once per shard rather than per record. */
  private Map<String, Object> partitionOf(String shardId) {
    return sourcePartitions.computeIfAbsent(
        shardId, id -> ShardPosition.partition(config.stream(), id));
  }

  private SourceRecord marker(ShardInfo shard, ShardPosition position, String event) {
    String value =
        "{\"stream\":\""
            + config.stream()
            + "\",\"shard\":\""
            + shard.id()
            + "\",\"event\":\""
            + event
            + "\"}";
    return new SourceRecord(
        partitionOf(shard.id()),
        position.toOffset(streamCreatedMs),
        config.markersTopic(),
        null,
        Schema.OPTIONAL_BYTES_SCHEMA,
        shard.id().getBytes(StandardCharsets.UTF_8),
        Schema.OPTIONAL_BYTES_SCHEMA,
        value.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean isAuthFailure(KinesisException e) {
    String code =
        e.awsErrorDetails() == null ? "" : String.valueOf(e.awsErrorDetails().errorCode());
    return e.statusCode() == 403
        || code.equals("UnrecognizedClientException")
        || code.equals("AccessDeniedException")
        || code.equals("InvalidSignatureException")
        || code.equals("ExpiredTokenException");
  }

  @Override
  public void stop() {
    stopping = true;
    if (fetcher != null) {
      fetcher.interrupt();
    }
    if (kinesis != null) {
      kinesis.close();
    }
    if (metrics != null) {
      metrics.close();
    }
  }
}
