package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.testsupport.ConnectClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * emitter.outbox.table through a real Connect worker: an application's Debezium-shaped outbox table
 * is relayed as Debezium's outbox event router routes it, with the application unchanged.
 */
class EmitterOutboxTableIT {
  @RegisterExtension
  static final ConnectClusterExtension CONNECT = ConnectClusterExtension.withWorkers(1);

  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  /** Debezium's documented outbox table. */
  private static final String OUTBOX_TABLE =
      "CREATE TABLE public.outbox (id uuid PRIMARY KEY, aggregatetype varchar(255) NOT NULL,"
          + " aggregateid varchar(255) NOT NULL, type varchar(255) NOT NULL, payload jsonb)";

  private KafkaConnectCluster cluster;
  private PostgresServer server;
  private String db;

  @BeforeEach
  void fresh() {
    cluster = CONNECT.cluster();
    server = PG.server();
    db = PG.createDatabase();
  }

  private Map<String, String> emitterConfig() {
    Map<String, String> props = EmitterTestConfigs.emitter(server.jdbcUrl(db), server.user(), 2);
    props.put("emitter.outbox.table", "public.outbox");
    return props;
  }

  private static String uuid(int n) {
    return String.format("'00000000-0000-0000-0000-%012d'", n);
  }

  private static String event(int n, String type, String id, String eventType, String payload) {
    return "INSERT INTO public.outbox VALUES ("
        + uuid(n)
        + ", '"
        + type
        + "', '"
        + id
        + "', '"
        + eventType
        + "', "
        + payload
        + ")";
  }

  /**
   * Events routed by aggregate type to outbox.event.{type}, keyed by aggregate id, the payload as
   * the value, the event id and the type as headers, each aggregate's events in order; a row the
   * application deletes in its inserting transaction is relayed, a rolled-back one is not, and a
   * row routed to no valid topic stays in the outbox marked failed without failing the insert.
   */
  @Test
  void anApplicationsOutboxTableIsRelayedAsDebeziumsRouterRoutesIt() throws Exception {
    sql(OUTBOX_TABLE);
    cluster.kafka().createTopic("outbox.event.order", 2);
    cluster.kafka().createTopic("outbox.event.customer", 1);
    Map<String, String> props = emitterConfig();
    props.put("emitter.outbox.table.fields.additional.placement", "type:header:eventType");
    long before = System.currentTimeMillis();
    cluster.connect().configureConnector("emit-outbox-table", props);
    cluster
        .connect()
        .assertions()
        .assertConnectorAndAtLeastNumTasksAreRunning("emit-outbox-table", 1, "not running");

    sql(
        event(1, "order", "o-1", "OrderCreated", "'{\"total\": 10}'"),
        "BEGIN; "
            + event(2, "order", "o-1", "OrderPaid", "'{\"paid\": true}'")
            + "; DELETE FROM public.outbox WHERE id = "
            + uuid(2)
            + "; COMMIT",
        "BEGIN; " + event(3, "order", "o-2", "OrderCreated", "'{}'") + "; ROLLBACK",
        event(4, "customer", "c-1", "CustomerMoved", "NULL"),
        event(5, "order", "o-1", "OrderShipped", "'{\"via\": \"post\"}'"),
        event(6, "bad type", "x-1", "Odd", "'{}'"));

    Awaitility.await("the outbox relayed but for the failed row")
        .atMost(Duration.ofSeconds(60))
        .until(() -> count("SELECT count(*) FROM pipeline_kafka.outbox") == 1);
    List<String> orders = describe(cluster.kafka().consumeAll(10_000, "outbox.event.order"));
    assertThat(orders)
        .containsExactly(
            "o-1|{\"total\": 10}|id=" + bare(uuid(1)) + ",eventType=OrderCreated",
            "o-1|{\"paid\": true}|id=" + bare(uuid(2)) + ",eventType=OrderPaid",
            "o-1|{\"via\": \"post\"}|id=" + bare(uuid(5)) + ",eventType=OrderShipped");
    List<ConsumerRecord<byte[], byte[]>> customers = new ArrayList<>();
    cluster.kafka().consumeAll(10_000, "outbox.event.customer").forEach(customers::add);
    assertThat(describe(customers))
        .containsExactly("c-1|null|id=" + bare(uuid(4)) + ",eventType=CustomerMoved");
    assertThat(customers.get(0).timestamp())
        .as("the time the event was written")
        .isBetween(before, System.currentTimeMillis());
    assertThat(
            count(
                "SELECT count(*) FROM pipeline_kafka.outbox WHERE topic = 'outbox.event.bad type'"
                    + " AND failed_reason LIKE 'aggregatetype = ''bad type''%'"))
        .isOne();
    assertThat(count("SELECT count(*) FROM public.outbox"))
        .as("the application's rows")
        .isEqualTo(4);
  }

  /** validate() names the setting of a missing column, and the table the trigger would go on. */
  @Test
  void validationNamesTheSettingOfAColumnTheTableLacks() throws Exception {
    Map<String, String> props = emitterConfig();
    assertThat(validationErrors(props)).containsOnlyKeys("emitter.outbox.table");
    assertThat(validationErrors(props).get("emitter.outbox.table")).contains("no table");

    sql(OUTBOX_TABLE);
    assertThat(validationErrors(props)).isEmpty();
    props.put("emitter.outbox.table.field.event.key", "aggregate_id");
    assertThat(validationErrors(props)).containsOnlyKeys("emitter.outbox.table.field.event.key");
    props.remove("emitter.outbox.table.field.event.key");

    props.put("emitter.outbox.table.fields.additional.placement", "type:envelope:eventType");
    assertThat(validationErrors(props).get("emitter.outbox.table.fields.additional.placement"))
        .contains("column:header[:name]");
    props.remove("emitter.outbox.table.fields.additional.placement");

    // The outbox installed without the capture: emitter.install=false finds no trigger.
    Map<String, String> plain = new HashMap<>(props);
    plain.remove("emitter.outbox.table");
    try (Connection connection = server.connect(db)) {
      OutboxInstaller.install(connection, new EmitterConfig(plain));
    }
    props.put("emitter.install", "false");
    Map<String, String> errors = validationErrors(props);
    assertThat(errors).containsKey("emitter.outbox.table");
    assertThat(errors.get("emitter.outbox.table")).contains("has no enabled trigger");
  }

  private Map<String, String> validationErrors(Map<String, String> props) {
    props.put("name", "emit-outbox-validate");
    return cluster.validationErrors(EmitterSourceConnector.class.getSimpleName(), props);
  }

  private static String bare(String quoted) {
    return quoted.substring(1, quoted.length() - 1);
  }

  private static List<String> describe(Iterable<ConsumerRecord<byte[], byte[]>> records) {
    List<String> described = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      List<String> headers = new ArrayList<>();
      for (Header header : record.headers()) {
        headers.add(header.key() + "=" + text(header.value()));
      }
      described.add(
          text(record.key()) + "|" + text(record.value()) + "|" + String.join(",", headers));
    }
    return described;
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  private void sql(String... statements) throws SQLException {
    server.execute(db, statements);
  }

  private long count(String sql) {
    return server.queryLong(db, sql);
  }
}
