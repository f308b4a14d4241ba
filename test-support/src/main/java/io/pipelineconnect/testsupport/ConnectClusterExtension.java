package io.pipelineconnect.testsupport;

import java.util.function.Consumer;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link KafkaConnectCluster} per test class, emptied of connectors after each test.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ConnectClusterExtension CLUSTER = ConnectClusterExtension.withWorkers(2);
 * }</pre>
 */
public final class ConnectClusterExtension
    implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private final KafkaConnectCluster.Builder builder;
  private KafkaConnectCluster cluster;

  private ConnectClusterExtension(KafkaConnectCluster.Builder builder) {
    this.builder = builder;
  }

  /** A cluster of one broker and the given number of in-JVM workers. */
  public static ConnectClusterExtension withWorkers(int workers) {
    return new ConnectClusterExtension(KafkaConnectCluster.builder().workers(workers));
  }

  /** A cluster whose builder the caller adjusts (exactly-once, extra worker properties ...). */
  public static ConnectClusterExtension configured(Consumer<KafkaConnectCluster.Builder> settings) {
    KafkaConnectCluster.Builder builder = KafkaConnectCluster.builder();
    settings.accept(builder);
    return new ConnectClusterExtension(builder);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    cluster = builder.start();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (cluster != null) {
      cluster.deleteAllConnectors();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (cluster != null) {
      cluster.close();
      cluster = null;
    }
  }

  public KafkaConnectCluster cluster() {
    return cluster;
  }

  /** Shorthand for {@code cluster().connect()}. */
  public EmbeddedConnectCluster connect() {
    return cluster.connect();
  }
}
