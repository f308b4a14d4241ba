package io.pipelineconnect.kinesis;

import io.pipelineconnect.common.CrossFieldValidation;
import io.pipelineconnect.common.LiveValidation;
import io.pipelineconnect.common.Version;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.util.ConnectorUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * pipeline_kinesis as a Kafka Connect source: reads a Kinesis data stream into a Kafka topic.
 *
 * <p>The connector lists the stream's shards, groups them into families (parents with their
 * children) and spreads the families over the tasks; a background monitor lists them again and asks
 * Connect to reconfigure the tasks when a split or merge changed them, and again once the saved
 * positions show a parent read to SHARD_END: its children then part and spread over the tasks.
 */
public class KinesisSourceConnector extends SourceConnector {
  private static final Logger log = LoggerFactory.getLogger(KinesisSourceConnector.class);

  private Map<String, String> props;
  private KinesisSourceConfig config;
  private KinesisClient kinesis;
  private ScheduledExecutorService monitor;
  private volatile List<ShardInfo> shards = List.of();
  // Shards whose SHARD_END is saved: left out of the families (see ShardLineage).
  private volatile Set<String> ended = Set.of();
  private Long streamCreatedMs;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    this.props = Map.copyOf(props);
    this.config = new KinesisSourceConfig(props);
    this.kinesis = KinesisClientFactory.create(config);
    this.shards = ShardLister.list(kinesis, config.stream());
    this.streamCreatedMs = ShardLister.createdAt(kinesis, config.stream());
    this.ended = endedAmong(shards, Set.of());
    log.info(
        "Kinesis stream {} has {} shards (stream created {})",
        config.stream(),
        shards.size(),
        streamCreatedMs == null
            ? "at an unknown time"
            : java.time.Instant.ofEpochMilli(streamCreatedMs));
    monitor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "kinesis-shard-monitor-" + config.stream());
              thread.setDaemon(true);
              return thread;
            });
    long interval = config.shardMonitorInterval().toMillis();
    monitor.scheduleWithFixedDelay(this::checkShards, interval, interval, TimeUnit.MILLISECONDS);
  }

  /** Notices splits, merges and closed shards, and asks Connect to hand out the new lineage. */
  private void checkShards() {
    try {
      List<ShardInfo> current = ShardLister.list(kinesis, config.stream());
      Long created = ShardLister.createdAt(kinesis, config.stream());
      if (created != null && streamCreatedMs != null && !created.equals(streamCreatedMs)) {
        // Deleted and created again while read: the tasks' positions belong to the old stream.
        failed(
            new org.apache.kafka.connect.errors.ConnectException(
                SavedPositions.recreatedMessage(config.stream(), streamCreatedMs, created)));
        return;
      }
      Set<String> currentEnded = endedAmong(current, ended);
      boolean reshard = !new HashSet<>(current).equals(new HashSet<>(shards));
      boolean newlyEnded = !currentEnded.equals(ended);
      if (reshard) {
        log.info(
            "Shards of {} changed ({} -> {}); reconfiguring tasks",
            config.stream(),
            shards.size(),
            current.size());
      }
      if (newlyEnded) {
        Set<String> added = new TreeSet<>(currentEnded);
        added.removeAll(ended);
        log.info(
            "Shards {} of {} were read to their end; their children now part and spread over the"
                + " tasks",
            added,
            config.stream());
      }
      shards = current;
      ended = currentEnded;
      if (reshard || newlyEnded) {
        context.requestTaskReconfiguration();
      }
    } catch (RuntimeException e) {
      // Transient listing failures are retried on the next run; a vanished stream surfaces.
      log.warn("Could not list the shards of {}: {}", config.stream(), e.getMessage());
      if (e instanceof org.apache.kafka.connect.errors.ConnectException failure) {
        failed(failure);
      }
    }
  }

  /**
   * The closed shards whose saved position is SHARD_END; the previous answer where the offsets
   * cannot be read now (a shard once ended stays ended, so a stale answer only delays spreading).
   */
  private Set<String> endedAmong(List<ShardInfo> listed, Set<String> previous) {
    List<String> closed = listed.stream().filter(ShardInfo::closed).map(ShardInfo::id).toList();
    if (closed.isEmpty()) {
      return Set.of();
    }
    try {
      return new SavedPositions(context().offsetStorageReader(), config.stream(), streamCreatedMs)
          .ended(closed);
    } catch (RuntimeException e) {
      log.warn(
          "Could not read the saved positions of {}'s closed shards: {}",
          config.stream(),
          e.getMessage());
      return previous;
    }
  }

  /** Fails the connector, once: the monitor stops until a restart starts the connector again. */
  private void failed(org.apache.kafka.connect.errors.ConnectException failure) {
    context.raiseError(failure);
    monitor.shutdown();
  }

  @Override
  public Class<? extends Task> taskClass() {
    return KinesisSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<List<ShardInfo>> families = ShardLineage.families(shards, ended);
    List<Map<String, String>> configs = new ArrayList<>();
    if (families.isEmpty()) {
      Map<String, String> task = new HashMap<>(props);
      task.put(KinesisSourceConfig.TASK_SHARDS, "");
      putStreamCreated(task);
      task.put(KinesisSourceConfig.TASK_INDEX, "0");
      configs.add(task);
      return configs;
    }
    for (List<List<ShardInfo>> group :
        ConnectorUtils.groupPartitions(families, Math.min(maxTasks, families.size()))) {
      List<ShardInfo> taskShards = new ArrayList<>();
      group.forEach(taskShards::addAll);
      Map<String, String> task = new HashMap<>(props);
      task.put(KinesisSourceConfig.TASK_SHARDS, ShardInfo.encodeAll(taskShards));
      putStreamCreated(task);
      task.put(KinesisSourceConfig.TASK_INDEX, String.valueOf(configs.size()));
      configs.add(task);
    }
    return configs;
  }

  private void putStreamCreated(Map<String, String> task) {
    if (streamCreatedMs != null) {
      task.put(KinesisSourceConfig.TASK_STREAM_CREATED, streamCreatedMs.toString());
    }
  }

  @Override
  public void stop() {
    if (monitor != null) {
      monitor.shutdownNow();
    }
    if (kinesis != null) {
      kinesis.close();
    }
  }

  @Override
  public ConfigDef config() {
    return KinesisSourceConfig.CONFIG_DEF;
  }

  /**
   * Per-key checks, then the rules that span keys, then Kinesis itself (see {@link
   * KinesisPreflight}), each error attached to the key to fix.
   */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config result =
        CrossFieldValidation.apply(
            super.validate(connectorConfigs),
            connectorConfigs,
            KinesisSourceConfig::new,
            KinesisSourceConfig.STREAM);
    if (LiveValidation.noErrors(result)) {
      KinesisPreflight.check(new KinesisSourceConfig(connectorConfigs), result);
    }
    return result;
  }

  /**
   * Checks an offsets change from the REST API ({@code PATCH} / {@code DELETE
   * /connectors/{name}/offsets}) before Connect stores it: each partition must name this
   * connector's stream and a shard, each offset must be one this connector writes ({@code
   * {"sequence": "<digits>"}} resumes after that record; null starts the shard over by
   * start_offset). Positions live only in Connect's offsets, so there is nothing else to change.
   */
  @Override
  public boolean alterOffsets(
      Map<String, String> connectorConfig, Map<Map<String, ?>, Map<String, ?>> offsets) {
    KinesisSourceConfig config = new KinesisSourceConfig(connectorConfig);
    for (Map.Entry<Map<String, ?>, Map<String, ?>> entry : offsets.entrySet()) {
      Map<String, ?> partition = entry.getKey();
      if (partition == null
          || partition.size() != 2
          || !(partition.get(ShardPosition.SHARD) instanceof String)
          || !config.stream().equals(partition.get(ShardPosition.STREAM))) {
        throw new org.apache.kafka.connect.errors.ConnectException(
            "Partition "
                + partition
                + " is not one of this connector's: give {\"stream\": \""
                + config.stream()
                + "\", \"shard\": \"shardId-...\"}, as GET /connectors/<name>/offsets shows");
      }
      String problem = ShardPosition.offsetProblem(entry.getValue());
      if (problem != null) {
        throw new org.apache.kafka.connect.errors.ConnectException(
            "Offset "
                + entry.getValue()
                + " for shard "
                + partition.get(ShardPosition.SHARD)
                + ": "
                + problem);
      }
    }
    return true;
  }

  /**
   * Exactly once with KIP-618: each poll's records and their shard sequence numbers commit in one
   * producer transaction; after a crash, reading resumes after the last committed sequence number.
   */
  @Override
  public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
    return ExactlyOnceSupport.SUPPORTED;
  }
}
