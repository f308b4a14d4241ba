package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.testsupport.ForkedConnectWorker;
import io.pipelineconnect.testsupport.ForkedWorkerClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * KIP-618 exactly-once: a worker relaying the outbox is killed with SIGKILL mid-stream; a
 * read_committed consumer still sees every message exactly once.
 */
class EmitterExactlyOnceIT {
  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  @RegisterExtension
  static final ForkedWorkerClusterExtension CLUSTER =
      ForkedWorkerClusterExtension.configured(KafkaConnectCluster.Builder::exactlyOnceSource);

  private KafkaConnectCluster cluster;
  private ForkedConnectWorker forked;

  @BeforeEach
  void fixtures() {
    cluster = CLUSTER.cluster();
    forked = CLUSTER.forked();
  }

  @Test
  void aKilledWorkerLeavesNoDuplicatesForReadCommittedConsumers() throws Exception {
    PostgresServer server = PG.server();
    String db = PG.createDatabase();
    cluster.kafka().createTopic("eos", 4);
    Map<String, String> props = EmitterTestConfigs.emitter(server.jdbcUrl(db), server.user(), 4);
    props.put("exactly.once.support", "required");
    cluster.connect().configureConnector("emit-eos", props);
    cluster
        .connect()
        .assertions()
        .assertConnectorAndExactlyNumTasksAreRunning("emit-eos", 4, "not running");
    Awaitility.await("a task on the forked worker")
        .atMost(Duration.ofSeconds(60))
        .until(() -> cluster.taskWorkers("emit-eos").contains(forked.workerId()));

    int total = 3000;
    AtomicInteger written = new AtomicInteger();
    Thread writer =
        new Thread(
            () -> {
              try (Connection connection = server.connect(db);
                  PreparedStatement produce =
                      connection.prepareStatement(
                          "SELECT pipeline_kafka.produce_message('eos', ?, NULL, ?)")) {
                for (int i = 0; i < total; i++) {
                  produce.setBytes(1, ("m" + i).getBytes(StandardCharsets.UTF_8));
                  produce.setBytes(2, ("k" + (i % 50)).getBytes(StandardCharsets.UTF_8));
                  produce.execute();
                  written.incrementAndGet();
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    writer.start();
    Awaitility.await("a third written")
        .atMost(Duration.ofSeconds(60))
        .until(() -> written.get() > total / 3);
    forked.kill();
    writer.join(120_000);
    assertThat(written.get()).isEqualTo(total);

    Awaitility.await("outbox drained")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> outboxSize(server, db) == 0);
    ConsumerRecords<byte[], byte[]> records =
        cluster
            .kafka()
            .consumeAll(60_000, Map.of("isolation.level", "read_committed"), null, "eos");
    Set<String> distinct = new HashSet<>();
    records.forEach(r -> distinct.add(new String(r.value(), StandardCharsets.UTF_8)));
    assertThat(distinct).hasSize(total);
    assertThat(records.count()).isEqualTo(total);
  }

  private static long outboxSize(PostgresServer server, String db) {
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("SELECT count(*) FROM pipeline_kafka.outbox")) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      return -1;
    }
  }
}
