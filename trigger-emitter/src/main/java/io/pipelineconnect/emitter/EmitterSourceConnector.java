package io.pipelineconnect.emitter;

import io.pipelineconnect.common.CrossFieldValidation;
import io.pipelineconnect.common.LiveValidation;
import io.pipelineconnect.common.Version;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.util.ConnectorUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pipeline_kafka's {@code produce_message} and {@code emit_tuple} as a transactional outbox and a
 * source connector relaying it to Kafka: a message is produced only if its transaction commits.
 */
public class EmitterSourceConnector extends SourceConnector {
  private static final Logger log = LoggerFactory.getLogger(EmitterSourceConnector.class);

  private Map<String, String> props;
  private EmitterConfig config;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    this.props = Map.copyOf(props);
    this.config = new EmitterConfig(props);
    try {
      // A worker may start the connector while the database restarts: that must not leave it
      // FAILED (seen in the fault suite), so connection failures are retried with backoff.
      config
          .retryPolicy()
          .retryingConnectionFailures(
              this::prepareOutbox,
              (failure, waitMs) ->
                  log.warn(
                      "Could not reach {} to prepare the outbox, retrying in {} ms: {}",
                      config.connection(),
                      waitMs,
                      failure.getMessage()));
    } catch (SQLException e) {
      throw new ConnectException(
          "Could not prepare the outbox in " + config.connection() + ": " + e.getMessage(), e);
    }
  }

  private Void prepareOutbox() throws SQLException {
    try (Connection db = config.connection().open()) {
      if (config.install()) {
        OutboxInstaller.install(db, config);
        log.info("Outbox and functions installed in schema {}", config.schema());
      }
      OutboxInstaller.check(db, config.schema());
      OutboxInstaller.checkBuckets(db, config);
      if (config.outboxTable().isPresent()) {
        config.outboxTable().get().check(db, config.schema());
        log.info(
            "Rows inserted into {} are relayed through the outbox in schema {}",
            config.outboxTable().get().table(),
            config.schema());
      }
    }
    return null;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return EmitterSourceTask.class;
  }

  /** Spreads the fixed set of buckets over the tasks; a bucket's order needs one owner. */
  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Integer> buckets = IntStream.range(0, config.buckets()).boxed().toList();
    List<Map<String, String>> configs = new ArrayList<>();
    for (List<Integer> group :
        ConnectorUtils.groupPartitions(buckets, Math.min(maxTasks, buckets.size()))) {
      Map<String, String> task = new HashMap<>(props);
      task.put(
          EmitterConfig.TASK_BUCKETS,
          group.stream().map(String::valueOf).collect(Collectors.joining(",")));
      configs.add(task);
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return EmitterConfig.CONFIG_DEF;
  }

  /**
   * Per-key checks, then the rules that span keys, then the database (see {@link
   * EmitterPreflight}), each error attached to the key to fix.
   */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config result =
        CrossFieldValidation.apply(
            super.validate(connectorConfigs),
            connectorConfigs,
            EmitterConfig::new,
            EmitterConfig.SCHEMA);
    if (LiveValidation.noErrors(result)) {
      EmitterPreflight.check(new EmitterConfig(connectorConfigs), result);
    }
    return result;
  }

  /**
   * The REST offsets API: only a reset (DELETE, or PATCH with null offsets) is accepted. A bucket's
   * offset says which claimed messages Connect has committed, and the relay deletes every message
   * at or before it: moved forward, it would delete messages never delivered. After a reset the
   * claimed messages are relayed again (duplicates, never losses).
   */
  @Override
  public boolean alterOffsets(
      Map<String, String> connectorConfig, Map<Map<String, ?>, Map<String, ?>> offsets) {
    for (Map.Entry<Map<String, ?>, Map<String, ?>> entry : offsets.entrySet()) {
      if (entry.getValue() != null) {
        throw new ConnectException(
            "The emitter's offsets cannot be moved, only reset: the relay deletes every outbox"
                + " message at or before a bucket's offset, so a moved offset would delete"
                + " undelivered messages. Use DELETE /connectors/<name>/offsets (or null offsets)"
                + " to relay every claimed message again; partition "
                + entry.getKey());
      }
    }
    return true;
  }

  /**
   * Exactly once with KIP-618: a relay poll's records and their offsets commit in one producer
   * transaction, and what an aborted transaction carried is still claimed in the outbox, so it is
   * relayed again after the restart.
   */
  @Override
  public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
    return ExactlyOnceSupport.SUPPORTED;
  }
}
