package io.pipelineconnect.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pipelineconnect.testsupport.Archives;
import io.pipelineconnect.testsupport.ConnectRest;
import io.pipelineconnect.testsupport.ConnectRuntimeClasspath;
import io.pipelineconnect.testsupport.ForkedConnectWorker;
import io.pipelineconnect.testsupport.PostgresExtension;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The status view on a cluster of two stock workers, each with the plugin unpacked from the Hub
 * archive and the extension named in {@code rest.extension.classes}: either worker shows every
 * task's figures, also those of the tasks the other worker runs, and a dead worker's tasks are
 * named as having none rather than shown as zero.
 */
class StatusViewIT {
  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int ROWS = 1_001;

  private static EmbeddedKafkaCluster kafka;
  private static ForkedConnectWorker first;
  private static ForkedConnectWorker second;
  private static Path pluginPath;

  @BeforeAll
  static void startTwoWorkersOnTheArchive() throws IOException {
    Path archive = Path.of(System.getProperty("pipelineconnect.plugin.archive"));
    pluginPath = Files.createTempDirectory(Archives.cacheRoot(), "plugin-path-");
    Archives.unzip(archive, pluginPath);
    kafka = new EmbeddedKafkaCluster(1, new Properties());
    kafka.start();
    first = worker().start();
    second = worker().start();
  }

  private static ForkedConnectWorker.Builder worker() {
    return ForkedConnectWorker.forBroker(kafka.bootstrapServers(), "status-view")
        .classpath(ConnectRuntimeClasspath.withoutPlugin())
        .pluginPath(pluginPath)
        .property("plugin.discovery", "service_load")
        .property("rest.extension.classes", "io.pipelineconnect.status.StatusRestExtension");
  }

  @AfterAll
  static void stop() throws IOException {
    for (ForkedConnectWorker worker : new ForkedConnectWorker[] {first, second}) {
      if (worker != null) {
        worker.close();
      }
    }
    if (kafka != null) {
      kafka.stop();
    }
    if (pluginPath != null) {
      Archives.deleteRecursively(pluginPath);
    }
  }

  private static HttpResponse<String> get(ForkedConnectWorker worker, String path)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(worker.restUrl().resolve(path))
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode connector(ForkedConnectWorker worker, String name) throws Exception {
    for (JsonNode connector :
        JSON.readTree(get(worker, "pipeline-connect/status").body()).path("connectors")) {
      if (connector.path("name").asText().equals(name)) {
        return connector;
      }
    }
    return JSON.missingNode();
  }

  @Test
  void eitherWorkerShowsEveryTasksFiguresAndADeadWorkersTasksAreNamed() throws Exception {
    String db = PG.createDatabase();
    try (Connection c = PG.server().connect(db);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE page_views (url text, user_id bigint, latency float8)");
    }
    kafka.createTopic("views", 2);
    ConnectRest rest = new ConnectRest(first.restUrl());
    Map<String, String> sink = new HashMap<>();
    sink.put("connector.class", "io.pipelineconnect.sink.PipelineSinkConnector");
    sink.put("topics", "views");
    sink.put("tasks.max", "2");
    sink.put("connection.url", PG.jdbcUrl(db));
    sink.put("connection.user", "postgres");
    sink.put("stream", "page_views");
    sink.put("format", "csv");
    sink.put("start_offset", "-2");
    rest.putConnector("views-sink", sink);
    Map<String, String> emitter = new HashMap<>();
    emitter.put("connector.class", "io.pipelineconnect.emitter.EmitterSourceConnector");
    emitter.put("connection.url", PG.jdbcUrl(db));
    emitter.put("connection.user", "postgres");
    emitter.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    rest.putConnector("outbox", emitter);
    Awaitility.await("both running, their tasks on both workers")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                rest.isRunning("views-sink")
                    && rest.isRunning("outbox")
                    && taskWorkers(rest).size() == 2);

    try (KafkaProducer<byte[], byte[]> producer = kafka.createProducer(Map.of())) {
      for (int i = 0; i < ROWS; i++) {
        producer.send(
            new ProducerRecord<>(
                "views", i % 2, null, ("/p," + i + ",1.5").getBytes(StandardCharsets.UTF_8)));
      }
    }
    kafka.createTopic("emitted", 1);
    try (Connection c = PG.server().connect(db);
        Statement s = c.createStatement()) {
      for (int i = 0; i < 5; i++) {
        s.execute("SELECT pipeline_kafka.produce_message('emitted', 'm" + i + "'::bytea)");
      }
    }

    for (ForkedConnectWorker worker : new ForkedConnectWorker[] {first, second}) {
      Awaitility.await("every row and message counted, seen from " + worker.workerId())
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  connector(worker, "views-sink").path("summary").path("total").asLong() == ROWS
                      && connector(worker, "outbox").path("summary").path("total").asLong() == 5);
      JsonNode sinkStatus = connector(worker, "views-sink");
      assertThat(sinkStatus.path("kind").asText()).isEqualTo("sink");
      assertThat(sinkStatus.path("tasks")).hasSize(2);
      // Every task's figures, wherever it runs (one may have 0 rows: a consumer that joined
      // late finds the other holding both partitions until the group rebalances).
      for (JsonNode task : sinkStatus.path("tasks")) {
        assertThat(task.path("metrics").has("rows-committed-total"))
            .as("task %s on %s: %s", task.path("id"), task.path("worker_id"), task)
            .isTrue();
      }

      HttpResponse<String> text = get(worker, "pipeline-connect/status.txt");
      assertThat(text.statusCode()).isEqualTo(200);
      assertThat(text.body())
          .containsPattern(
              "views-sink +sink +RUNNING +2/2 +[0-9.,]+ +1,001 +0 records +0 bad, 0 to DLQ")
          .containsPattern("outbox +emitter +RUNNING +1/1 +[0-9.,]+ +5 +0 waiting");
      HttpResponse<String> html = get(worker, "pipeline-connect/status.html");
      assertThat(html.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
      assertThat(html.body())
          .contains("<td>views-sink</td>")
          .contains("<td class=\"n\">1,001</td>");
    }
    assertThat(count(db)).isEqualTo(ROWS);

    // SIGKILL one worker: until the group reassigns its tasks (minutes, by default), the other
    // names them as without figures instead of counting them as zero.
    String dead = second.workerId();
    second.kill();
    String text = get(first, "pipeline-connect/status.txt").body();
    assertThat(text)
        .containsPattern("task \\d on " + dead.replace(".", "\\.") + ": no figures \\(");
  }

  private static Set<String> taskWorkers(ConnectRest rest) {
    Set<String> workers = new HashSet<>();
    for (String name : new String[] {"views-sink", "outbox"}) {
      for (JsonNode task : rest.status(name).path("tasks")) {
        workers.add(task.path("worker_id").asText());
      }
    }
    return workers;
  }

  private static long count(String db) throws Exception {
    try (Connection c = PG.server().connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM page_views")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
