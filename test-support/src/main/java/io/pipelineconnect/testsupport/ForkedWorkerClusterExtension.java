package io.pipelineconnect.testsupport;

import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For crash tests: a {@link KafkaConnectCluster} with one in-JVM worker plus a {@link
 * ForkedConnectWorker} in the same group, which a test kills with SIGKILL. One per test class.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ForkedWorkerClusterExtension CLUSTER = ForkedWorkerClusterExtension.create();
 * }</pre>
 */
public final class ForkedWorkerClusterExtension implements BeforeAllCallback, AfterAllCallback {
  private final KafkaConnectCluster.Builder builder;
  private KafkaConnectCluster cluster;
  private ForkedConnectWorker forked;

  private ForkedWorkerClusterExtension(KafkaConnectCluster.Builder builder) {
    this.builder = builder;
  }

  /** One in-JVM worker and one forked worker. */
  public static ForkedWorkerClusterExtension create() {
    return configured(b -> {});
  }

  /** Likewise, with the cluster's builder adjusted (more in-JVM workers, exactly-once ...). */
  public static ForkedWorkerClusterExtension configured(
      Consumer<KafkaConnectCluster.Builder> settings) {
    KafkaConnectCluster.Builder builder = KafkaConnectCluster.builder().workers(1);
    settings.accept(builder);
    return new ForkedWorkerClusterExtension(builder);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    cluster = builder.start();
    forked = ForkedConnectWorker.joining(cluster).start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (forked != null) {
      forked.close();
      forked = null;
    }
    if (cluster != null) {
      cluster.close();
      cluster = null;
    }
  }

  public KafkaConnectCluster cluster() {
    return cluster;
  }

  public ForkedConnectWorker forked() {
    return forked;
  }
}
