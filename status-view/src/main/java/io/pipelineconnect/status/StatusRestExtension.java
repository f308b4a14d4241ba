package io.pipelineconnect.status;

import io.pipelineconnect.common.Version;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.apache.kafka.connect.rest.ConnectRestExtension;
import org.apache.kafka.connect.rest.ConnectRestExtensionContext;

/**
 * Adds the status view to a worker's REST API ({@code rest.extension.classes} in the worker's
 * config): {@code /pipeline-connect/status} (JSON), {@code status.txt} (a terminal table) and
 * {@code status.html} (a page that refreshes itself), over every pipeline-connect connector of the
 * cluster, whichever worker runs its tasks.
 */
public final class StatusRestExtension implements ConnectRestExtension {
  @Override
  public void configure(Map<String, ?> configs) {
    // Nothing to set: the view reads the cluster's state and the tasks' metrics.
  }

  @Override
  public void register(ConnectRestExtensionContext context) {
    context
        .configurable()
        .register(
            new StatusResource(
                context.clusterState(),
                new LocalTaskMetrics(ManagementFactory.getPlatformMBeanServer()),
                new PeerTaskMetrics()));
  }

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void close() {
    // No resources of its own: the worker's REST server owns the resource.
  }
}
