package io.pipelineconnect.sink;

import static io.pipelineconnect.sink.SinkTestSupport.awaitCommitted;
import static io.pipelineconnect.sink.SinkTestSupport.count;
import static io.pipelineconnect.sink.SinkTestSupport.execute;
import static io.pipelineconnect.sink.SinkTestSupport.header;
import static io.pipelineconnect.sink.SinkTestSupport.rows;
import static io.pipelineconnect.sink.SinkTestSupport.sinkConfig;
import static io.pipelineconnect.sink.SinkTestSupport.withDeadLetterQueue;
import static io.pipelineconnect.sink.SinkTestSupport.withStructValues;
import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.testsupport.ConnectClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** auto.create and auto.evolve through a real Connect cluster into real PostgreSQL. */
class ManagedTablesIT {
  @RegisterExtension
  static final ConnectClusterExtension CONNECT = ConnectClusterExtension.withWorkers(1);

  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  private static final String KEY_SCHEMA =
      "{\"type\":\"struct\",\"name\":\"shop.public.items.Key\","
          + "\"fields\":[{\"field\":\"id\",\"type\":\"int64\"}]}";
  private static final String ROW_FIELDS =
      "{\"field\":\"id\",\"type\":\"int64\"},"
          + "{\"field\":\"name\",\"type\":\"string\",\"optional\":true},"
          + "{\"field\":\"price\",\"type\":\"bytes\",\"optional\":true,"
          + "\"name\":\"org.apache.kafka.connect.data.Decimal\",\"parameters\":{\"scale\":\"2\"}},"
          + "{\"field\":\"added\",\"type\":\"int64\",\"optional\":true,"
          + "\"name\":\"io.debezium.time.MicroTimestamp\"},"
          + "{\"field\":\"tags\",\"type\":\"array\",\"optional\":true,"
          + "\"items\":{\"type\":\"string\"}}";

  private KafkaConnectCluster cluster;
  private PostgresServer server;
  private String db;

  @BeforeEach
  void freshDatabase() {
    cluster = CONNECT.cluster();
    server = PG.server();
    db = PG.createDatabase();
  }

  private static String rowSchema(String extraFields) {
    return "{\"type\":\"struct\",\"name\":\"shop.public.items.Value\",\"optional\":true,"
        + "\"fields\":["
        + ROW_FIELDS
        + extraFields
        + "]}";
  }

  private static String changeEvent(String rowSchema, String op, String after) {
    String envelope =
        "{\"type\":\"struct\",\"name\":\"shop.public.items.Envelope\",\"fields\":["
            + "{\"field\":\"before\","
            + rowSchema.substring(1, rowSchema.length() - 1)
            + "},{\"field\":\"after\","
            + rowSchema.substring(1, rowSchema.length() - 1)
            + "},{\"field\":\"source\",\"type\":\"struct\",\"fields\":"
            + "[{\"field\":\"db\",\"type\":\"string\"}]},"
            + "{\"field\":\"op\",\"type\":\"string\"}]}";
    return "{\"schema\":"
        + envelope
        + ",\"payload\":{\"before\":null,\"after\":"
        + after
        + ",\"source\":{\"db\":\"shop\"},\"op\":\""
        + op
        + "\"}}";
  }

  private static String key(long id) {
    return "{\"schema\":" + KEY_SCHEMA + ",\"payload\":{\"id\":" + id + "}}";
  }

  /**
   * A Debezium stream into a table that does not exist: created from the first event (the key as
   * primary key, the logical types as PostgreSQL's), then a source column added mid-stream (a new
   * optional field) becomes a column without stopping the stream, and older events without it still
   * land.
   */
  @Test
  void changeEventsCreateTheirTableAndAFieldAddedMidStreamBecomesAColumn() throws Exception {
    String topic = "shop.public.items";
    cluster.kafka().createTopic(topic, 2);
    String v1 = rowSchema("");
    String v2 = rowSchema(",{\"field\":\"color\",\"type\":\"string\",\"optional\":true}");
    for (long id = 0; id < 40; id++) {
      cluster
          .kafka()
          .produce(
              topic,
              (int) (id % 2),
              key(id),
              changeEvent(
                  v1,
                  "c",
                  "{\"id\":"
                      + id
                      + ",\"name\":\"n"
                      + id
                      + "\",\"price\":\"AQ==\",\"added\":1700000000123456,\"tags\":[\"a\"]}"));
    }
    Map<String, String> props = sinkConfig(cluster, server, db, topic, "public.items");
    props.put("format", "json");
    withStructValues(props);
    props.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
    props.put("key.converter.schemas.enable", "true");
    props.put("insert.mode", "upsert");
    props.put("pk.mode", "record_key");
    props.put("delete.enabled", "true");
    props.put("auto.create", "true");
    props.put("auto.evolve", "true");
    props.put("batchsize", "7");
    cluster.connect().configureConnector("items-sink", props);
    awaitCommitted(server, db, "items-sink", 40);

    assertThat(
            rows(
                server,
                db,
                "SELECT column_name || ' ' || data_type || ' ' || is_nullable"
                    + " FROM information_schema.columns WHERE table_name = 'items'"
                    + " ORDER BY ordinal_position"))
        .containsExactly(
            "id bigint NO",
            "name text YES",
            "price numeric YES",
            "added timestamp without time zone YES",
            "tags ARRAY YES");
    assertThat(
            rows(
                server,
                db,
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                    + " AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'items'::regclass"
                    + " AND i.indisprimary"))
        .containsExactly("id");

    // The source adds a column: new events carry it; one old-schema update and a delete follow.
    for (long id = 0; id < 10; id++) {
      cluster
          .kafka()
          .produce(
              topic,
              (int) (id % 2),
              key(id),
              changeEvent(
                  v2, "u", "{\"id\":" + id + ",\"name\":\"m" + id + "\",\"color\":\"red\"}"));
    }
    cluster
        .kafka()
        .produce(topic, 1, key(11), changeEvent(v1, "u", "{\"id\":11,\"name\":\"old\"}"));
    cluster.kafka().produce(topic, 0, key(12), changeEvent(v2, "d", "null"));
    awaitCommitted(server, db, "items-sink", 52);

    assertThat(count(server, db, "SELECT count(*) FROM items")).isEqualTo(39);
    assertThat(
            rows(
                server,
                db,
                "SELECT id, name, price, added, tags, color FROM items WHERE id IN (0, 9, 11, 20)"
                    + " ORDER BY id"))
        .containsExactly(
            "0|m0|null|null|null|red",
            "9|m9|null|null|null|red",
            "11|old|null|null|null|null",
            "20|n20|0.01|2023-11-14 22:13:20.123456|{a}|null");
  }

  /** A table the user made, in binary format: evolution adds the column, the rest is theirs. */
  @Test
  void anExistingTableGainsTheNewFieldsColumnInBinaryFormat() throws Exception {
    execute(server, db, "CREATE TABLE readings (id bigint, v double precision)");
    String topic = "readings-in";
    cluster.kafka().createTopic(topic, 1);
    String v1 =
        "{\"type\":\"struct\",\"fields\":[{\"field\":\"id\",\"type\":\"int64\"},"
            + "{\"field\":\"v\",\"type\":\"double\"}]}";
    String v2 =
        "{\"type\":\"struct\",\"fields\":[{\"field\":\"id\",\"type\":\"int64\"},"
            + "{\"field\":\"v\",\"type\":\"double\"},"
            + "{\"field\":\"unit\",\"type\":\"string\",\"optional\":true}]}";
    for (int i = 0; i < 25; i++) {
      String schema = i < 10 || i >= 20 ? v1 : v2;
      String payload =
          schema == v1
              ? "{\"id\":" + i + ",\"v\":" + i + ".5}"
              : "{\"id\":" + i + ",\"v\":" + i + ".5,\"unit\":\"C\"}";
      cluster
          .kafka()
          .produce(topic, 0, null, "{\"schema\":" + schema + ",\"payload\":" + payload + "}");
    }
    Map<String, String> props = sinkConfig(cluster, server, db, topic, "readings");
    props.put("format", "binary");
    withStructValues(props);
    props.put("auto.evolve", "true");
    cluster.connect().configureConnector("readings-sink", props);
    awaitCommitted(server, db, "readings-sink", 25);

    assertThat(count(server, db, "SELECT count(*) FROM readings")).isEqualTo(25);
    assertThat(count(server, db, "SELECT count(*) FROM readings WHERE unit = 'C'")).isEqualTo(10);
    assertThat(
            count(
                server,
                db,
                "SELECT count(*) FROM readings WHERE unit IS NULL AND (id < 10 OR id >= 20)"))
        .isEqualTo(15);
  }

  private static String envelope(String schema, String payload) {
    return "{\"schema\":" + schema + ",\"payload\":" + payload + "}";
  }

  /**
   * format=json with the ByteArrayConverter, the envelope read from bytes: the first envelope
   * creates the table (a message before it without a schema cannot, and goes to the DLQ), and an
   * optional field added mid-stream becomes a column while every row lands.
   */
  @Test
  void envelopesReadFromBytesCreateTheirTableAndAFieldAddedMidStreamBecomesAColumn()
      throws Exception {
    String topic = "orders-bytes";
    cluster.kafka().createTopic(topic, 1);
    String v1 =
        "{\"type\":\"struct\",\"name\":\"orders.Value\",\"fields\":["
            + "{\"field\":\"id\",\"type\":\"int64\"},"
            + "{\"field\":\"name\",\"type\":\"string\",\"optional\":true},"
            + "{\"field\":\"price\",\"type\":\"bytes\",\"optional\":true,"
            + "\"name\":\"org.apache.kafka.connect.data.Decimal\",\"parameters\":{\"scale\":\"2\"}},"
            + "{\"field\":\"at\",\"type\":\"int64\","
            + "\"name\":\"org.apache.kafka.connect.data.Timestamp\"},"
            + "{\"field\":\"sizes\",\"type\":\"array\",\"optional\":true,"
            + "\"items\":{\"type\":\"int32\",\"optional\":true}}]}";
    String v2 =
        v1.substring(0, v1.length() - 2)
            + ",{\"field\":\"color\",\"type\":\"string\",\"optional\":true}]}";
    cluster.kafka().produce(topic, 0, null, "{\"id\":-1}");
    for (long id = 0; id < 20; id++) {
      cluster
          .kafka()
          .produce(
              topic,
              0,
              null,
              envelope(
                  v1,
                  "{\"id\":"
                      + id
                      + ",\"name\":\"n"
                      + id
                      + "\",\"price\":\"AQ==\",\"at\":0,\"sizes\":[36,null,42]}"));
    }
    Map<String, String> props = sinkConfig(cluster, server, db, topic, "public.orders");
    props.put("format", "json");
    props.put("auto.create", "true");
    props.put("auto.evolve", "true");
    props.put("batchsize", "7");
    withDeadLetterQueue(props, "orders-bytes-dlq");
    cluster.connect().configureConnector("orders-bytes-sink", props);
    awaitCommitted(server, db, "orders-bytes-sink", 21);

    List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
    cluster.kafka().consume(1, 60_000, "orders-bytes-dlq").forEach(dead::add);
    assertThat(dead).hasSize(1);
    assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":-1}");
    assertThat(header(dead.get(0), "__connect.errors.exception.message")).contains("auto.create");
    assertThat(
            rows(
                server,
                db,
                "SELECT column_name || ' ' || data_type || ' ' || is_nullable"
                    + " FROM information_schema.columns WHERE table_name = 'orders'"
                    + " ORDER BY ordinal_position"))
        .containsExactly(
            "id bigint NO",
            "name text YES",
            "price numeric YES",
            "at timestamp with time zone NO",
            "sizes ARRAY YES");

    // The producer adds a field: new messages carry it, older ones without it follow in the
    // same poll.
    for (long id = 20; id < 30; id++) {
      cluster
          .kafka()
          .produce(topic, 0, null, envelope(v2, "{\"id\":" + id + ",\"at\":0,\"color\":\"red\"}"));
    }
    for (long id = 30; id < 35; id++) {
      cluster.kafka().produce(topic, 0, null, envelope(v1, "{\"id\":" + id + ",\"at\":0}"));
    }
    awaitCommitted(server, db, "orders-bytes-sink", 36);

    assertThat(count(server, db, "SELECT count(DISTINCT id) FROM orders")).isEqualTo(35);
    assertThat(count(server, db, "SELECT count(*) FROM orders")).isEqualTo(35);
    assertThat(
            rows(
                server,
                db,
                "SELECT id, name, price, sizes, color FROM orders"
                    + " WHERE id IN (0, 19, 20, 29, 30, 34) ORDER BY id"))
        .containsExactly(
            "0|n0|0.01|{36,NULL,42}|null",
            "19|n19|0.01|{36,NULL,42}|null",
            "20|null|null|null|red",
            "29|null|null|null|red",
            "30|null|null|null|null",
            "34|null|null|null|null");
    assertThat(
            rows(
                server,
                db,
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                    + " WHERE attrelid = 'orders'::regclass AND attname = 'sizes'"))
        .containsExactly("integer[]");
  }
}
