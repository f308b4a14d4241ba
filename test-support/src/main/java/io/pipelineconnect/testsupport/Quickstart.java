package io.pipelineconnect.testsupport;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * The README's main job: starts the embedded servers a user needs to try the plugin on a laptop (a
 * KRaft broker, a Connect worker with REST on port 8083, PostgreSQL with a {@code page_views}
 * table, and kinesalite), prints where they listen, and keeps running until Ctrl-C, when it stops
 * everything it started.
 */
public final class Quickstart {
  static final int CONNECT_REST_PORT = 8083;
  static final int POSTGRES_PORT = 55432;
  static final int KINESALITE_PORT = 4567;

  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  public static void main(String[] args) throws Exception {
    Quickstart quickstart = new Quickstart();
    Runtime.getRuntime().addShutdownHook(new Thread(quickstart::stopAll, "quickstart-shutdown"));
    quickstart.startAll();
    new CountDownLatch(1).await();
  }

  private void startAll() throws Exception {
    say("Starting a KRaft Kafka broker ...");
    Properties broker = new Properties();
    broker.put("transaction.state.log.replication.factor", "1");
    broker.put("transaction.state.log.min.isr", "1");
    EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, broker);
    kafka.start();
    started.push(kafka::stop);

    say("Starting PostgreSQL ...");
    PostgresServer postgres = PostgresServer.builder().port(POSTGRES_PORT).start();
    started.push(postgres);
    try (Connection connection = postgres.connect("postgres");
        Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TABLE IF NOT EXISTS page_views"
              + " (url text, user_id bigint, latency float8, viewed_at timestamptz DEFAULT now())");
    }

    say("Starting kinesalite (Kinesis) ...");
    KinesaliteServer kinesalite = KinesaliteServer.start(KINESALITE_PORT);
    started.push(kinesalite);

    say("Starting a Connect worker ...");
    Map<String, String> worker = new LinkedHashMap<>();
    worker.put("bootstrap.servers", kafka.bootstrapServers());
    worker.put("group.id", "pipeline-connect-quickstart");
    worker.put("offset.storage.topic", "quickstart-offsets");
    worker.put("config.storage.topic", "quickstart-configs");
    worker.put("status.storage.topic", "quickstart-status");
    worker.put("offset.storage.replication.factor", "1");
    worker.put("config.storage.replication.factor", "1");
    worker.put("status.storage.replication.factor", "1");
    worker.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    worker.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    worker.put("offset.flush.interval.ms", "5000");
    ForkedConnectWorker connect =
        ForkedConnectWorker.withProperties(worker).port(CONNECT_REST_PORT).start();
    started.push(connect);

    say("");
    say("pipeline-connect quickstart is running:");
    say("  Kafka bootstrap servers  " + kafka.bootstrapServers());
    say(
        "  Connect REST API         "
            + connect.restUrl()
            + "  (curl "
            + connect.restUrl()
            + "connectors)");
    say(
        "  PostgreSQL               "
            + postgres.jdbcUrl("postgres")
            + "  user postgres, no password  (psql -h 127.0.0.1 -p "
            + postgres.port()
            + " -U postgres)");
    say("  Kinesis (kinesalite)     " + kinesalite.endpoint());
    say("  Connect worker log       " + connect.logFile());
    say("Press Ctrl-C to stop everything.");
  }

  private void stopAll() {
    say("Stopping ...");
    // Kafka's test kit deletes its data directory from a shutdown hook of its own, racing the
    // broker's orderly stop below; what the broker says about that is noise.
    Configurator.setLevel("kafka", Level.OFF);
    Configurator.setLevel("org.apache.kafka", Level.OFF);
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        say("  could not stop cleanly: " + e);
      }
    }
    say("Stopped.");
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
