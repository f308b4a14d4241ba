package io.pipelineconnect.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.testsupport.Archives;
import org.junit.jupiter.api.Test;

/** A stale quickstart server is stopped at start; anything else on its ports is only named. */
class QuickstartLifecycleTest {
  private static final String CACHE = Archives.cacheRoot().toString();

  @Test
  void theQuickstartsOwnServersAreRecognised() {
    assertThat(
            QuickstartLifecycle.isOurs(CACHE + "/postgres-15/bin/postgres -D " + CACHE + "/pg-1"))
        .isTrue();
    assertThat(QuickstartLifecycle.isOurs("node " + CACHE + "/kinesalite-server.js 4567")).isTrue();
    assertThat(
            QuickstartLifecycle.isOurs(
                "/usr/bin/java -cp /x/*.jar org.apache.kafka.connect.cli.ConnectDistributed "
                    + CACHE
                    + "/worker-8083-1/worker.properties"))
        .isTrue();
  }

  /** These were once stopped too: the check matched "pipeline-connect" anywhere. */
  @Test
  void aUsersOwnWorkerWithThePluginIsNotOurs() {
    assertThat(
            QuickstartLifecycle.isOurs(
                "java -cp /opt/kafka/libs/* org.apache.kafka.connect.cli.ConnectDistributed"
                    + " /home/ann/pipeline-connect/connect-distributed.properties"))
        .isFalse();
    assertThat(QuickstartLifecycle.isOurs("node /usr/lib/node_modules/kinesalite/cli.js"))
        .isFalse();
    assertThat(QuickstartLifecycle.isOurs("postgres -D /var/lib/postgresql/pipelineconnect"))
        .isFalse();
  }
}
