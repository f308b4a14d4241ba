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
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * KIP-618 exactly-once, the redo path: a worker dies while its tasks' messages are claimed in the
 * outbox and in flight, not yet committed to Kafka. Its own class: the test kills the forked worker
 * the class's cluster provides.
 */
class EmitterRedoIT {
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

  /**
   * The redo path under exactly-once: every message is claimed and in flight when the worker dies.
   * They are for a topic that does not exist yet, so each task's producer waits for it with its
   * transaction open, and no claimed message can reach Kafka before the kill. A claim never takes a
   * claimed message again, so the killed tasks' share arrives only if their successors relay the
   * claimed, uncommitted messages again, inside their own transactions: exactly once, all of them.
   */
  @Test
  void messagesClaimedAndInFlightWhenTheWorkerDiesAreRelayedAgainExactlyOnce() throws Exception {
    PostgresServer server = PG.server();
    String db = PG.createDatabase();
    Map<String, String> props = EmitterTestConfigs.emitter(server.jdbcUrl(db), server.user(), 4);
    props.put("exactly.once.support", "required");
    cluster.connect().configureConnector("emit-redo", props);
    cluster
        .connect()
        .assertions()
        .assertConnectorAndExactlyNumTasksAreRunning("emit-redo", 4, "not running");
    Awaitility.await("a task on the forked worker")
        .atMost(Duration.ofMinutes(3))
        .until(() -> cluster.taskWorkers("emit-redo").contains(forked.workerId()));

    int total = 400;
    try (Connection connection = server.connect(db);
        PreparedStatement produce =
            connection.prepareStatement(
                "SELECT pipeline_kafka.produce_message('eos-later', ?, NULL, ?)")) {
      // One transaction: each task claims its buckets' whole share in one poll.
      connection.setAutoCommit(false);
      for (int i = 0; i < total; i++) {
        produce.setBytes(1, ("m" + i).getBytes(StandardCharsets.UTF_8));
        produce.setBytes(2, ("k" + (i % 40)).getBytes(StandardCharsets.UTF_8));
        produce.execute();
      }
      connection.commit();
    }
    Awaitility.await("every message claimed, none delivered")
        .atMost(Duration.ofSeconds(30))
        .until(() -> count(server, db, "WHERE relay_batch IS NOT NULL") == total);
    assertThat(count(server, db, "WHERE relay_batch IS NULL")).isZero();
    forked.kill();
    cluster.kafka().createTopic("eos-later", 4);

    Awaitility.await("outbox drained")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> outboxSize(server, db) == 0);
    ConsumerRecords<byte[], byte[]> records =
        cluster
            .kafka()
            .consumeAll(60_000, Map.of("isolation.level", "read_committed"), null, "eos-later");
    Set<String> distinct = new HashSet<>();
    records.forEach(r -> distinct.add(new String(r.value(), StandardCharsets.UTF_8)));
    assertThat(distinct).hasSize(total);
    assertThat(records.count()).isEqualTo(total);
  }

  private static long count(PostgresServer server, String db, String where) {
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery("SELECT count(*) FROM pipeline_kafka.outbox " + where)) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      return -1;
    }
  }

  private static long outboxSize(PostgresServer server, String db) {
    return count(server, db, "");
  }
}
