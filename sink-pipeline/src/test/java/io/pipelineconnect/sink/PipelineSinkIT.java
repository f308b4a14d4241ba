package io.pipelineconnect.sink;

import static io.pipelineconnect.sink.SinkTestSupport.STRINGS;
import static io.pipelineconnect.sink.SinkTestSupport.awaitCount;
import static io.pipelineconnect.sink.SinkTestSupport.count;
import static io.pipelineconnect.sink.SinkTestSupport.execute;
import static io.pipelineconnect.sink.SinkTestSupport.header;
import static io.pipelineconnect.sink.SinkTestSupport.rows;
import static io.pipelineconnect.sink.SinkTestSupport.sinkConfig;
import static io.pipelineconnect.sink.SinkTestSupport.withDeadLetterQueue;
import static io.pipelineconnect.sink.SinkTestSupport.withStructValues;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.testsupport.CapturedLog;
import io.pipelineconnect.testsupport.ConnectClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The sink through a real Connect cluster (two workers) into real PostgreSQL tables. */
class PipelineSinkIT {
  @RegisterExtension
  static final ConnectClusterExtension CONNECT = ConnectClusterExtension.withWorkers(2);

  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  private KafkaConnectCluster cluster;
  private PostgresServer server;
  private String db;

  @BeforeEach
  void freshDatabase() {
    cluster = CONNECT.cluster();
    server = PG.server();
    db = PG.createDatabase();
  }

  private void produce(String topic, int partition, String key, String value) {
    cluster.kafka().produce(topic, partition, key, value);
  }

  @Test
  void textMessagesLandAsExactRows() throws Exception {
    execute(server, db, "CREATE TABLE views (id bigint PRIMARY KEY, url text, latency float8)");
    cluster.kafka().createTopic("text-in", 3);
    for (int i = 0; i < 300; i++) {
      produce(
          "text-in",
          i % 3,
          null,
          i + "\t/page/" + (i % 7) + "\t" + (i / 10.0) + (i % 2 == 0 ? "\n" : ""));
    }
    cluster
        .connect()
        .configureConnector("text-sink", sinkConfig(cluster, server, db, "text-in", "views"));

    awaitCount(server, db, "SELECT count(*) FROM views", 300);
    assertThat(
            rows(
                server,
                db,
                "SELECT id, url, latency FROM views WHERE id IN (0, 7, 299) ORDER BY id"))
        .containsExactly("0|/page/0|0", "7|/page/0|0.7", "299|/page/5|29.9");
    // The offsets table holds, per partition, the next offset to read.
    assertThat(
            rows(
                server,
                db,
                "SELECT topic, kafka_partition, next_offset FROM pipeline_connect.sink_offsets"
                    + " WHERE connector = 'text-sink' ORDER BY kafka_partition"))
        .containsExactly("text-in|0|100", "text-in|1|100", "text-in|2|100");
  }

  @Test
  void csvHonoursDelimiterQuoteEscapeAndNull() throws Exception {
    execute(server, db, "CREATE TABLE people (id int, name text, note text)");
    cluster.kafka().createTopic("csv-in", 1);
    produce("csv-in", 0, null, "1;'O\\'Brien';NULL");
    produce("csv-in", 0, null, "2;'multi\nline; with ;';''");
    produce("csv-in", 0, null, "3;plain;NULL\r\n");
    Map<String, String> props = sinkConfig(cluster, server, db, "csv-in", "people");
    props.putAll(
        Map.of("format", "csv", "delimiter", ";", "quote", "'", "escape", "\\", "null", "NULL"));
    cluster.connect().configureConnector("csv-sink", props);

    awaitCount(server, db, "SELECT count(*) FROM people", 3);
    assertThat(rows(server, db, "SELECT id, name, note FROM people ORDER BY id"))
        .containsExactly("1|O'Brien|null", "2|multi\nline; with ;|", "3|plain|null");
  }

  @Test
  void jsonKeysFillColumnsByNameAndWholeMessagesFillASingleJsonColumn() throws Exception {
    execute(
        server,
        db,
        "CREATE TABLE events (id int, kind text, payload jsonb, seen_at timestamptz DEFAULT '2001-02-03Z',"
            + " tags text[], grid int[])",
        "CREATE TABLE raw_events (doc jsonb)");
    cluster.kafka().createTopic("json-in", 1);
    produce(
        "json-in",
        0,
        null,
        "{\"id\": 1, \"kind\": \"click\", \"payload\": {\"x\": [1, \"a\\\\b\"]}, \"extra\": true,"
            + " \"tags\": [\"a\", \"b\\\"c\", null, \"x\\\\y\"], \"grid\": [[1, 2], [3, 4]]}");
    produce("json-in", 0, null, "{\"id\": 2, \"kind\": null}");
    Map<String, String> byColumn = sinkConfig(cluster, server, db, "json-in", "events");
    byColumn.put("format", "json");
    cluster.connect().configureConnector("json-columns", byColumn);
    Map<String, String> whole = sinkConfig(cluster, server, db, "json-in", "raw_events");
    whole.put("format", "json");
    cluster.connect().configureConnector("json-whole", whole);

    awaitCount(server, db, "SELECT count(*) FROM events", 2);
    awaitCount(server, db, "SELECT count(*) FROM raw_events", 2);
    assertThat(
            rows(
                server,
                db,
                "SELECT id, kind, payload, extract(year FROM seen_at), tags, grid FROM events"
                    + " ORDER BY id"))
        .containsExactly(
            "1|click|{\"x\": [1, \"a\\\\b\"]}|2001|{a,\"b\\\"c\",NULL,\"x\\\\y\"}|{{1,2},{3,4}}",
            "2|null|null|2001|null|null");
    assertThat(
            rows(
                server,
                db,
                "SELECT doc->>'id', doc->'payload'->'x'->>1 FROM raw_events ORDER BY 1"))
        .containsExactly("1|a\\b", "2|null");
  }

  @Test
  void structRecordsFromJsonConverterWithSchemasFillColumnsByFieldName() throws Exception {
    execute(server, db, "CREATE TABLE orders (id bigint, amount numeric(10,2), tags jsonb)");
    cluster.kafka().createTopic("struct-in", 1);
    String schema =
        "{\"type\":\"struct\",\"fields\":[{\"field\":\"id\",\"type\":\"int64\"},"
            + "{\"field\":\"amount\",\"type\":\"double\"},"
            + "{\"field\":\"tags\",\"type\":\"array\",\"items\":{\"type\":\"string\"}}]}";
    produce(
        "struct-in",
        0,
        null,
        "{\"schema\":"
            + schema
            + ",\"payload\":{\"id\":5,\"amount\":12.5,\"tags\":[\"a\",\"b\"]}}");
    Map<String, String> props = sinkConfig(cluster, server, db, "struct-in", "orders");
    props.put("format", "json");
    withStructValues(props);
    cluster.connect().configureConnector("struct-sink", props);

    awaitCount(server, db, "SELECT count(*) FROM orders", 1);
    assertThat(rows(server, db, "SELECT id, amount, tags FROM orders"))
        .containsExactly("5|12.50|[\"a\", \"b\"]");
  }

  /**
   * The same JsonConverter messages land as the same rows in binary COPY whether the worker's
   * JsonConverter made Structs of them or the sink read their envelopes from bytes (then no Struct
   * is built), and the same two go to the dead letter queue.
   */
  @ParameterizedTest(name = "from {0}")
  @ValueSource(strings = {"structs", "bytes"})
  void typedRecordsInBinaryCopyFormatLandWithTheirTypes(String from) throws Exception {
    String table = "typed_" + from;
    String topic = "binary-in-" + from;
    execute(
        server,
        db,
        "CREATE TABLE "
            + table
            + " (id bigint NOT NULL, small smallint, n integer, ratio real,"
            + " score double precision, ok boolean, name varchar(20), blob bytea,"
            + " at timestamptz, day date, amount numeric(12,4), tags jsonb, doc json,"
            + " missing text)");
    cluster.kafka().createTopic(topic, 1);
    String schema =
        "{\"type\":\"struct\",\"fields\":["
            + "{\"field\":\"id\",\"type\":\"int64\",\"optional\":true},"
            + "{\"field\":\"small\",\"type\":\"int16\"},"
            + "{\"field\":\"n\",\"type\":\"int64\"},"
            + "{\"field\":\"ratio\",\"type\":\"float\"},"
            + "{\"field\":\"score\",\"type\":\"double\"},"
            + "{\"field\":\"ok\",\"type\":\"boolean\"},"
            + "{\"field\":\"name\",\"type\":\"string\",\"optional\":true},"
            + "{\"field\":\"blob\",\"type\":\"bytes\"},"
            + "{\"field\":\"at\",\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data.Timestamp\"},"
            + "{\"field\":\"day\",\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\"},"
            + "{\"field\":\"amount\",\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\","
            + "\"parameters\":{\"scale\":\"4\"}},"
            + "{\"field\":\"tags\",\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
            + "{\"field\":\"doc\",\"type\":\"struct\",\"fields\":[{\"field\":\"k\",\"type\":\"string\"}]}"
            + "]}";
    // 2026-01-02T03:04:05.678Z, day 20455 after 1970-01-01 (2026-01-02); 123.4567 and -0.0001.
    String first =
        "{\"id\":1,\"small\":-7,\"n\":2000000000,\"ratio\":0.5,\"score\":-1.25,\"ok\":true,"
            + "\"name\":\"ann\",\"blob\":\"AQL/\",\"at\":1767323045678,\"day\":20455,"
            + "\"amount\":\"EtaH\",\"tags\":[\"a\",\"b\"],\"doc\":{\"k\":\"v\"}}";
    String second =
        "{\"id\":2,\"small\":0,\"n\":0,\"ratio\":0,\"score\":0,\"ok\":false,"
            + "\"name\":null,\"blob\":\"\",\"at\":0,\"day\":0,"
            + "\"amount\":\"/w==\",\"tags\":[],\"doc\":{\"k\":\"\"}}";
    // Out of range for integer: a bad record. A null id breaks NOT NULL in the database.
    String outOfRange =
        second.replace("\"id\":2", "\"id\":3").replace("\"n\":0", "\"n\":3000000000");
    String nullId = second.replace("\"id\":2", "\"id\":null");
    for (String payload : List.of(first, outOfRange, nullId, second)) {
      produce(topic, 0, null, "{\"schema\":" + schema + ",\"payload\":" + payload + "}");
    }
    Map<String, String> props = sinkConfig(cluster, server, db, topic, table);
    props.put("tasks.max", "1");
    props.put("format", "binary");
    if (from.equals("structs")) {
      withStructValues(props);
    } // else the ByteArrayConverter of sinkConfig
    withDeadLetterQueue(props, "binary-dlq-" + from);
    cluster.connect().configureConnector("binary-sink-" + from, props);

    awaitCount(
        server,
        db,
        "SELECT next_offset FROM pipeline_connect.sink_offsets WHERE connector = 'binary-sink-"
            + from
            + "'",
        4);
    assertThat(
            rows(
                server,
                db,
                "SELECT id, small, n, ratio, score, ok, name, encode(blob, 'hex'),"
                    + " to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), day, amount,"
                    + " tags, doc::text, missing FROM "
                    + table
                    + " ORDER BY id"))
        .containsExactly(
            "1|-7|2000000000|0.5|-1.25|t|ann|0102ff|2026-01-02 03:04:05.678|2026-01-02|123.4567"
                + "|[\"a\", \"b\"]|{\"k\":\"v\"}|null",
            "2|0|0|0|0|f|null||1970-01-01 00:00:00.000|1970-01-01|-0.0001|[]|{\"k\":\"\"}|null");
    assertThat(cluster.kafka().consume(2, Duration.ofSeconds(60).toMillis(), "binary-dlq-" + from))
        .hasSize(2);
  }

  /**
   * Debezium's time types (its default time.precision.mode: plain numbers named io.debezium.time.*,
   * ZonedTimestamp as ISO text) in binary COPY, as a flattened change stream carries them; they
   * were bad records before, for want of a Connect Timestamp, Date or Time.
   */
  @Test
  void debeziumTimeTypesInBinaryCopyLandAsTheInstantsTheyStandFor() throws Exception {
    execute(
        server,
        db,
        "CREATE TABLE events (id bigint, ms timestamp, micros timestamp, nanos timestamp,"
            + " zoned timestamptz, day date, t_ms time, t_micros time, t_nanos time, price numeric)");
    cluster.kafka().createTopic("debezium-binary-in", 1);
    String schema =
        "{\"type\":\"struct\",\"fields\":["
            + "{\"field\":\"id\",\"type\":\"int64\"},"
            + "{\"field\":\"ms\",\"type\":\"int64\",\"name\":\"io.debezium.time.Timestamp\"},"
            + "{\"field\":\"micros\",\"type\":\"int64\","
            + "\"name\":\"io.debezium.time.MicroTimestamp\"},"
            + "{\"field\":\"nanos\",\"type\":\"int64\","
            + "\"name\":\"io.debezium.time.NanoTimestamp\"},"
            + "{\"field\":\"zoned\",\"type\":\"string\","
            + "\"name\":\"io.debezium.time.ZonedTimestamp\"},"
            + "{\"field\":\"day\",\"type\":\"int32\",\"name\":\"io.debezium.time.Date\"},"
            + "{\"field\":\"t_ms\",\"type\":\"int32\",\"name\":\"io.debezium.time.Time\"},"
            + "{\"field\":\"t_micros\",\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTime\"},"
            + "{\"field\":\"t_nanos\",\"type\":\"int64\",\"name\":\"io.debezium.time.NanoTime\"},"
            + "{\"field\":\"price\",\"type\":\"struct\","
            + "\"name\":\"io.debezium.data.VariableScaleDecimal\",\"fields\":["
            + "{\"field\":\"scale\",\"type\":\"int32\"},{\"field\":\"value\",\"type\":\"bytes\"}]}"
            + "]}";
    // 2023-11-14T22:13:20.123456789 (UTC wall clock), before the epoch too; 01:02:03.456789.
    String after =
        "{\"id\":1,\"ms\":1700000000123,\"micros\":1700000000123456,"
            + "\"nanos\":1700000000123456789,\"zoned\":\"2023-11-14T23:13:20.123456+01:00\","
            + "\"day\":19675,\"t_ms\":3723456,\"t_micros\":3723456789,\"t_nanos\":3723456789000,"
            + "\"price\":{\"scale\":2,\"value\":\"MDk=\"}}";
    String before =
        "{\"id\":2,\"ms\":-1,\"micros\":-1,\"nanos\":-1000,"
            + "\"zoned\":\"1969-12-31T23:59:59.999999Z\",\"day\":-1,\"t_ms\":0,"
            + "\"t_micros\":0,\"t_nanos\":0,\"price\":{\"scale\":0,\"value\":\"/w==\"}}";
    String badZone = before.replace("\"id\":2", "\"id\":3").replace("59.999999Z", "soon");
    for (String payload : List.of(after, badZone, before)) {
      produce(
          "debezium-binary-in", 0, null, "{\"schema\":" + schema + ",\"payload\":" + payload + "}");
    }
    Map<String, String> props = sinkConfig(cluster, server, db, "debezium-binary-in", "events");
    props.put("tasks.max", "1");
    props.put("format", "binary");
    withStructValues(props);
    withDeadLetterQueue(props, "debezium-binary-dlq");
    cluster.connect().configureConnector("debezium-binary-sink", props);

    awaitCount(
        server,
        db,
        "SELECT next_offset FROM pipeline_connect.sink_offsets"
            + " WHERE connector = 'debezium-binary-sink'",
        3);
    assertThat(
            rows(
                server,
                db,
                "SELECT id, ms, micros, nanos, zoned AT TIME ZONE 'UTC', day, t_ms, t_micros,"
                    + " t_nanos, price FROM events ORDER BY id"))
        .containsExactly(
            "1|2023-11-14 22:13:20.123|2023-11-14 22:13:20.123456|2023-11-14 22:13:20.123456"
                + "|2023-11-14 22:13:20.123456|2023-11-14|01:02:03.456|01:02:03.456789"
                + "|01:02:03.456789|123.45",
            "2|1969-12-31 23:59:59.999|1969-12-31 23:59:59.999999|1969-12-31 23:59:59.999999"
                + "|1969-12-31 23:59:59.999999|1969-12-31|00:00:00|00:00:00|00:00:00|-1");
    assertThat(cluster.kafka().consume(1, Duration.ofSeconds(60).toMillis(), "debezium-binary-dlq"))
        .hasSize(1);
  }

  /**
   * Arrays, inet and cidr in binary COPY, read back by PostgreSQL: array_recv and network_recv
   * check every header field, so a wrong element OID, flag or length fails the COPY.
   */
  @Test
  void arraysAndNetworkAddressesInBinaryCopyLandAsTheirPostgresTypes() throws Exception {
    execute(
        server,
        db,
        "CREATE TABLE arrays (id bigint, counts integer[], names varchar(5)[], big bigint[],"
            + " ats timestamptz[], host inet, net cidr)");
    cluster.kafka().createTopic("arrays-in", 1);
    String schema =
        "{\"type\":\"struct\",\"fields\":["
            + "{\"field\":\"id\",\"type\":\"int64\"},"
            + "{\"field\":\"counts\",\"type\":\"array\",\"items\":{\"type\":\"int32\"}},"
            + "{\"field\":\"names\",\"type\":\"array\",\"items\":{\"type\":\"string\","
            + "\"optional\":true}},"
            + "{\"field\":\"big\",\"type\":\"array\",\"items\":{\"type\":\"int64\"}},"
            + "{\"field\":\"ats\",\"type\":\"array\",\"items\":{\"type\":\"int64\","
            + "\"name\":\"org.apache.kafka.connect.data.Timestamp\"}},"
            + "{\"field\":\"host\",\"type\":\"string\"},"
            + "{\"field\":\"net\",\"type\":\"string\"}"
            + "]}";
    List<String> payloads =
        List.of(
            "{\"id\":1,\"counts\":[1,-2,3],\"names\":[\"ann\",null,\"bo\"],\"big\":[9000000000],"
                + "\"ats\":[0,1767323045678],\"host\":\"192.168.1.7/24\",\"net\":\"10.0.0.0/8\"}",
            "{\"id\":2,\"counts\":[],\"names\":[],\"big\":[],\"ats\":[],"
                + "\"host\":\"2001:db8::1\",\"net\":\"2001:db8::/32\"}",
            // host bits right of the mask: not a cidr, a bad record
            "{\"id\":3,\"counts\":[],\"names\":[],\"big\":[],\"ats\":[],"
                + "\"host\":\"::ffff:1.2.3.4\",\"net\":\"10.0.0.1/8\"}",
            // a name, which is never looked up: a bad record
            "{\"id\":4,\"counts\":[],\"names\":[],\"big\":[],\"ats\":[],"
                + "\"host\":\"localhost\",\"net\":\"10.0.0.0/8\"}",
            "{\"id\":5,\"counts\":[7],\"names\":[\"cy\"],\"big\":[-1],\"ats\":[0],"
                + "\"host\":\"::ffff:1.2.3.4\",\"net\":\"0.0.0.0/0\"}");
    for (String payload : payloads) {
      produce("arrays-in", 0, null, "{\"schema\":" + schema + ",\"payload\":" + payload + "}");
    }
    Map<String, String> props = sinkConfig(cluster, server, db, "arrays-in", "arrays");
    props.put("tasks.max", "1");
    props.put("format", "binary");
    withStructValues(props);
    withDeadLetterQueue(props, "arrays-dlq");
    cluster.connect().configureConnector("arrays-sink", props);

    awaitCount(
        server,
        db,
        "SELECT next_offset FROM pipeline_connect.sink_offsets WHERE connector = 'arrays-sink'",
        5);
    assertThat(
            rows(
                server,
                db,
                "SELECT id, counts, names, big, array_length(ats, 1),"
                    + " to_char(ats[2] AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'),"
                    + " host, family(host), net FROM arrays ORDER BY id"))
        .containsExactly(
            "1|{1,-2,3}|{ann,NULL,bo}|{9000000000}|2|2026-01-02 03:04:05.678|192.168.1.7/24|4"
                + "|10.0.0.0/8",
            "2|{}|{}|{}|null|null|2001:db8::1|6|2001:db8::/32",
            "5|{7}|{cy}|{-1}|1|null|::ffff:1.2.3.4|6|0.0.0.0/0");
    assertThat(cluster.kafka().consume(2, Duration.ofSeconds(60).toMillis(), "arrays-dlq"))
        .hasSize(2);
  }

  /**
   * metadata.columns fills columns from each record's topic, partition, offset, timestamp and key,
   * in json (text COPY) and binary format alike, on two partitions.
   */
  @Test
  void metadataColumnsHoldEachRecordsTopicPartitionOffsetTimestampAndKey() throws Exception {
    String columns =
        "(v bigint, src_topic text, src_partition integer, src_offset bigint,"
            + " src_at timestamptz, src_key text, src_key_bytes bytea)";
    execute(server, db, "CREATE TABLE meta_json " + columns, "CREATE TABLE meta_binary " + columns);
    cluster.kafka().createTopic("meta-in", 2);
    String schema = "{\"type\":\"struct\",\"fields\":[{\"field\":\"v\",\"type\":\"int64\"}]}";
    for (int i = 0; i < 6; i++) {
      produce(
          "meta-in", i % 2, "k" + i, "{\"schema\":" + schema + ",\"payload\":{\"v\":" + i + "}}");
    }
    String metadata =
        "topic:src_topic, partition:src_partition, offset:src_offset, timestamp:src_at,"
            + " key:src_key, key:src_key_bytes";
    for (String format : List.of("json", "binary")) {
      Map<String, String> props = sinkConfig(cluster, server, db, "meta-in", "meta_" + format);
      props.put("format", format);
      props.put("metadata.columns", metadata);
      if (format.equals("binary")) {
        withStructValues(props);
      }
      cluster.connect().configureConnector("meta-" + format, props);
    }

    for (String format : List.of("json", "binary")) {
      awaitCount(server, db, "SELECT count(*) FROM meta_" + format, 6);
      assertThat(
              rows(
                  server,
                  db,
                  "SELECT v, src_topic, src_partition, src_offset, src_key,"
                      + " convert_from(src_key_bytes, 'UTF8'),"
                      + " abs(extract(epoch FROM now() - src_at)) < 600 FROM meta_"
                      + format
                      + " ORDER BY v"))
          .as(format)
          .containsExactly(
              "0|meta-in|0|0|k0|k0|t",
              "1|meta-in|1|0|k1|k1|t",
              "2|meta-in|0|1|k2|k2|t",
              "3|meta-in|1|1|k3|k3|t",
              "4|meta-in|0|2|k4|k4|t",
              "5|meta-in|1|2|k5|k5|t");
    }
  }

  /** A target found per record is checked as a fixed one is at start: here, for its columns. */
  @Test
  void aTargetFromStreamFormatLackingAMetadataColumnFailsTheTaskNamingIt() throws Exception {
    execute(server, db, "CREATE TABLE raw_lacking (v text)");
    cluster.kafka().createTopic("lacking", 1);
    produce("lacking", 0, null, "{\"v\": \"x\"}");
    Map<String, String> props = sinkConfig(cluster, server, db, "lacking", "unused");
    props.remove("stream");
    props.put("stream.format", "raw_${topic}");
    props.put("format", "json");
    props.put("metadata.columns", "offset:src_offset");
    props.put("tasks.max", "1");
    cluster.connect().configureConnector("lacking-sink", props);
    cluster
        .connect()
        .assertions()
        .assertConnectorIsRunningAndTasksHaveFailed("lacking-sink", 1, "task did not fail");
    assertThat(cluster.connect().connectorStatus("lacking-sink").tasks().get(0).trace())
        .contains("src_offset", "metadata.columns");
    assertThat(count(server, db, "SELECT count(*) FROM raw_lacking")).isZero();
  }

  @Test
  void badRecordsGoToTheDeadLetterQueueAndTheRestIsCommitted() throws Exception {
    execute(server, db, "CREATE TABLE strict (id int PRIMARY KEY, n int NOT NULL)");
    cluster.kafka().createTopic("bad-in", 1);
    List<String> messages = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      messages.add(i + "\t" + i);
    }
    messages.set(5, "\\.");
    messages.set(10, "10\t10\n11\t11");
    messages.set(20, "20\tnot-a-number");
    messages.set(30, "30\t");
    messages.set(40, "1\t1");
    messages.forEach(m -> produce("bad-in", 0, null, m));
    Map<String, String> props = sinkConfig(cluster, server, db, "bad-in", "strict");
    props.put("tasks.max", "1");
    withDeadLetterQueue(props, "bad-dlq");
    cluster.connect().configureConnector("bad-sink", props);

    awaitCount(server, db, "SELECT count(*) FROM strict", 45);
    ConsumerRecords<byte[], byte[]> dead =
        cluster.kafka().consume(5, Duration.ofSeconds(60).toMillis(), "bad-dlq");
    List<String> deadValues = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : dead) {
      deadValues.add(new String(record.value(), StandardCharsets.UTF_8));
      assertThat(header(record, "__connect.errors.topic")).isEqualTo("bad-in");
      assertThat(header(record, "__connect.errors.exception.message")).isNotBlank();
    }
    assertThat(deadValues)
        .containsExactlyInAnyOrder("\\.", "10\t10\n11\t11", "20\tnot-a-number", "30\t", "1\t1");
    assertThat(count(server, db, "SELECT count(*) FROM strict WHERE id IN (5, 10, 20, 30, 40)"))
        .isZero();
    awaitCount(
        server,
        db,
        "SELECT next_offset FROM pipeline_connect.sink_offsets WHERE connector = 'bad-sink'",
        50);

    // The worker reports the task's plugin metrics (JMX here: the workers run in this JVM).
    ObjectName task = new ObjectName("kafka.connect:type=plugins,connector=bad-sink,task=0");
    MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    Awaitility.await("the sink's metrics")
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(jmx.getAttribute(task, SinkTaskMetrics.ROWS_TOTAL)).isEqualTo(45.0);
              assertThat(jmx.getAttribute(task, SinkTaskMetrics.BAD_RECORDS_TOTAL)).isEqualTo(5.0);
            });
    assertThat((Double) jmx.getAttribute(task, SinkTaskMetrics.BATCHES_TOTAL)).isPositive();
  }

  @Test
  void keyNamesTheTargetAndAMissingOneGoesToTheDeadLetterQueue() throws Exception {
    execute(
        server, db, "CREATE TABLE a (v text)", "CREATE SCHEMA s", "CREATE TABLE s.\"B\" (v text)");
    cluster.kafka().createTopic("keyed", 1);
    produce("keyed", 0, "a", "one");
    produce("keyed", 0, "s.\"B\"", "two");
    produce("keyed", 0, "a\"; drop table a; --", "evil");
    produce("keyed", 0, "a", "three");
    Map<String, String> props = sinkConfig(cluster, server, db, "keyed", "unused");
    props.remove("stream");
    props.put("stream.from.key", "true");
    props.put("stream.from.key.allowed", "public\\.a|s\\.B");
    withDeadLetterQueue(props, "keyed-dlq");
    cluster.connect().configureConnector("keyed-sink", props);

    awaitCount(server, db, "SELECT count(*) FROM a", 2);
    awaitCount(server, db, "SELECT count(*) FROM s.\"B\"", 1);
    ConsumerRecords<byte[], byte[]> dead = cluster.kafka().consume(1, 60_000, "keyed-dlq");
    assertThat(new String(dead.iterator().next().value(), StandardCharsets.UTF_8))
        .isEqualTo("evil");
  }

  /**
   * Any producer on the topic chooses the keys: each of these tried to write where no record may (a
   * login superuser, a fake offset that makes a sink skip data, a message to any Kafka topic, a
   * table outside the allow-list). All go to the DLQ, naming why, and change nothing.
   */
  @Test
  void keysNamingRelationsOutsideTheAllowListOrProtectedOnesGoToTheDeadLetterQueue()
      throws Exception {
    execute(
        server,
        db,
        "CREATE SCHEMA analytics",
        "CREATE TABLE analytics.clicks (v text)",
        "CREATE TABLE public.secrets (v text)",
        // What the emitter installs: an outbox beside its outbox_enqueue function.
        "CREATE SCHEMA relay",
        "CREATE TABLE relay.outbox (topic text, message text)",
        "CREATE FUNCTION relay.outbox_enqueue() RETURNS void LANGUAGE sql AS 'SELECT'",
        // Another sink's offsets table, under a name of its own.
        "CREATE TABLE analytics.other_offsets (connector text, topic text, kafka_partition int,"
            + " next_offset bigint)");
    long roles = count(server, db, "SELECT count(*) FROM pg_authid");
    cluster.kafka().createTopic("keyed-attacks", 1);
    produce("keyed-attacks", 0, "analytics.clicks", "ok-1");
    produce("keyed-attacks", 0, "pg_catalog.pg_authid", "intruder\ttrue");
    produce("keyed-attacks", 0, "pg_authid", "intruder\ttrue");
    produce("keyed-attacks", 0, "pipeline_connect.sink_offsets", "victim\tkeyed-attacks\t0\t999");
    produce("keyed-attacks", 0, "analytics.other_offsets", "victim\tt\t0\t999");
    produce("keyed-attacks", 0, "relay.outbox", "connect-configs\tpwned");
    produce("keyed-attacks", 0, "secrets", "leak");
    produce("keyed-attacks", 0, "information_schema.sql_features", "x");
    produce("keyed-attacks", 0, "analytics.clicks", "ok-2");
    Map<String, String> props = sinkConfig(cluster, server, db, "keyed-attacks", "unused");
    props.remove("stream");
    props.put("tasks.max", "1");
    props.put("stream.from.key", "true");
    // Even a pattern that allows everything does not open the protected relations.
    props.put("stream.from.key.allowed", "analytics\\..*|pg_catalog\\..*|relay\\..*");
    withDeadLetterQueue(props, "keyed-attacks-dlq");
    cluster.connect().configureConnector("keyed-attacks-sink", props);

    awaitCount(server, db, "SELECT count(*) FROM analytics.clicks", 2);
    ConsumerRecords<byte[], byte[]> dead = cluster.kafka().consume(7, 60_000, "keyed-attacks-dlq");
    Map<String, String> reasons = new java.util.HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : dead) {
      reasons.put(
          new String(record.key(), StandardCharsets.UTF_8),
          header(record, "__connect.errors.exception.message"));
    }
    assertThat(reasons)
        .containsOnlyKeys(
            "pg_catalog.pg_authid",
            "pg_authid",
            "pipeline_connect.sink_offsets",
            "analytics.other_offsets",
            "relay.outbox",
            "secrets",
            "information_schema.sql_features");
    assertThat(reasons.get("pg_authid")).contains("pg_catalog.pg_authid is in a system schema");
    assertThat(reasons.get("relay.outbox")).contains("the emitter's outbox");
    assertThat(reasons.get("analytics.other_offsets")).contains("holds sink offsets");
    assertThat(reasons.get("secrets")).contains("does not match stream.from.key.allowed");
    assertThat(count(server, db, "SELECT count(*) FROM pg_authid")).isEqualTo(roles);
    assertThat(count(server, db, "SELECT count(*) FROM relay.outbox")).isZero();
    assertThat(count(server, db, "SELECT count(*) FROM analytics.other_offsets")).isZero();
    assertThat(count(server, db, "SELECT count(*) FROM public.secrets")).isZero();
    awaitCount(
        server,
        db,
        "SELECT next_offset FROM pipeline_connect.sink_offsets"
            + " WHERE connector = 'keyed-attacks-sink'",
        9);
    assertThat(
            count(
                server,
                db,
                "SELECT count(*) FROM pipeline_connect.sink_offsets WHERE connector = 'victim'"))
        .isZero();
  }

  /**
   * The grants docs/security.md lists, and no more: INSERT on the target (USAGE on its schema), and
   * either a schema of its own for the offsets table or a table a DBA made, with SELECT, INSERT,
   * UPDATE and DELETE. Both routes run, and the REST offsets API works, as that role.
   */
  @Test
  void aRoleHoldingOnlyTheDocumentedGrantsRunsTheSink() throws Exception {
    String role = db + "_sink";
    execute(
        server,
        db,
        "CREATE ROLE " + role + " LOGIN",
        "CREATE SCHEMA shop",
        "CREATE TABLE shop.orders (v text)",
        "GRANT USAGE ON SCHEMA shop TO " + role,
        "GRANT INSERT ON shop.orders TO " + role,
        // Route 1: a schema of its own, where the sink creates its offsets table.
        "CREATE SCHEMA sink_state AUTHORIZATION " + role,
        // Route 2: an offsets table made by a DBA.
        "CREATE SCHEMA ops",
        "CREATE TABLE ops.sink_offsets (connector text NOT NULL, topic text NOT NULL,"
            + " kafka_partition int NOT NULL, next_offset bigint NOT NULL,"
            + " updated_at timestamptz NOT NULL DEFAULT now(),"
            + " PRIMARY KEY (connector, topic, kafka_partition))",
        "GRANT USAGE ON SCHEMA ops TO " + role,
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ops.sink_offsets TO " + role);
    cluster.kafka().createTopic("least-in", 2);
    for (int i = 0; i < 10; i++) {
      produce("least-in", i % 2, null, "v" + i);
    }
    Map<String, String> ownSchema = sinkConfig(cluster, server, db, "least-in", "shop.orders");
    ownSchema.put("connection.user", role);
    ownSchema.put("offsets.table", "sink_state.offsets");
    cluster.connect().configureConnector("least-own-schema", ownSchema);
    Map<String, String> premade = sinkConfig(cluster, server, db, "least-in", "shop.orders");
    premade.put("connection.user", role);
    premade.put("offsets.table", "ops.sink_offsets");
    cluster.connect().configureConnector("least-premade", premade);

    awaitCount(server, db, "SELECT count(*) FROM shop.orders", 20);
    awaitCount(server, db, "SELECT sum(next_offset) FROM sink_state.offsets", 10);
    awaitCount(server, db, "SELECT sum(next_offset) FROM ops.sink_offsets", 10);

    cluster.connect().stopConnector("least-premade");
    cluster.connect().assertions().assertConnectorIsStopped("least-premade", "not stopped");
    cluster.connect().resetConnectorOffsets("least-premade");
    assertThat(count(server, db, "SELECT count(*) FROM ops.sink_offsets")).isZero();
  }

  @Test
  void aPasswordInTheUrlNeverReachesTheLogsTaskTracesOrValidation() throws Exception {
    String secret = "Sekr3t-in-the-url";
    execute(server, db, "CREATE TABLE guarded (v text)");
    cluster.kafka().createTopic("guarded-in", 1);
    produce("guarded-in", 0, null, "row");
    try (CapturedLog log = CapturedLog.start()) {
      // The test server trusts local connections, so the password is sent and ignored.
      Map<String, String> working = sinkConfig(cluster, server, db, "guarded-in", "guarded");
      working.put("connection.url", server.jdbcUrl(db) + "?password=" + secret);
      cluster.connect().configureConnector("guarded-sink", working);
      awaitCount(server, db, "SELECT count(*) FROM guarded", 1);
      // A database that goes away under a running connector: its tasks fail, naming it.
      String doomed = PG.createDatabase();
      execute(server, doomed, "CREATE TABLE guarded (v text)");
      Map<String, String> failing = sinkConfig(cluster, server, doomed, "guarded-in", "guarded");
      failing.put("connection.url", server.jdbcUrl(doomed) + "?password=" + secret);
      failing.put("max.retries", "0");
      cluster.connect().configureConnector("guarded-failing", failing);
      awaitCount(server, doomed, "SELECT count(*) FROM guarded", 1);
      execute(server, "postgres", "DROP DATABASE " + doomed + " WITH (FORCE)");
      cluster.connect().restartConnectorAndTasks("guarded-failing", false, true, false);
      cluster
          .connect()
          .assertions()
          .assertConnectorIsRunningAndTasksHaveFailed("guarded-failing", 2, "tasks did not fail");
      String trace = cluster.connect().connectorStatus("guarded-failing").tasks().get(0).trace();
      assertThat(trace).contains(doomed).contains("password=****");
      assertThat(trace).doesNotContain(secret);

      // Validation asks the database too, and says which one is missing without the password.
      Map<String, String> missing = sinkConfig(cluster, server, db, "guarded-in", "guarded");
      missing.put("connection.url", server.jdbcUrl("no_such_database") + "?password=" + secret);
      String missingErrors =
          cluster
              .connect()
              .validateConnectorConfig(PipelineSinkConnector.class.getSimpleName(), missing)
              .configs()
              .stream()
              .flatMap(v -> v.configValue().errors().stream())
              .collect(Collectors.joining("\n"));
      assertThat(missingErrors).contains("no_such_database").doesNotContain(secret);

      Map<String, String> invalid = sinkConfig(cluster, server, db, "guarded-in", "guarded");
      invalid.put("connection.url", "jdbc:postgres://db/x?password=" + secret);
      String errors =
          cluster
              .connect()
              .validateConnectorConfig(PipelineSinkConnector.class.getSimpleName(), invalid)
              .configs()
              .stream()
              .flatMap(v -> v.configValue().errors().stream())
              .collect(Collectors.joining("\n"));
      assertThat(errors).contains("connection.url").doesNotContain(secret);

      assertThat(log.text()).contains(doomed).doesNotContain(secret);
    }
  }

  @Test
  void startOffsetMinusOneStartsAtTheEndAndAnIdlePartitionsStartSurvivesARestart()
      throws Exception {
    execute(server, db, "CREATE TABLE tail (v text)");
    cluster.kafka().createTopic("tail-in", 2);
    produce("tail-in", 0, null, "old-0");
    produce("tail-in", 1, null, "old-1");
    Map<String, String> props = sinkConfig(cluster, server, db, "tail-in", "tail");
    props.put("start_offset", "-1");
    cluster.connect().configureConnector("tail-sink", props);
    // Both partitions get a saved start at once, though nothing new arrives on them.
    awaitCount(
        server,
        db,
        "SELECT count(*) FROM pipeline_connect.sink_offsets WHERE connector = 'tail-sink' AND next_offset = 1",
        2);

    cluster.connect().stopConnector("tail-sink");
    cluster.connect().assertions().assertConnectorIsStopped("tail-sink", "not stopped");
    produce("tail-in", 1, null, "while-stopped");
    cluster.connect().resumeConnector("tail-sink");
    produce("tail-in", 0, null, "new-0");

    awaitCount(server, db, "SELECT count(*) FROM tail", 2);
    assertThat(rows(server, db, "SELECT v FROM tail ORDER BY v"))
        .containsExactly("new-0", "while-stopped");
  }

  @Test
  void startOffsetMinusTwoStartsAtTheBeginning() throws Exception {
    execute(server, db, "CREATE TABLE head (v text)");
    cluster.kafka().createTopic("head-in", 1);
    produce("head-in", 0, null, "first");
    produce("head-in", 0, null, "second");
    Map<String, String> props = sinkConfig(cluster, server, db, "head-in", "head");
    props.remove("kafka.bootstrap.servers");
    props.put("value.converter", STRINGS);
    cluster.connect().configureConnector("head-sink", props);
    awaitCount(server, db, "SELECT count(*) FROM head", 2);
  }

  @Test
  void resettingOffsetsThroughTheRestApiRereadsTheTopic() throws Exception {
    execute(server, db, "CREATE TABLE again (v text)");
    cluster.kafka().createTopic("again-in", 1);
    for (int i = 0; i < 10; i++) {
      produce("again-in", 0, null, "v" + i);
    }
    cluster
        .connect()
        .configureConnector("again-sink", sinkConfig(cluster, server, db, "again-in", "again"));
    awaitCount(server, db, "SELECT count(*) FROM again", 10);

    cluster.connect().stopConnector("again-sink");
    cluster.connect().assertions().assertConnectorIsStopped("again-sink", "not stopped");
    cluster.connect().resetConnectorOffsets("again-sink");
    assertThat(
            count(
                server,
                db,
                "SELECT count(*) FROM pipeline_connect.sink_offsets WHERE connector = 'again-sink'"))
        .isZero();
    cluster.connect().resumeConnector("again-sink");
    awaitCount(server, db, "SELECT count(*) FROM again", 20);

    cluster.connect().stopConnector("again-sink");
    cluster.connect().assertions().assertConnectorIsStopped("again-sink", "not stopped");
    cluster
        .connect()
        .alterSinkConnectorOffset(
            "again-sink", new org.apache.kafka.common.TopicPartition("again-in", 0), 8L);
    assertThat(
            count(
                server,
                db,
                "SELECT next_offset FROM pipeline_connect.sink_offsets WHERE connector = 'again-sink'"))
        .isEqualTo(8);
    cluster.connect().resumeConnector("again-sink");
    awaitCount(server, db, "SELECT count(*) FROM again", 22);
  }

  /**
   * A missing target is refused when the connector is created (validation asks the database), and a
   * target dropped later fails the tasks at their next start; both say how to create it.
   */
  @Test
  void aMissingTargetIsRefusedAtCreationAndFailsTheTaskIfDroppedLaterSayingHowToCreateIt()
      throws Exception {
    cluster.kafka().createTopic("nowhere-in", 1);
    Map<String, String> props = sinkConfig(cluster, server, db, "nowhere-in", "nowhere");
    assertThatThrownBy(() -> cluster.connect().configureConnector("nowhere-sink", props))
        .hasMessageContaining("nowhere")
        .hasMessageContaining("does not exist")
        .hasMessageContaining("CREATE TABLE");

    execute(server, db, "CREATE TABLE nowhere (v text)");
    cluster.connect().configureConnector("nowhere-sink", props);
    cluster
        .connect()
        .assertions()
        .assertConnectorAndAtLeastNumTasksAreRunning("nowhere-sink", 2, "tasks not running");
    cluster.connect().stopConnector("nowhere-sink");
    cluster.connect().assertions().assertConnectorIsStopped("nowhere-sink", "not stopped");
    execute(server, db, "DROP TABLE nowhere");
    cluster.connect().resumeConnector("nowhere-sink");
    cluster
        .connect()
        .assertions()
        .assertConnectorIsRunningAndTasksHaveFailed("nowhere-sink", 2, "tasks did not fail");
    String trace = cluster.connect().connectorStatus("nowhere-sink").tasks().get(0).trace();
    assertThat(trace).contains("\"nowhere\" does not exist").contains("CREATE TABLE");
  }

  @Test
  void validationThroughRestNamesEachBadKey() {
    Map<String, String> props = sinkConfig(cluster, server, db, "x", "y");
    props.put("name", "validate-me");
    props.put("start_offset", "5");
    props.put("parallelism", "3");
    props.put("format", "csv");
    props.put("delimiter", "ab");
    Map<String, List<String>> errors = validationErrors(props);
    assertThat(errors).containsOnlyKeys("start_offset", "parallelism", "delimiter");
    assertThat(errors.get("parallelism").get(0)).contains("set tasks.max=3");
    assertThat(errors.get("start_offset").get(0)).contains("-2");
  }

  @Test
  void aConverterTheFormatCannotUseIsNamedOnFormatThroughRest() {
    Map<String, String> props = sinkConfig(cluster, server, db, "x", "y");
    props.put("name", "validate-converter");
    props.put("format", "csv");
    props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
    Map<String, List<String>> errors = validationErrors(props);
    assertThat(errors).containsOnlyKeys("format");
    assertThat(errors.get("format").get(0))
        .contains("format=csv", "ByteArrayConverter", "format=json");
  }

  /** The errors Connect's validate endpoint reports, by key. */
  private Map<String, List<String>> validationErrors(Map<String, String> props) {
    return cluster
        .connect()
        .validateConnectorConfig(PipelineSinkConnector.class.getSimpleName(), props)
        .configs()
        .stream()
        .filter(v -> !v.configValue().errors().isEmpty())
        .collect(Collectors.toMap(v -> v.configValue().name(), v -> v.configValue().errors()));
  }
}
