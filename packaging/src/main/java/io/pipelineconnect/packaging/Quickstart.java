package io.pipelineconnect.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pipelineconnect.testsupport.ConnectRest;
import io.pipelineconnect.testsupport.ConnectRuntimeClasspath;
import io.pipelineconnect.testsupport.ForkedConnectWorker;
import io.pipelineconnect.testsupport.KinesaliteServer;
import io.pipelineconnect.testsupport.PostgresServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * The README's main job, on embedded defaults: a KRaft broker, a Connect worker with this plugin on
 * its plugin.path (REST on localhost:8083), PostgreSQL with a {@code page_views} table, and
 * kinesalite. Registers the config examples over REST, produces page views as CSV to Kafka and as
 * JSON to Kinesis, emits every row back to Kafka through emit_tuple, and shows the rows arriving
 * until Ctrl-C, which stops everything it started.
 */
public final class Quickstart {
  static final int CONNECT_REST_PORT = 8083;
  static final int POSTGRES_PORT = 55432;
  static final int KINESALITE_PORT = 4567;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final AtomicLong produced = new AtomicLong();
  private volatile boolean stopping;

  public static void main(String[] args) throws Exception {
    // The embedded broker's start-up warnings (its controller's bootstrap records, metadata
    // log notes) are a test kit's, not the user's concern: errors only.
    for (String noisy :
        List.of("org.apache.kafka.controller", "org.apache.kafka.metadata", "kafka")) {
      Configurator.setLevel(noisy, Level.ERROR);
    }
    try {
      QuickstartLifecycle.clearEarlierRun(CONNECT_REST_PORT, POSTGRES_PORT, KINESALITE_PORT);
    } catch (IllegalStateException inTheWay) {
      System.err.println(inTheWay.getMessage());
      System.exit(1);
    }
    Quickstart quickstart = new Quickstart();
    Runtime.getRuntime().addShutdownHook(new Thread(quickstart::stopAll, "quickstart-shutdown"));
    QuickstartLifecycle.exitWithParent(() -> quickstart.stopping);
    try {
      quickstart.run();
    } catch (Exception e) {
      if (!quickstart.stopping) {
        e.printStackTrace();
        System.exit(1); // runs the shutdown hook: nothing is left running
      }
    }
  }

  private void run() throws Exception {
    Path pluginDir = Path.of(System.getProperty("pipelineconnect.plugin.dir"));
    Path examples = Path.of(System.getProperty("pipelineconnect.config.examples"));
    if (!Files.isDirectory(pluginDir)) {
      throw new IllegalStateException("No plugin at " + pluginDir + ": run ./mvnw package first");
    }

    say("Starting a KRaft Kafka broker ...");
    EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, new Properties());
    // The test kit prints its storage formatting (one very long bootstrap-metadata line) to
    // stdout; nothing in it is for the user.
    PrintStream console = System.out;
    System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    try {
      kafka.start();
    } finally {
      System.setOut(console);
    }
    started.push(kafka::stop);
    kafka.createTopic("page_views", 2);
    kafka.createTopic("page_views_out", 1);

    say("Starting PostgreSQL ...");
    PostgresServer postgres = PostgresServer.builder().port(POSTGRES_PORT).start();
    started.push(postgres);
    // The examples' tables, and the least-privileged roles they connect as (docs/security.md).
    sql(postgres, Files.readString(examples.resolve("tables.sql")));
    sql(postgres, Files.readString(examples.resolve("roles.sql")));

    say("Starting kinesalite (Kinesis) ...");
    KinesaliteServer kinesalite = KinesaliteServer.start(KINESALITE_PORT);
    started.push(kinesalite);
    KinesisClient kinesis =
        KinesisClient.builder()
            .endpointOverride(kinesalite.endpoint())
            .region(Region.US_EAST_1)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
            .httpClient(UrlConnectionHttpClient.create())
            .build();
    started.push(kinesis);
    kinesis.createStream(b -> b.streamName("page_views").shardCount(2));
    kinesis.waiter().waitUntilStreamExists(b -> b.streamName("page_views"));

    say("Starting a Connect worker with the plugin on its plugin.path ...");
    ForkedConnectWorker connect =
        ForkedConnectWorker.forBroker(kafka.bootstrapServers(), "quickstart")
            .port(CONNECT_REST_PORT)
            .classpath(ConnectRuntimeClasspath.withoutPlugin())
            .pluginPath(pluginDir)
            // The status view (docs/operations.md): a table of what each connector moves.
            .property("rest.extension.classes", "io.pipelineconnect.status.StatusRestExtension")
            .start();
    started.push(connect);
    ConnectRest rest = new ConnectRest(connect.restUrl());

    Map<String, String> overrides = new HashMap<>();
    overrides.put("connection.url", postgres.jdbcUrl("postgres"));
    overrides.put("kinesis.url", kinesalite.endpoint().toString());
    // The examples' localhost:9092 is a broker of the user's; here it is the embedded one.
    overrides.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    for (String example :
        List.of(
            "emitter-emit-tuple.json",
            "sink-csv-to-stream.json",
            "kinesis-to-topic.json",
            "sink-kinesis-topic-to-stream.json")) {
      register(rest, examples.resolve(example), overrides);
    }
    waitUntil("connectors running", Duration.ofMinutes(2), () -> allRunning(rest));
    // The emitter installed produce_message and emit_tuple: every new page view goes back to Kafka.
    sql(
        postgres,
        "DROP TRIGGER IF EXISTS page_views_out ON page_views",
        "CREATE TRIGGER page_views_out AFTER INSERT ON page_views FOR EACH ROW"
            + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('page_views_out', '-1', 'url')");

    say("");
    say("pipeline-connect quickstart is running:");
    say(
        "  Connect REST API   "
            + connect.restUrl()
            + "   curl "
            + connect.restUrl()
            + "connectors");
    say(
        "  PostgreSQL         "
            + postgres.jdbcUrl("postgres")
            + "   psql -h 127.0.0.1 -p "
            + postgres.port()
            + " -U postgres");
    say("  Kafka              " + kafka.bootstrapServers());
    say("  Kinesis            " + kinesalite.endpoint() + "   (stream page_views)");
    say(
        "  Status             "
            + connect.restUrl()
            + "pipeline-connect/status.html   (in a terminal: watch curl -s "
            + connect.restUrl()
            + "pipeline-connect/status.txt)");
    say("  Worker log         " + connect.logFile());
    say("Producing page views: CSV to Kafka topic page_views, JSON to Kinesis stream page_views.");
    say("Press Ctrl-C to stop everything.");
    say("");

    ScheduledExecutorService producers = Executors.newSingleThreadScheduledExecutor();
    started.push(producers::shutdownNow);
    KafkaProducer<byte[], byte[]> producer = kafka.createProducer(Map.of());
    started.push(producer);
    producers.scheduleAtFixedRate(() -> produce(producer, kinesis), 0, 200, TimeUnit.MILLISECONDS);

    // Only this thread may touch the consumer: Ctrl-C's hook wakes it up, this thread closes it.
    try (KafkaConsumer<byte[], byte[]> emitted =
        kafka.createConsumer(Map.of("auto.offset.reset", "earliest"))) {
      started.push(emitted::wakeup);
      emitted.assign(List.of(new TopicPartition("page_views_out", 0)));
      long emittedCount = 0;
      while (!stopping) {
        emittedCount += emitted.poll(Duration.ofSeconds(1)).count();
        printProgress(postgres, emittedCount);
      }
    } catch (WakeupException stopped) {
      // Ctrl-C: stopAll() is stopping everything else.
    }
  }

  private void produce(KafkaProducer<byte[], byte[]> producer, KinesisClient kinesis) {
    if (stopping) {
      return;
    }
    long n = produced.incrementAndGet();
    double latency = 5 + (n * 37 % 200) / 10.0;
    producer.send(
        new ProducerRecord<>(
            "page_views",
            ("/csv/page-" + (n % 7) + "," + n + "," + latency).getBytes(StandardCharsets.UTF_8)));
    String json =
        "{\"url\": \"/kinesis/page-"
            + (n % 5)
            + "\", \"user_id\": "
            + n
            + ", \"latency\": "
            + latency
            + "}";
    try {
      kinesis.putRecord(
          b ->
              b.streamName("page_views")
                  .partitionKey("user-" + n)
                  .data(SdkBytes.fromUtf8String(json)));
    } catch (RuntimeException e) {
      if (!stopping) {
        say("\nCould not put to Kinesis: " + e.getMessage());
      }
    }
  }

  private void printProgress(PostgresServer postgres, long emitted) {
    try (Connection c = postgres.connect("postgres");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FILTER (WHERE url LIKE '/csv/%'), count(*) FILTER (WHERE url LIKE '/kinesis/%')"
                    + " FROM page_views")) {
      rs.next();
      System.out.printf(
          Locale.ROOT,
          "\rpage_views rows: %,d from Kafka (CSV) + %,d from Kinesis (JSON) | emitted back to Kafka: %,d   ",
          rs.getLong(1),
          rs.getLong(2),
          emitted);
      System.out.flush();
    } catch (Exception e) {
      if (!stopping) {
        say("\n" + e.getMessage());
      }
    }
  }

  private static void register(ConnectRest rest, Path example, Map<String, String> overrides)
      throws Exception {
    JsonNode root = JSON.readTree(example.toFile());
    Map<String, String> config = new HashMap<>();
    root.get("config").properties().forEach(e -> config.put(e.getKey(), e.getValue().asText()));
    overrides.forEach((key, value) -> config.computeIfPresent(key, (k, v) -> value));
    rest.putConnector(root.get("name").asText(), config);
    say(
        "  registered "
            + root.get("name").asText()
            + " from config-examples/"
            + example.getFileName());
  }

  private static boolean allRunning(ConnectRest rest) {
    for (JsonNode name : rest.get("connectors")) {
      if (!rest.isRunning(name.asText())) {
        return false;
      }
    }
    return true;
  }

  private static void waitUntil(
      String what, Duration timeout, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Timed out waiting for " + what);
      }
      TimeUnit.MILLISECONDS.sleep(250);
    }
  }

  private static void sql(PostgresServer postgres, String... statements) throws Exception {
    try (Connection c = postgres.connect("postgres");
        Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  private void stopAll() {
    stopping = true;
    // Whoever stops us (Ctrl-C reaches Maven too, or Maven is gone), Maven no longer relays what
    // this process prints, or soon will not: say it on the terminal itself, where the user looks.
    QuickstartLifecycle.terminal().ifPresent(System::setOut);
    say("\nStopping ...");
    // Kafka's test kit deletes its data directory from a shutdown hook of its own, racing the
    // broker's orderly stop; what the broker says about that is noise.
    Configurator.setLevel("kafka", Level.OFF);
    Configurator.setLevel("org.apache.kafka", Level.OFF);
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        say("  could not stop cleanly: " + e);
      }
    }
    QuickstartLifecycle.forgetRun();
    say("Stopped.");
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
