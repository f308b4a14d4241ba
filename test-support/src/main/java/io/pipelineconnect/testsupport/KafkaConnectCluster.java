package io.pipelineconnect.testsupport;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.awaitility.Awaitility;

/**
 * A KRaft Kafka broker and a distributed Connect cluster in this JVM, from Kafka's own test kit
 * ({@link EmbeddedConnectCluster}), with the defaults that bite fixed for our tests:
 *
 * <ul>
 *   <li>offsets are flushed every second, not every 60 s;
 *   <li>a dead worker's tasks are reassigned after 5 s, not after 5 minutes;
 *   <li>the broker's transaction log has replication factor 1, so exactly-once sources work;
 *   <li>the worker's group and internal topics are named here, so that a {@link
 *       ForkedConnectWorker} can join the same cluster.
 * </ul>
 *
 * <p>Plugin discovery stays at the test kit's {@code hybrid_fail}: a connector missing from {@code
 * META-INF/services} fails the worker, as it would on a {@code service_load} worker. Starting one
 * takes about 25 s on two cores, so share it per test class ({@link ConnectClusterExtension}).
 */
public final class KafkaConnectCluster implements AutoCloseable {
  private final EmbeddedConnectCluster connect;
  private final Map<String, String> workerProperties;

  private KafkaConnectCluster(Builder builder) {
    String name = "pipeline-connect-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> worker = new HashMap<>();
    worker.put("group.id", name);
    worker.put("offset.storage.topic", name + "-offsets");
    worker.put("config.storage.topic", name + "-configs");
    worker.put("status.storage.topic", name + "-status");
    worker.put("offset.storage.replication.factor", "1");
    worker.put("config.storage.replication.factor", "1");
    worker.put("status.storage.replication.factor", "1");
    worker.put("offset.flush.interval.ms", "1000");
    worker.put("scheduled.rebalance.max.delay.ms", "5000");
    worker.put("connector.client.config.override.policy", "All");
    if (builder.exactlyOnceSource) {
      worker.put("exactly.once.source.support", "enabled");
    }
    worker.putAll(builder.workerProperties);

    Properties broker = new Properties();
    broker.put("transaction.state.log.replication.factor", "1");
    broker.put("transaction.state.log.min.isr", "1");
    broker.put("group.initial.rebalance.delay.ms", "0");
    broker.putAll(builder.brokerProperties);

    this.connect =
        new EmbeddedConnectCluster.Builder()
            .name(name)
            .numWorkers(builder.workers)
            .numBrokers(1)
            .workerProps(worker)
            .brokerProps(broker)
            .build();
    this.workerProperties = worker;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts the broker and the workers; returns once every worker is healthy. */
  public KafkaConnectCluster start() {
    connect.start();
    Awaitility.await("all Connect workers healthy")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(connect::allWorkersHealthy);
    return this;
  }

  /** The Connect cluster: REST calls and {@code assertions()}. */
  public EmbeddedConnectCluster connect() {
    return connect;
  }

  /** The Kafka cluster: topics, producers, consumers. */
  public EmbeddedKafkaCluster kafka() {
    return connect.kafka();
  }

  public String bootstrapServers() {
    return connect.kafka().bootstrapServers();
  }

  /**
   * The properties a worker needs to join this Connect cluster: bootstrap servers, group, internal
   * topics, converters and the test defaults above. REST listener settings are not included.
   */
  public Map<String, String> joiningWorkerProperties() {
    Map<String, String> props = new LinkedHashMap<>(workerProperties);
    props.put("bootstrap.servers", bootstrapServers());
    props.remove("listeners");
    props.remove("rest.host.name");
    props.remove("rest.port");
    return props;
  }

  /** The ids of the workers running the connector's tasks (as its status reports them). */
  public Set<String> taskWorkers(String connector) {
    Set<String> workers = new HashSet<>();
    for (ConnectorStateInfo.TaskState task : connect.connectorStatus(connector).tasks()) {
      workers.add(task.workerId());
    }
    return workers;
  }

  /**
   * What Connect's validate endpoint says of a config: each key with errors, its errors joined by "
   * | ".
   */
  public Map<String, String> validationErrors(String connectorClass, Map<String, String> config) {
    Map<String, String> errors = new LinkedHashMap<>();
    connect.validateConnectorConfig(connectorClass, config).configs().stream()
        .filter(v -> !v.configValue().errors().isEmpty())
        .forEach(
            v -> errors.put(v.configValue().name(), String.join(" | ", v.configValue().errors())));
    return errors;
  }

  /** Deletes every connector, so the next test starts from an empty cluster. */
  public void deleteAllConnectors() {
    for (String name : connect.connectors()) {
      connect.deleteConnector(name);
    }
    Awaitility.await("all connectors deleted")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> connect.connectors().isEmpty());
  }

  @Override
  public void close() {
    connect.stop();
  }

  public static final class Builder {
    private int workers = 2;
    private boolean exactlyOnceSource;
    private final Map<String, String> workerProperties = new HashMap<>();
    private final Map<String, String> brokerProperties = new HashMap<>();

    /** Number of in-JVM workers (default 2). */
    public Builder workers(int workers) {
      this.workers = workers;
      return this;
    }

    /** Turns on KIP-618 exactly-once support for source connectors on every worker. */
    public Builder exactlyOnceSource() {
      this.exactlyOnceSource = true;
      return this;
    }

    public Builder workerProperty(String key, String value) {
      workerProperties.put(key, value);
      return this;
    }

    public Builder brokerProperty(String key, String value) {
      brokerProperties.put(key, value);
      return this;
    }

    public KafkaConnectCluster build() {
      return new KafkaConnectCluster(this);
    }

    public KafkaConnectCluster start() {
      return build().start();
    }
  }
}
