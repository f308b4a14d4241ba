package io.pipelineconnect.kinesis;

import io.pipelineconnect.common.CrossFieldValidation;
import io.pipelineconnect.common.LiveValidation;
import io.pipelineconnect.common.Version;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.util.ConnectorUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * pipeline_kinesis as a Kafka Connect source: reads Kinesis data streams into Kafka topics.
 *
 * <p>The connector lists each stream's shards, groups them into families (parents with their
 * children) and spreads the families over the tasks, each task reading one stream; a background
 * monitor lists them again and asks Connect to reconfigure the tasks when a split or merge changed
 * them, and again once the saved positions show a parent read to SHARD_END: its children then part
 * and spread over the tasks.
 */
public class KinesisSourceConnector extends SourceConnector {
  private static final Logger log = LoggerFactory.getLogger(KinesisSourceConnector.class);

  private KinesisSourceConfig config;
  private KinesisClient kinesis;
  private ScheduledExecutorService monitor;
  private List<StreamWatch> streams = List.of();

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    this.config = new KinesisSourceConfig(props);
    this.kinesis = KinesisClientFactory.create(config);
    List<StreamWatch> watches = new ArrayList<>();
    for (StreamRef stream : config.streamRefs()) {
      watches.add(new StreamWatch(stream, kinesis, context().offsetStorageReader()));
    }
    this.streams = List.copyOf(watches);
    monitor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread =
                  new Thread(r, "kinesis-shard-monitor-" + String.join(",", config.streams()));
              thread.setDaemon(true);
              return thread;
            });
    long interval = config.shardMonitorInterval().toMillis();
    monitor.scheduleWithFixedDelay(this::checkShards, interval, interval, TimeUnit.MILLISECONDS);
  }

  /** Notices splits, merges and closed shards, and asks Connect to hand out the new lineage. */
  private void checkShards() {
    boolean changed = false;
    for (StreamWatch stream : streams) {
      try {
        changed |= stream.changed();
      } catch (ConnectException failure) {
        // A stream recreated or gone: the connector fails, once.
        log.warn("Kinesis stream {}: {}", stream.stream(), failure.getMessage());
        context.raiseError(failure);
        monitor.shutdown();
        return;
      } catch (RuntimeException e) {
        // Transient listing failures are retried on the next run.
        log.warn("Could not list the shards of {}: {}", stream.stream(), e.getMessage());
      }
    }
    if (changed) {
      context.requestTaskReconfiguration();
    }
  }

  @Override
  public Class<? extends Task> taskClass() {
    return KinesisSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    Map<String, List<List<ShardInfo>>> families = new LinkedHashMap<>();
    streams.forEach(stream -> families.put(stream.stream(), stream.families()));
    Map<String, Integer> shares = tasksPerStream(families, maxTasks);
    List<Map<String, String>> configs = new ArrayList<>();
    for (StreamWatch stream : streams) {
      Map<String, String> streamProps = config.forStream(stream.stream());
      if (stream.createdMs() != null) {
        streamProps.put(KinesisSourceConfig.TASK_STREAM_CREATED, stream.createdMs().toString());
      }
      List<List<ShardInfo>> streamFamilies = families.get(stream.stream());
      List<List<List<ShardInfo>>> groups =
          streamFamilies.isEmpty()
              ? List.of(List.of())
              : ConnectorUtils.groupPartitions(
                  streamFamilies, Math.min(shares.get(stream.stream()), streamFamilies.size()));
      for (List<List<ShardInfo>> group : groups) {
        List<ShardInfo> taskShards = new ArrayList<>();
        group.forEach(taskShards::addAll);
        Map<String, String> task = new HashMap<>(streamProps);
        task.put(KinesisSourceConfig.TASK_SHARDS, ShardInfo.encodeAll(taskShards));
        task.put(KinesisSourceConfig.TASK_INDEX, String.valueOf(configs.size()));
        configs.add(task);
      }
    }
    return configs;
  }

  /**
   * How many of {@code maxTasks} tasks each stream gets: one each, then one at a time to the stream
   * with the most families per task, never more than it has families. Needs at least one task per
   * stream (validation says so on tasks.max).
   */
  static Map<String, Integer> tasksPerStream(
      Map<String, List<List<ShardInfo>>> families, int maxTasks) {
    Map<String, Integer> shares = new LinkedHashMap<>();
    families.keySet().forEach(stream -> shares.put(stream, 1));
    for (int left = maxTasks - families.size(); left > 0; left--) {
      String most = null;
      double mostPerTask = 1;
      for (Map.Entry<String, Integer> share : shares.entrySet()) {
        double perTask = families.get(share.getKey()).size() / (double) share.getValue();
        if (perTask > mostPerTask) {
          most = share.getKey();
          mostPerTask = perTask;
        }
      }
      if (most == null) {
        break; // every stream has a task per family
      }
      shares.merge(most, 1, Integer::sum);
    }
    return shares;
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
      KinesisSourceConfig parsed = new KinesisSourceConfig(connectorConfigs);
      String tasksMax = connectorConfigs.get("tasks.max");
      int streamCount = parsed.streams().size();
      if (tasksMax != null
          && tasksMax.strip().matches("\\d+")
          && Integer.parseInt(tasksMax.strip()) < streamCount) {
        LiveValidation.addError(
            result,
            "tasks.max",
            "Each task reads one stream: set tasks.max to at least "
                + streamCount
                + ", the number of streams in kinesis.streams");
      }
      for (String stream : parsed.streams()) {
        KinesisPreflight.check(
            new KinesisSourceConfig(parsed.forStream(stream)), parsed.streamsKey(), result);
      }
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
          || !config.streams().contains(partition.get(ShardPosition.STREAM))) {
        throw new ConnectException(
            "Partition "
                + partition
                + " is not one of this connector's: give {\"stream\": \""
                + String.join("\" or \"", config.streams())
                + "\", \"shard\": \"shardId-...\"}, as GET /connectors/<name>/offsets shows");
      }
      String problem = ShardPosition.offsetProblem(entry.getValue());
      if (problem != null) {
        throw new ConnectException(
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
