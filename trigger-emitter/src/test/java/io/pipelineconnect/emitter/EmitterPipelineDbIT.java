package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.testsupport.ConnectClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * emit_tuple in its main PipelineDB use: the output function of a continuous transform, on the real
 * PipelineDB 1.0. PipelineDB's worker calls it for each row the transform lets through, in its own
 * transaction; the row goes into the outbox there, and the emitter relays it to Kafka.
 */
class EmitterPipelineDbIT {
  @RegisterExtension
  static final ConnectClusterExtension CONNECT = ConnectClusterExtension.withWorkers(1);

  @RegisterExtension static final PostgresExtension PIPELINE = PostgresExtension.pipelineDb();

  private KafkaConnectCluster cluster;
  private PostgresServer server;
  private String db;

  @BeforeEach
  void freshDatabase() {
    cluster = CONNECT.cluster();
    server = PIPELINE.server();
    db = PIPELINE.createDatabase();
  }

  private void sql(String... statements) throws Exception {
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement()) {
      for (String s : statements) {
        statement.execute(s);
      }
    }
  }

  private long count(String query) throws Exception {
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void aContinuousTransformEmitsTheRowsItLetsThroughToKafka() throws Exception {
    cluster.kafka().createTopic("clicks_out", 1);
    Map<String, String> props = EmitterTestConfigs.emitter(server.jdbcUrl(db), server.user(), 1);
    cluster.connect().configureConnector("emit-transform", props);
    Awaitility.await("the outbox installed")
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> count("SELECT count(*) FROM pipeline_kafka.outbox") == 0);

    sql(
        "CREATE FOREIGN TABLE clicks (url text, user_id bigint) SERVER pipelinedb",
        "CREATE VIEW clicks_out WITH (action=transform,"
            + " outputfunc=pipeline_kafka.emit_tuple('clicks_out', '-1', 'url'))"
            + " AS SELECT url, user_id FROM clicks WHERE user_id > 0",
        "INSERT INTO clicks (url, user_id) VALUES ('/a', 1), ('/b', 2), ('/hidden', -1)");

    Map<String, String> byKey = new TreeMap<>();
    Awaitility.await("the transform's two rows in Kafka")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              byKey.clear();
              cluster
                  .kafka()
                  .consumeAll(5_000, "clicks_out")
                  .forEach(
                      r ->
                          byKey.put(
                              new String(r.key(), StandardCharsets.UTF_8),
                              new String(r.value(), StandardCharsets.UTF_8)));
              return byKey.size() >= 2;
            });
    assertThat(byKey)
        .containsExactly(
            Map.entry("/a", "{\"url\":\"/a\",\"user_id\":1}"),
            Map.entry("/b", "{\"url\":\"/b\",\"user_id\":2}"));
    Awaitility.await("the relayed rows settled")
        .atMost(Duration.ofSeconds(30))
        .until(() -> count("SELECT count(*) FROM pipeline_kafka.outbox") == 0);
  }
}
