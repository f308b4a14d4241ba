package io.pipelineconnect.kinesis;

import io.pipelineconnect.common.Version;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;

/**
 * Reads the shards of its shard families, each with a {@link ShardReader}, and hands what they read
 * to Connect as Kafka records whose source offsets are the shards' sequence numbers.
 *
 * <p>Within a family, a child shard is read only after all its parents reached SHARD_END, so
 * records of one partition key stay in order across splits and merges; a child whose parents'
 * SHARD_END is saved comes on its own (see {@link ShardLineage}). Positions no data record carries
 * (a resolved LATEST start, a reached SHARD_END) go out as marker records, so they are saved like
 * any offset.
 *
 * <p>A fetcher thread calls GetRecords while Connect converts and sends what the last call
 * returned: {@link #poll()} only hands over pages, one page a poll, so each page (and its offsets)
 * is one producer transaction under exactly-once. At most one page waits in between: memory stays
 * bounded (a page is at most 10 MB) and a slow Kafka slows the reading down.
 */
public class KinesisSourceTask extends SourceTask {
  private static final Logger log = LoggerFactory.getLogger(KinesisSourceTask.class);
  private static final long MAX_SLEEP_MS = 500;

  /** How long a poll waits for a page before returning to Connect with none. */
  private static final long POLL_WAIT_MS = 100;

  private KinesisSourceConfig config;
  private KinesisClient kinesis;
  private KinesisTaskMetrics metrics;
  private SavedPositions savedPositions;
  private Deaggregator deaggregator;
  private SourceRecordBuilder recordBuilder;
  private List<ShardInfo> shards = List.of();
  // Insertion order: shards are polled in the order they were assigned, children after parents.
  private final Map<String, ShardReader> readers = new LinkedHashMap<>();
  private volatile boolean stopping;
  private final Function<KinesisSourceConfig, KinesisClient> clients;
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
    kinesis = clients.apply(config);
    shards = ShardInfo.decodeAll(config.taskShards());
    metrics =
        KinesisTaskMetrics.create(
            context, props.getOrDefault("name", config.stream()), config.taskIndex());
    savedPositions =
        new SavedPositions(
            context.offsetStorageReader(), config.stream(), config.streamCreatedMs());
    deaggregator = new Deaggregator(config);
    recordBuilder = new SourceRecordBuilder(config);
    log.info(
        "Kinesis task reading {} shards of {} into {}: {}",
        shards.size(),
        config.stream(),
        config.topic(),
        shards.stream().map(ShardInfo::id).collect(Collectors.toSet()));
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
      startReaders();
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

  /**
   * Reads the saved positions on the first poll rather than in start(): with exactly-once, a
   * crashed worker's open transactions are aborted only as the tasks that replace it start, and
   * positions read before then were seen to miss what the crashed tasks had committed.
   */
  private void startReaders() {
    Set<String> assigned = shards.stream().map(ShardInfo::id).collect(Collectors.toSet());
    Map<String, ShardPosition> saved = savedPositions.of(shards);
    for (ShardInfo shard : shards) {
      boolean child =
          shard.parents().stream().anyMatch(assigned::contains) || parentsEnded(shard, assigned);
      readers.put(shard.id(), newReader(shard, saved.get(shard.id()), child));
    }
  }

  /**
   * Whether the shard's parents that another task held (or none) were all read to SHARD_END: the
   * connector hands a child out on its own once they were, and it is then read from its first
   * record, as it would have been in its parents' task, whatever start_offset says.
   */
  private boolean parentsEnded(ShardInfo shard, Set<String> assigned) {
    List<String> elsewhere =
        shard.parents().stream().filter(parent -> !assigned.contains(parent)).toList();
    return !elsewhere.isEmpty() && savedPositions.ended(elsewhere).size() == elsewhere.size();
  }

  private ShardReader newReader(ShardInfo shard, ShardPosition saved, boolean child) {
    return new ShardReader(shard, saved, child, kinesis, config, deaggregator, metrics);
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
      if (reader.nextCallAtMs() > now) {
        earliest = Math.min(earliest, reader.nextCallAtMs());
        continue;
      }
      ShardReader.Page page = reader.read(now);
      page.records().forEach(read -> records.add(recordBuilder.build(reader.shard(), read)));
      adoptChildren(page.children());
      earliest = Math.min(earliest, reader.nextCallAtMs());
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
    for (String parent : reader.shard().parents()) {
      ShardReader parentReader = readers.get(parent);
      if (parentReader != null && !parentReader.finished()) {
        return false;
      }
    }
    return true;
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
      ShardInfo shard = ShardLister.toInfo(child);
      ShardPosition saved = savedPositions.of(shard.id());
      readers.put(shard.id(), newReader(shard, saved, true));
      log.info(
          "Shard {} of {} is a child of {}: read here once its parents ended ({})",
          shard.id(),
          config.stream(),
          child.parentShards(),
          saved == null ? "from its beginning" : "resumes from " + saved);
    }
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
