package io.pipelineconnect.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipelineconnect.testsupport.Archives;
import io.pipelineconnect.testsupport.ConnectRest;
import io.pipelineconnect.testsupport.ConnectRuntimeClasspath;
import io.pipelineconnect.testsupport.ForkedConnectWorker;
import io.pipelineconnect.testsupport.KinesaliteExtension;
import io.pipelineconnect.testsupport.KinesaliteServer;
import io.pipelineconnect.testsupport.PostgresExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * The built Confluent Hub archive, unpacked into the plugin.path of a real Connect worker whose own
 * classpath holds none of the plugin (nor the PostgreSQL driver or the AWS SDK): all three
 * connectors load and run from it, proving lib/ is complete and the plugin isolated.
 */
class PackagedPluginIT {
  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();
  @RegisterExtension static final KinesaliteExtension KINESIS = new KinesaliteExtension();

  private static EmbeddedKafkaCluster kafka;
  private static ForkedConnectWorker worker;
  private static ConnectRest rest;
  private static Path pluginPath;

  @BeforeAll
  static void startWorkerOnTheArchive() throws IOException {
    Path archive = Path.of(System.getProperty("pipelineconnect.plugin.archive"));
    assertThat(archive).as("the archive built by ./mvnw package").exists();
    pluginPath = Files.createTempDirectory(Archives.cacheRoot(), "plugin-path-");
    Archives.unzip(archive, pluginPath);
    kafka = new EmbeddedKafkaCluster(1, new Properties());
    kafka.start();
    worker =
        ForkedConnectWorker.forBroker(kafka.bootstrapServers(), "packaged")
            .classpath(ConnectRuntimeClasspath.withoutPlugin())
            .pluginPath(pluginPath)
            .property("plugin.discovery", "service_load")
            .start();
    rest = new ConnectRest(worker.restUrl());
  }

  @AfterAll
  static void stop() throws IOException {
    if (worker != null) {
      worker.close();
    }
    if (kafka != null) {
      kafka.stop();
    }
    if (pluginPath != null) {
      Archives.deleteRecursively(pluginPath);
    }
  }

  @Test
  void libHoldsNoneOfTheWorkersOwnJars() throws IOException {
    List<String> jars = new ArrayList<>();
    try (var components = Files.list(pluginPath);
        var libs = Files.list(components.findFirst().orElseThrow().resolve("lib"))) {
      libs.forEach(jar -> jars.add(jar.getFileName().toString()));
    }
    assertThat(jars)
        .anyMatch(j -> j.startsWith("postgresql-"))
        .anyMatch(j -> j.startsWith("status-view-"));
    // A second copy of the worker's API classes would shadow the worker's own (the plugin
    // class loader looks in lib/ first), and test-support would ship a broker.
    assertThat(jars)
        .noneMatch(j -> j.startsWith("kafka-clients-"))
        .noneMatch(j -> j.startsWith("connect-"))
        .noneMatch(j -> j.startsWith("slf4j-"))
        .noneMatch(j -> j.startsWith("jakarta.ws.rs-api-"))
        .noneMatch(j -> j.startsWith("test-support-"))
        .noneMatch(j -> j.startsWith("kafka_"));
  }

  @Test
  void theWorkerFindsAllThreeConnectorsThroughServiceLoading() {
    List<String> plugins = new ArrayList<>();
    for (JsonNode plugin : rest.get("connector-plugins")) {
      plugins.add(plugin.get("class").asText() + "@" + plugin.get("version").asText());
    }
    assertThat(plugins)
        .contains(
            "io.pipelineconnect.sink.PipelineSinkConnector@0.1.0-SNAPSHOT",
            "io.pipelineconnect.kinesis.KinesisSourceConnector@0.1.0-SNAPSHOT",
            "io.pipelineconnect.emitter.EmitterSourceConnector@0.1.0-SNAPSHOT");
  }

  @Test
  void sinkAndEmitterRunFromThePluginPath() throws Exception {
    String db = PG.createDatabase();
    try (Connection c = PG.server().connect(db);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE page_views (url text, user_id bigint, latency float8)");
    }
    kafka.createTopic("views", 1);
    kafka.createTopic("emitted", 1);
    kafka.produce("views", 0, null, "/a,1,2.5");
    Map<String, String> sink = new HashMap<>();
    sink.put("connector.class", "io.pipelineconnect.sink.PipelineSinkConnector");
    sink.put("topics", "views");
    sink.put("connection.url", PG.jdbcUrl(db));
    sink.put("connection.user", "postgres");
    sink.put("stream", "page_views");
    sink.put("format", "csv");
    sink.put("start_offset", "-2");
    rest.putConnector("packaged-sink", sink);
    Map<String, String> emitter = new HashMap<>();
    emitter.put("connector.class", "io.pipelineconnect.emitter.EmitterSourceConnector");
    emitter.put("connection.url", PG.jdbcUrl(db));
    emitter.put("connection.user", "postgres");
    rest.putConnector("packaged-emitter", emitter);
    Awaitility.await("both running")
        .atMost(Duration.ofSeconds(60))
        .until(() -> rest.isRunning("packaged-sink") && rest.isRunning("packaged-emitter"));

    Awaitility.await("the sink's row")
        .atMost(Duration.ofSeconds(60))
        .until(() -> count(db, "SELECT count(*) FROM page_views") == 1);
    try (Connection c = PG.server().connect(db);
        Statement s = c.createStatement()) {
      s.execute("SELECT pipeline_kafka.produce_message('emitted', 'from the outbox'::bytea)");
    }
    ConsumerRecords<byte[], byte[]> records = kafka.consume(1, 60_000, "emitted");
    assertThat(new String(records.iterator().next().value(), StandardCharsets.UTF_8))
        .isEqualTo("from the outbox");
  }

  @Test
  void kinesisSourceRunsFromThePluginPath() {
    try (KinesisClient kinesis =
        KinesisClient.builder()
            .endpointOverride(KINESIS.server().endpoint())
            .region(Region.of(KinesaliteServer.REGION))
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
            .httpClient(UrlConnectionHttpClient.create())
            .build()) {
      kinesis.createStream(b -> b.streamName("packaged").shardCount(1));
      kinesis.waiter().waitUntilStreamExists(b -> b.streamName("packaged"));
      kinesis.putRecord(
          b ->
              b.streamName("packaged")
                  .partitionKey("k")
                  .data(SdkBytes.fromUtf8String("from kinesis")));
    }
    Map<String, String> source = new HashMap<>();
    source.put("connector.class", "io.pipelineconnect.kinesis.KinesisSourceConnector");
    source.put("kinesis.stream", "packaged");
    source.put("topic", "from-kinesis");
    source.put("start_offset", "-2");
    source.put("kinesis.url", KINESIS.server().endpoint().toString());
    source.put("kinesis.access.key.id", "a");
    source.put("kinesis.secret.access.key", "b");
    source.put("kinesis.cbor", "false");
    source.put("topic.creation.default.replication.factor", "1");
    source.put("topic.creation.default.partitions", "1");
    rest.putConnector("packaged-kinesis", source);
    ConsumerRecords<byte[], byte[]> records = kafka.consume(1, 60_000, "from-kinesis");
    assertThat(new String(records.iterator().next().value(), StandardCharsets.UTF_8))
        .isEqualTo("from kinesis");
  }

  private static long count(String db, String sql) {
    try (Connection c = PG.server().connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      return -1;
    }
  }
}
