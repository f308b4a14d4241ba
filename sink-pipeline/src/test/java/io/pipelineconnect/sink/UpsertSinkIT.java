package io.pipelineconnect.sink;

import static io.pipelineconnect.sink.SinkTestSupport.STRINGS;
import static io.pipelineconnect.sink.SinkTestSupport.awaitCommitted;
import static io.pipelineconnect.sink.SinkTestSupport.count;
import static io.pipelineconnect.sink.SinkTestSupport.execute;
import static io.pipelineconnect.sink.SinkTestSupport.header;
import static io.pipelineconnect.sink.SinkTestSupport.rows;
import static io.pipelineconnect.sink.SinkTestSupport.sinkConfig;
import static io.pipelineconnect.sink.SinkTestSupport.withDeadLetterQueue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.testsupport.ConnectClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** insert.mode=upsert/update through a real Connect cluster into real PostgreSQL tables. */
class UpsertSinkIT {
  @RegisterExtension
  static final ConnectClusterExtension CONNECT = ConnectClusterExtension.withWorkers(2);

  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  private static final String JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter";

  private KafkaConnectCluster cluster;
  private PostgresServer server;
  private String db;

  @BeforeEach
  void freshDatabase() {
    cluster = CONNECT.cluster();
    server = PG.server();
    db = PG.createDatabase();
  }

  private Map<String, String> upsertConfig(String topic, String table) {
    Map<String, String> props = sinkConfig(cluster, server, db, topic, table);
    props.put("key.converter", STRINGS);
    props.put("value.converter", STRINGS);
    props.put("format", "json");
    props.put("insert.mode", "upsert");
    props.put("pk.mode", "record_key");
    props.put("delete.enabled", "true");
    return props;
  }

  @Test
  void upsertsAndDeletesOfOneKeyInsideABatchAndAcrossBatchesEndAsTheLastOneSays() throws Exception {
    execute(
        server,
        db,
        "CREATE TABLE kv (id int PRIMARY KEY, v text NOT NULL)",
        "INSERT INTO kv VALUES (5, 'old'), (6, 'kept')");
    cluster.kafka().createTopic("kv-in", 1);
    String[][] first = {
      {"1", "{\"id\": 1, \"v\": \"a\"}"},
      {"1", "{\"v\": \"b\"}"}, // the key supplies the id
      {"2", "{\"v\": \"x\"}"},
      {"1", null}, // inserted, updated, deleted: gone
      {"2", "{\"v\": \"y\"}"},
      {"3", "{\"v\": \"p\"}"},
      {"3", null},
      {"3", "{\"v\": \"q\"}"}, // deleted, then inserted again: present
      {"4", "{\"v\": \"z\"}"},
      {"4", null},
      {"7", null}, // a delete of a key that never existed
    };
    for (String[] message : first) {
      cluster.kafka().produce("kv-in", 0, message[0], message[1]);
    }
    Map<String, String> props = upsertConfig("kv-in", "kv");
    cluster.connect().configureConnector("kv-sink", props);

    awaitCommitted(server, db, "kv-sink", first.length);
    assertThat(rows(server, db, "SELECT id, v FROM kv ORDER BY id"))
        .containsExactly("2|y", "3|q", "5|old", "6|kept");

    String[][] second = {
      {"2", null}, {"1", "{\"v\": \"again\"}"}, {"3", "{\"v\": \"r\"}"}, {"5", "{\"v\": \"new\"}"}
    };
    for (String[] message : second) {
      cluster.kafka().produce("kv-in", 0, message[0], message[1]);
    }
    awaitCommitted(server, db, "kv-sink", first.length + second.length);
    assertThat(rows(server, db, "SELECT id, v FROM kv ORDER BY id"))
        .containsExactly("1|again", "3|r", "5|new", "6|kept");
  }

  @Test
  void updateModeChangesOnlyRowsThatExist() throws Exception {
    execute(
        server,
        db,
        "CREATE TABLE accounts (id int PRIMARY KEY, balance int)",
        "INSERT INTO accounts VALUES (1, 10), (2, 20)");
    cluster.kafka().createTopic("accounts-in", 1);
    cluster.kafka().produce("accounts-in", 0, null, "{\"id\": 1, \"balance\": 11}");
    cluster.kafka().produce("accounts-in", 0, null, "{\"id\": 3, \"balance\": 33}");
    cluster.kafka().produce("accounts-in", 0, null, "{\"id\": 1, \"balance\": 12}");
    Map<String, String> props = upsertConfig("accounts-in", "accounts");
    props.put("insert.mode", "update");
    props.put("pk.mode", "record_value");
    props.put("delete.enabled", "false");
    cluster.connect().configureConnector("accounts-sink", props);

    awaitCommitted(server, db, "accounts-sink", 3);
    assertThat(rows(server, db, "SELECT id, balance FROM accounts ORDER BY id"))
        .containsExactly("1|12", "2|20");
  }

  /**
   * Read as Structs by the worker's JsonConverter, or from bytes (ByteArrayConverter) by the sink's
   * own envelope reader, whose after's schema renders the Debezium MicroTimestamp column.
   */
  @ParameterizedTest
  @ValueSource(strings = {"structs", "bytes"})
  void debeziumChangeEventsLeaveTheTargetEqualToTheSourceTheyDescribe(String read)
      throws Exception {
    String topic = "cdc-in-" + read;
    execute(
        server,
        db,
        "CREATE TABLE items (id bigint PRIMARY KEY, name text, qty int, updated_at timestamp,"
            + " price numeric)");
    cluster.kafka().createTopic(topic, 3);
    // A source table, modelled: random inserts, updates and deletes (each delete followed by its
    // tombstone, as Debezium sends them), keys spread over three partitions.
    Random random = new Random(42);
    TreeMap<Long, String> source = new TreeMap<>();
    int events = 0;
    for (int i = 0; i < 1200; i++) {
      long id = random.nextInt(60);
      int partition = (int) (id % 3);
      String key = "{\"schema\":" + KEY_SCHEMA + ",\"payload\":{\"id\":" + id + "}}";
      String before = source.containsKey(id) ? row(id, source.get(id)) : "null";
      if (source.containsKey(id) && random.nextInt(10) < 3) {
        cluster.kafka().produce(topic, partition, key, event("d", before, "null"));
        cluster.kafka().produce(topic, partition, key, null);
        source.remove(id);
        events += 2;
      } else {
        String state = "n" + i + "|" + random.nextInt(1000) + "|" + (1_700_000_000_000_000L + i);
        String op = source.containsKey(id) ? "u" : (i % 5 == 0 ? "r" : "c");
        cluster.kafka().produce(topic, partition, key, event(op, before, row(id, state)));
        source.put(id, state);
        events++;
      }
    }
    // A truncate event is not replayed.
    cluster.kafka().produce(topic, 0, null, event("t", "null", "null"));
    events++;
    Map<String, String> props = sinkConfig(cluster, server, db, topic, "items");
    props.put("key.converter", JSON_CONVERTER);
    props.put(
        "value.converter",
        read.equals("bytes")
            ? "org.apache.kafka.connect.converters.ByteArrayConverter"
            : JSON_CONVERTER);
    props.put("format", "json");
    props.put("insert.mode", "upsert");
    props.put("pk.mode", "record_key");
    props.put("delete.enabled", "true");
    // Small batches: a key changes several times inside a batch and across batches.
    props.put("batchsize", "97");
    cluster.connect().configureConnector("cdc-sink-" + read, props);

    awaitCommitted(server, db, "cdc-sink-" + read, events);
    List<String> expected =
        source.entrySet().stream()
            .map(e -> e.getKey() + "|" + e.getValue() + "|" + price(e.getValue()).toPlainString())
            .collect(Collectors.toList());
    assertThat(
            rows(
                server,
                db,
                "SELECT id, name, qty, (extract(epoch FROM updated_at) * 1000000)::bigint, price"
                    + " FROM items ORDER BY id"))
        .containsExactlyElementsOf(expected);
  }

  private static final String KEY_SCHEMA =
      "{\"type\":\"struct\",\"name\":\"srv.public.items.Key\",\"optional\":false,"
          + "\"fields\":[{\"field\":\"id\",\"type\":\"int64\",\"optional\":false}]}";
  private static final String ROW_SCHEMA_FIELDS =
      "\"type\":\"struct\",\"name\":\"srv.public.items.Value\",\"optional\":true,\"fields\":["
          + "{\"field\":\"id\",\"type\":\"int64\",\"optional\":false},"
          + "{\"field\":\"name\",\"type\":\"string\",\"optional\":true},"
          + "{\"field\":\"qty\",\"type\":\"int32\",\"optional\":true},"
          + "{\"field\":\"updated_at\",\"type\":\"int64\",\"optional\":true,"
          + "\"name\":\"io.debezium.time.MicroTimestamp\"},"
          // Debezium's numeric without a fixed scale.
          + "{\"field\":\"price\",\"type\":\"struct\",\"optional\":true,"
          + "\"name\":\"io.debezium.data.VariableScaleDecimal\",\"fields\":["
          + "{\"field\":\"scale\",\"type\":\"int32\",\"optional\":false},"
          + "{\"field\":\"value\",\"type\":\"bytes\",\"optional\":false}]}]";

  /** The modelled row's price: its qty in hundredths, so its scale is 2 and varies not. */
  private static BigDecimal price(String state) {
    return BigDecimal.valueOf(Long.parseLong(state.split("\\|")[1]), 2);
  }

  private static final String ENVELOPE_SCHEMA =
      "{\"type\":\"struct\",\"name\":\"srv.public.items.Envelope\",\"optional\":false,"
          + "\"fields\":[{\"field\":\"before\","
          + ROW_SCHEMA_FIELDS
          + "},{\"field\":\"after\","
          + ROW_SCHEMA_FIELDS
          + "},{\"field\":\"source\",\"type\":\"struct\",\"optional\":false,\"fields\":["
          + "{\"field\":\"db\",\"type\":\"string\",\"optional\":false}]},"
          + "{\"field\":\"op\",\"type\":\"string\",\"optional\":false},"
          + "{\"field\":\"ts_ms\",\"type\":\"int64\",\"optional\":true}]}";

  /** A row of the modelled table, its state being "name|qty|micros". */
  private static String row(long id, String state) {
    String[] parts = state.split("\\|");
    return "{\"id\":"
        + id
        + ",\"name\":\""
        + parts[0]
        + "\",\"qty\":"
        + parts[1]
        + ",\"updated_at\":"
        + parts[2]
        + ",\"price\":{\"scale\":2,\"value\":\""
        + Base64.getEncoder().encodeToString(price(state).unscaledValue().toByteArray())
        + "\"}}";
  }

  /** A Debezium change event as JsonConverter writes it, schema and payload. */
  private static String event(String op, String before, String after) {
    return "{\"schema\":"
        + ENVELOPE_SCHEMA
        + ",\"payload\":{\"before\":"
        + before
        + ",\"after\":"
        + after
        + ",\"source\":{\"db\":\"shop\"},\"op\":\""
        + op
        + "\",\"ts_ms\":1}}";
  }

  @Test
  void changesTheTableOrCopyRefusesGoToTheDeadLetterQueueAndTheRestIsApplied() throws Exception {
    execute(server, db, "CREATE TABLE stock (id int PRIMARY KEY, qty int CHECK (qty >= 0))");
    cluster.kafka().createTopic("stock-in", 1);
    List<String> messages =
        List.of(
            "{\"id\": 1, \"qty\": 1}",
            "{\"id\": 2, \"qty\": 2}",
            "{\"id\": 2, \"qty\": -1}", // the check refuses id 2's last change: id 2 stays 2
            "{\"id\": 3, \"qty\": \"many\"}", // COPY cannot parse it
            "{\"qty\": 7}", // no key
            "{\"id\": 4, \"qty\": 4}",
            "{\"id\": 1, \"qty\": 5}");
    messages.forEach(m -> cluster.kafka().produce("stock-in", 0, null, m));
    Map<String, String> props = upsertConfig("stock-in", "stock");
    props.put("pk.mode", "record_value");
    props.put("delete.enabled", "false");
    props.put("tasks.max", "1");
    withDeadLetterQueue(props, "stock-dlq");
    cluster.connect().configureConnector("stock-sink", props);

    awaitCommitted(server, db, "stock-sink", messages.size());
    assertThat(rows(server, db, "SELECT id, qty FROM stock ORDER BY id"))
        .containsExactly("1|5", "2|2", "4|4");
    List<String> dead = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record :
        cluster.kafka().consume(3, Duration.ofSeconds(60).toMillis(), "stock-dlq")) {
      dead.add(
          header(record, "__connect.errors.topic")
              + "/"
              + header(record, "__connect.errors.partition")
              + "/"
              + header(record, "__connect.errors.offset")
              + " "
              + new String(record.value(), StandardCharsets.UTF_8));
      assertThat(header(record, "__connect.errors.exception.message")).isNotBlank();
    }
    assertThat(dead)
        .containsExactlyInAnyOrder(
            "stock-in/0/2 {\"id\": 2, \"qty\": -1}",
            "stock-in/0/3 {\"id\": 3, \"qty\": \"many\"}",
            "stock-in/0/4 {\"qty\": 7}");
  }

  /**
   * pk.mode=kafka keys each row by its record's topic, partition and offset: the topic read again
   * from the start (offsets reset through REST) rewrites the same rows instead of adding them.
   */
  @Test
  void kafkaKeysWriteEachRecordOnceEvenWhenTheTopicIsReadAgain() throws Exception {
    execute(
        server,
        db,
        "CREATE TABLE ledger (__connect_topic text, __connect_partition int,"
            + " __connect_offset bigint, amount int,"
            + " PRIMARY KEY (__connect_topic, __connect_partition, __connect_offset))");
    cluster.kafka().createTopic("ledger-in", 2);
    for (int i = 0; i < 10; i++) {
      cluster.kafka().produce("ledger-in", i % 2, null, "{\"amount\": " + i + "}");
    }
    Map<String, String> props = upsertConfig("ledger-in", "ledger");
    props.put("pk.mode", "kafka");
    props.put("delete.enabled", "false");
    cluster.connect().configureConnector("ledger-sink", props);
    awaitCommitted(server, db, "ledger-sink", 10);

    cluster.connect().stopConnector("ledger-sink");
    cluster.connect().assertions().assertConnectorIsStopped("ledger-sink", "not stopped");
    cluster.connect().resetConnectorOffsets("ledger-sink");
    cluster.connect().resumeConnector("ledger-sink");
    awaitCommitted(server, db, "ledger-sink", 10);

    assertThat(
            rows(
                server,
                db,
                "SELECT __connect_partition || '/' || __connect_offset || '=' || amount"
                    + " FROM ledger ORDER BY amount"))
        .containsExactly(
            "0/0=0", "1/0=1", "0/1=2", "1/1=3", "0/2=4", "1/2=5", "0/3=6", "1/3=7", "0/4=8",
            "1/4=9");
  }

  @Test
  void aTableWithoutAKeyToUpsertOnFailsTheTaskSayingWhatToAdd() throws Exception {
    execute(server, db, "CREATE TABLE loose (id int PRIMARY KEY, v text)");
    cluster.kafka().createTopic("loose-in", 1);
    execute(server, db, "ALTER TABLE loose DROP CONSTRAINT loose_pkey");
    assertThatThrownBy(
            () ->
                cluster
                    .connect()
                    .configureConnector("loose-sink", upsertConfig("loose-in", "loose")))
        .hasMessageContaining("no primary key")
        .hasMessageContaining("pk.fields");
    // The key dropped after the connector was created: the tasks refuse at start.
    execute(server, db, "ALTER TABLE loose ADD PRIMARY KEY (id)");
    cluster.connect().configureConnector("loose-sink", upsertConfig("loose-in", "loose"));
    cluster
        .connect()
        .assertions()
        .assertConnectorAndAtLeastNumTasksAreRunning("loose-sink", 2, "tasks not running");
    cluster.connect().stopConnector("loose-sink");
    cluster.connect().assertions().assertConnectorIsStopped("loose-sink", "not stopped");
    execute(server, db, "ALTER TABLE loose DROP CONSTRAINT loose_pkey");
    cluster.connect().resumeConnector("loose-sink");
    cluster
        .connect()
        .assertions()
        .assertConnectorIsRunningAndTasksHaveFailed("loose-sink", 2, "tasks did not fail");
    String trace = cluster.connect().connectorStatus("loose-sink").tasks().get(0).trace();
    assertThat(trace).contains("no primary key", "pk.fields");
    assertThat(count(server, db, "SELECT count(*) FROM loose")).isZero();
  }

  /**
   * Upsert and delete read the target's rows to match keys, so a role needs SELECT as well as
   * INSERT, UPDATE and DELETE (PostgreSQL refuses ON CONFLICT DO UPDATE without it): creating the
   * connector is refused saying which grant is missing, and it runs once it is granted.
   */
  @Test
  void aRoleWithoutTheGrantsUpsertNeedsIsToldWhichToAddAndRunsOnceGranted() throws Exception {
    String role = db + "_upsert";
    execute(
        server,
        db,
        "CREATE ROLE " + role + " LOGIN",
        "CREATE TABLE kept (id text PRIMARY KEY, v int)",
        "INSERT INTO kept VALUES ('a', 0)",
        "GRANT INSERT, UPDATE, DELETE ON kept TO " + role,
        "CREATE SCHEMA pipeline_connect AUTHORIZATION " + role);
    cluster.kafka().createTopic("kept-in", 1);
    cluster.kafka().produce("kept-in", 0, "a", "{\"v\": 1}");
    cluster.kafka().produce("kept-in", 0, "b", "{\"v\": 2}");
    Map<String, String> props = upsertConfig("kept-in", "kept");
    props.put("connection.user", role);
    props.put("tasks.max", "1");
    assertThatThrownBy(() -> cluster.connect().configureConnector("kept-sink", props))
        // The REST error is JSON: the quotes around the table name come escaped.
        .hasMessageContaining("needs SELECT on")
        .hasMessageContaining("GRANT SELECT ON")
        .hasMessageContaining("kept")
        .hasMessageContaining("TO " + role);

    execute(server, db, "GRANT SELECT ON kept TO " + role);
    cluster.connect().configureConnector("kept-sink", props);
    awaitCommitted(server, db, "kept-sink", 2);
    assertThat(rows(server, db, "SELECT id || '=' || v FROM kept ORDER BY id"))
        .containsExactly("a=1", "b=2");
  }

  @Test
  void upsertWithAFormatWithoutFieldNamesIsRefusedOnInsertModeThroughRest() {
    Map<String, String> props = upsertConfig("x", "y");
    props.put("name", "validate-upsert");
    props.put("format", "text");
    Map<String, List<String>> errors =
        cluster
            .connect()
            .validateConnectorConfig(PipelineSinkConnector.class.getSimpleName(), props)
            .configs()
            .stream()
            .filter(v -> !v.configValue().errors().isEmpty())
            .collect(Collectors.toMap(v -> v.configValue().name(), v -> v.configValue().errors()));
    assertThat(errors).containsOnlyKeys("insert.mode");
    assertThat(errors.get("insert.mode").get(0)).contains("format=text", "format=json");
  }
}
