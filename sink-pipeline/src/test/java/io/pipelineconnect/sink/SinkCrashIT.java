package io.pipelineconnect.sink;

import static io.pipelineconnect.sink.SinkTestSupport.count;
import static io.pipelineconnect.sink.SinkTestSupport.execute;
import static io.pipelineconnect.sink.SinkTestSupport.sinkConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.testsupport.ForkedConnectWorker;
import io.pipelineconnect.testsupport.ForkedWorkerClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Exactly-once into a table through the failures Connect lives with: a worker killed with SIGKILL
 * mid-stream, a task restart and rebalances. Every message must end up as exactly one row.
 */
class SinkCrashIT {
  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  @RegisterExtension
  static final ForkedWorkerClusterExtension CLUSTER = ForkedWorkerClusterExtension.create();

  private KafkaConnectCluster cluster;
  private ForkedConnectWorker forked;

  @BeforeEach
  void fixtures() {
    cluster = CLUSTER.cluster();
    forked = CLUSTER.forked();
  }

  @Test
  void killRestartAndRebalanceLeaveEveryMessageExactlyOnce() throws Exception {
    PostgresServer server = PG.server();
    String db = PG.createDatabase();
    execute(server, db, "CREATE TABLE events (id bigint NOT NULL, payload text)");
    String topic = "crash-in";
    cluster.kafka().createTopic(topic, 4);
    Map<String, String> props = sinkConfig(cluster, server, db, topic, "events");
    props.put("tasks.max", "4");
    props.put("batchsize", "50");
    cluster.connect().configureConnector("crash-sink", props);
    cluster
        .connect()
        .assertions()
        .assertConnectorAndExactlyNumTasksAreRunning("crash-sink", 4, "not running");
    awaitTaskOn("crash-sink", forked.workerId());

    int total = 20_000;
    try (KafkaProducer<byte[], byte[]> producer = cluster.kafka().createProducer(Map.of())) {
      int sent = 0;
      sent = send(producer, topic, sent, 5_000);
      Awaitility.await("rows arriving")
          .atMost(Duration.ofSeconds(60))
          .until(() -> count(server, db, "SELECT count(*) FROM events") > 1_000);

      forked.kill(); // mid-stream: no final commit, no leaving the group
      sent = send(producer, topic, sent, 5_000);
      awaitAllTasksRunningOnSurvivors("crash-sink");

      cluster.connect().restartTask("crash-sink", 0);
      sent = send(producer, topic, sent, 5_000);

      forked.start(); // a rebalance hands partitions back to the new worker
      sent = send(producer, topic, sent, total - sent);
      assertThat(sent).isEqualTo(total);
    }

    Awaitility.await("all messages written")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> count(server, db, "SELECT count(*) FROM events") >= total);
    Awaitility.await("offsets committed for everything")
        .atMost(Duration.ofMinutes(1))
        .until(
            () ->
                count(
                        server,
                        db,
                        "SELECT sum(next_offset) FROM pipeline_connect.sink_offsets WHERE connector = 'crash-sink'")
                    == total);
    assertThat(count(server, db, "SELECT count(*) FROM events")).isEqualTo(total);
    assertThat(count(server, db, "SELECT count(DISTINCT id) FROM events")).isEqualTo(total);
  }

  /**
   * The same failures under insert.mode=upsert: 500 keys, each updated many times with a rising
   * version. Every key must end at its last version, and a trigger's audit of the applied changes
   * must hold no (key, version) twice: a batch applied again after the kill, or an older batch
   * applied after a newer one by a zombie, would leave one.
   */
  @Test
  void upsertsThroughKillRestartAndRebalanceApplyEachBatchOnceAndEndAtTheLastVersion()
      throws Exception {
    PostgresServer server = PG.server();
    String db = PG.createDatabase();
    execute(
        server,
        db,
        "CREATE TABLE latest (id text PRIMARY KEY, version bigint NOT NULL)",
        "CREATE TABLE applied (id text, version bigint)",
        "CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " INSERT INTO applied VALUES (NEW.id, NEW.version); RETURN NEW; END $$",
        "CREATE TRIGGER audit AFTER INSERT OR UPDATE ON latest FOR EACH ROW EXECUTE FUNCTION"
            + " audit()");
    String topic = "crash-upsert-in";
    cluster.kafka().createTopic(topic, 4);
    Map<String, String> props = sinkConfig(cluster, server, db, topic, "latest");
    props.put("tasks.max", "4");
    props.put("batchsize", "50");
    props.put("format", "json");
    props.put("insert.mode", "upsert");
    props.put("pk.mode", "record_key");
    cluster.connect().configureConnector("crash-upsert", props);
    cluster
        .connect()
        .assertions()
        .assertConnectorAndExactlyNumTasksAreRunning("crash-upsert", 4, "not running");
    awaitTaskOn("crash-upsert", forked.workerId());

    int keys = 500;
    int total = 20_000;
    try (KafkaProducer<byte[], byte[]> producer = cluster.kafka().createProducer(Map.of())) {
      int sent = sendVersions(producer, topic, 0, 5_000, keys);
      Awaitility.await("changes arriving")
          .atMost(Duration.ofSeconds(60))
          .until(() -> count(server, db, "SELECT count(*) FROM applied") > 1_000);

      forked.kill();
      sent = sendVersions(producer, topic, sent, 5_000, keys);
      awaitAllTasksRunningOnSurvivors("crash-upsert");

      cluster.connect().restartTask("crash-upsert", 0);
      sent = sendVersions(producer, topic, sent, 5_000, keys);

      forked.start();
      sent = sendVersions(producer, topic, sent, total - sent, keys);
      assertThat(sent).isEqualTo(total);
    }

    Awaitility.await("offsets committed for everything")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                count(
                        server,
                        db,
                        "SELECT sum(next_offset) FROM pipeline_connect.sink_offsets WHERE connector = 'crash-upsert'")
                    == total);
    // Version i went to key i % keys, so key k's last version is the largest i below total.
    assertThat(count(server, db, "SELECT count(*) FROM latest")).isEqualTo(keys);
    assertThat(
            count(
                server,
                db,
                "SELECT count(*) FROM latest WHERE version <> "
                    + (total - keys)
                    + " + substr(id, 2)::int"))
        .isZero();
    assertThat(count(server, db, "SELECT count(*) FROM applied"))
        .isEqualTo(count(server, db, "SELECT count(*) FROM (SELECT DISTINCT * FROM applied) a"));
  }

  private static int sendVersions(
      KafkaProducer<byte[], byte[]> producer, String topic, int from, int n, int keys) {
    for (int i = from; i < from + n; i++) {
      producer.send(
          new ProducerRecord<>(
              topic,
              ("k" + i % keys).getBytes(StandardCharsets.UTF_8),
              ("{\"version\": " + i + "}").getBytes(StandardCharsets.UTF_8)));
    }
    producer.flush();
    return from + n;
  }

  private static int send(KafkaProducer<byte[], byte[]> producer, String topic, int from, int n) {
    for (int i = from; i < from + n; i++) {
      producer.send(
          new ProducerRecord<>(topic, (i + "\tevent " + i).getBytes(StandardCharsets.UTF_8)));
    }
    producer.flush();
    return from + n;
  }

  private void awaitTaskOn(String connector, String workerId) {
    Awaitility.await("a task on " + workerId)
        .atMost(Duration.ofSeconds(60))
        .until(() -> cluster.taskWorkers(connector).contains(workerId));
  }

  private void awaitAllTasksRunningOnSurvivors(String connector) {
    Awaitility.await("tasks moved off the killed worker")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              ConnectorStateInfo status = cluster.connect().connectorStatus(connector);
              return status.tasks().size() == 4
                  && status.tasks().stream().allMatch(t -> "RUNNING".equals(t.state()))
                  && !cluster.taskWorkers(connector).contains(forked.workerId());
            });
  }
}
