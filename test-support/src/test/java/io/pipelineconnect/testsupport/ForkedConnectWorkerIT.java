package io.pipelineconnect.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Connect test cluster: two in-JVM workers plus a forked worker in the same group. Killing the
 * forked worker with SIGKILL moves its tasks to the survivors, and it can rejoin.
 */
class ForkedConnectWorkerIT {
  private static KafkaConnectCluster cluster;
  private static ForkedConnectWorker forked;

  @BeforeAll
  static void startCluster() {
    cluster = KafkaConnectCluster.builder().workers(2).start();
    forked = ForkedConnectWorker.joining(cluster).start();
  }

  @AfterAll
  static void stopCluster() {
    if (forked != null) {
      forked.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void killedWorkersTasksMoveToSurvivorsAndItCanRejoin() throws Exception {
    cluster.kafka().createTopic("ticks", 1);
    cluster
        .connect()
        .configureConnector(
            "ticks",
            Map.of(
                "connector.class",
                TickSourceConnector.class.getName(),
                "tasks.max",
                "4",
                TickSourceConnector.TOPIC,
                "ticks"));
    cluster
        .connect()
        .assertions()
        .assertConnectorAndExactlyNumTasksAreRunning("ticks", 4, "ticks did not start");

    // All three workers are one group: the forked worker gets a share of the tasks.
    awaitTasks("a task on the forked worker", workers -> workers.contains(forked.workerId()));
    long pidBefore = forked.pid();

    forked.kill();
    assertThat(forked.isRunning()).isFalse();
    assertThat(ProcessHandle.of(pidBefore).map(ProcessHandle::isAlive).orElse(false)).isFalse();

    // After the session timeout and the scheduled rebalance delay, the survivors take the tasks.
    awaitTasks("all tasks on the in-JVM workers", workers -> !workers.contains(forked.workerId()));
    cluster
        .connect()
        .assertions()
        .assertConnectorAndExactlyNumTasksAreRunning("ticks", 4, "tasks did not move");
    long before = cluster.kafka().endOffset(new org.apache.kafka.common.TopicPartition("ticks", 0));
    Awaitility.await("ticks keep flowing after the kill")
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cluster.kafka().endOffset(new org.apache.kafka.common.TopicPartition("ticks", 0))
                    > before + 20);

    forked.start();
    assertThat(forked.isHealthy()).isTrue();
    assertThat(forked.pid()).isNotEqualTo(pidBefore);
  }

  private void awaitTasks(String what, java.util.function.Predicate<Set<String>> condition) {
    Awaitility.await(what)
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              ConnectorStateInfo status = cluster.connect().connectorStatus("ticks");
              Set<String> workers =
                  status.tasks().stream()
                      .filter(t -> "RUNNING".equals(t.state()))
                      .map(ConnectorStateInfo.AbstractState::workerId)
                      .collect(Collectors.toSet());
              return status.tasks().size() == 4
                  && status.tasks().stream().allMatch(t -> "RUNNING".equals(t.state()))
                  && condition.test(workers);
            });
  }
}
