package io.pipelineconnect.sink;

import io.pipelineconnect.common.CrossFieldValidation;
import io.pipelineconnect.common.LiveValidation;
import io.pipelineconnect.common.Version;
import io.pipelineconnect.sink.copy.CopyFormatConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pipeline_kafka's {@code consume_begin} as a Kafka Connect sink: copies Kafka topics into
 * PipelineDB streams or PostgreSQL tables with COPY, offsets kept in the database.
 */
public class PipelineSinkConnector extends SinkConnector {
  private static final Logger log = LoggerFactory.getLogger(PipelineSinkConnector.class);

  private Map<String, String> props;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    PipelineSinkConfig config = new PipelineSinkConfig(props);
    this.props = Map.copyOf(props);
    log.info(
        "Starting sink {} into {}",
        props.get("name"),
        config.stream()
            .map(Object::toString)
            .or(config::streamFormat)
            .orElse("the relation each key names"));
  }

  @Override
  public Class<? extends Task> taskClass() {
    return PipelineSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    // Connect spreads the topics' partitions over the tasks through the consumer group.
    List<Map<String, String>> configs = new ArrayList<>(maxTasks);
    for (int i = 0; i < maxTasks; i++) {
      Map<String, String> task = new HashMap<>(props);
      task.put(PipelineSinkConfig.TASK_INDEX, String.valueOf(i));
      configs.add(task);
    }
    return configs;
  }

  @Override
  public void stop() {
    log.info("Stopping sink {}", props == null ? "" : props.get("name"));
  }

  @Override
  public ConfigDef config() {
    return PipelineSinkConfig.CONFIG_DEF;
  }

  /**
   * Per-key checks, then the rules that span keys, then the database as a task would find it (see
   * {@link SinkPreflight}), each error attached to the key to fix.
   */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config result =
        CrossFieldValidation.apply(
            super.validate(connectorConfigs),
            connectorConfigs,
            PipelineSinkConfig::new,
            PipelineSinkConfig.STREAM);
    ConverterFit.problem(connectorConfigs)
        .ifPresent(
            problem ->
                result.configValues().stream()
                    .filter(v -> v.name().equals(CopyFormatConfig.FORMAT))
                    .findFirst()
                    .ifPresent(v -> v.addErrorMessage(problem)));
    // The config holds together: now ask the database what a task would find at start.
    if (LiveValidation.noErrors(result)) {
      SinkPreflight.check(new PipelineSinkConfig(connectorConfigs), result);
    }
    return result;
  }

  /**
   * Keeps the database's offsets in step with the REST offsets API ({@code PATCH} / {@code DELETE
   * /connectors/{name}/offsets}), which Connect calls while the connector is stopped with exactly
   * the partitions the request names: a value sets the partition's next offset, null deletes that
   * partition's offset and no other. Only an empty map (what DELETE passes when the consumer group
   * has no committed offsets) deletes every offset of the connector.
   */
  @Override
  public boolean alterOffsets(
      Map<String, String> connectorConfig, Map<TopicPartition, Long> offsets) {
    PipelineSinkConfig config = new PipelineSinkConfig(connectorConfig);
    String name = connectorConfig.getOrDefault("name", "pipeline-sink");
    OffsetStore store = new OffsetStore(config.offsetsTable(), name);
    Map<TopicPartition, Long> set = new HashMap<>();
    List<TopicPartition> delete = new ArrayList<>();
    offsets.forEach(
        (partition, offset) -> {
          if (offset == null) {
            delete.add(partition);
          } else if (offset < 0) {
            throw new ConnectException(
                "Offset " + offset + " for " + partition + " is negative: give 0 or more");
          } else {
            set.put(partition, offset);
          }
        });
    try (Connection db = config.connection().open()) {
      db.setAutoCommit(false);
      store.createIfMissing(db);
      if (offsets.isEmpty()) {
        int deleted = store.deleteAll(db);
        log.info("Deleted all {} saved offsets of sink {}", deleted, name);
      } else {
        store.delete(db, delete);
        store.save(db, set);
        log.info("Set saved offsets of sink {}: {}; deleted {}", name, set, delete);
      }
      db.commit();
      return true;
    } catch (SQLException e) {
      throw new ConnectException(
          "Could not alter the offsets of "
              + name
              + " in "
              + config.offsetsTable()
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
