package io.pipelineconnect.sink;

import static io.pipelineconnect.sink.SinkTestSupport.awaitCommitted;
import static io.pipelineconnect.sink.SinkTestSupport.awaitCount;
import static io.pipelineconnect.sink.SinkTestSupport.count;
import static io.pipelineconnect.sink.SinkTestSupport.execute;
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

/**
 * The sink into streams of the real PipelineDB 1.0: continuous views count every message exactly
 * once. The sink's sessions set {@code pipelinedb.stream_insert_level = sync_commit} (through the
 * pgjdbc {@code options} passthrough), so a view is current once the offsets are committed.
 */
class PipelineDbStreamSinkIT {
  @RegisterExtension
  static final ConnectClusterExtension CONNECT = ConnectClusterExtension.withWorkers(2);

  @RegisterExtension static final PostgresExtension PIPELINE = PostgresExtension.pipelineDb();

  private KafkaConnectCluster cluster;
  private PostgresServer server;
  private String db;

  @BeforeEach
  void freshDatabase() throws Exception {
    cluster = CONNECT.cluster();
    server = PIPELINE.server();
    db = PIPELINE.createDatabase();
  }

  private Map<String, String> streamSink(String topic, String stream, String format) {
    Map<String, String> props = sinkConfig(cluster, server, db, topic, stream);
    props.put("format", format);
    props.put("connection.properties.options", "-c pipelinedb.stream_insert_level=sync_commit");
    return props;
  }

  private void createStreamWithView(String stream) throws Exception {
    execute(
        server,
        db,
        "CREATE FOREIGN TABLE "
            + stream
            + " (url text, user_id bigint, latency float8) SERVER pipelinedb",
        "CREATE VIEW "
            + stream
            + "_by_url WITH (action=materialize) AS"
            + " SELECT url, count(*) AS views, sum(latency) AS latency FROM "
            + stream
            + " GROUP BY url");
  }

  @Test
  void textCsvAndJsonStreamsCountEveryMessageOnce() throws Exception {
    createStreamWithView("text_views");
    createStreamWithView("csv_views");
    createStreamWithView("json_views");
    for (String topic : List.of("pv-text", "pv-csv", "pv-json")) {
      cluster.kafka().createTopic(topic, 2);
    }
    int n = 600;
    for (int i = 0; i < n; i++) {
      String url = "/p" + (i % 3);
      cluster.kafka().produce("pv-text", i % 2, null, url + "\t" + i + "\t1.5");
      cluster.kafka().produce("pv-csv", i % 2, null, "\"" + url + "\"," + i + ",1.5");
      cluster
          .kafka()
          .produce(
              "pv-json",
              i % 2,
              null,
              "{\"url\": \"" + url + "\", \"user_id\": " + i + ", \"latency\": 1.5}");
    }
    cluster
        .connect()
        .configureConnector("text-stream", streamSink("pv-text", "text_views", "text"));
    cluster.connect().configureConnector("csv-stream", streamSink("pv-csv", "csv_views", "csv"));
    cluster
        .connect()
        .configureConnector("json-stream", streamSink("pv-json", "json_views", "json"));

    for (String connector : List.of("text-stream", "csv-stream", "json-stream")) {
      awaitCommitted(server, db, connector, n);
    }
    for (String stream : List.of("text_views", "csv_views", "json_views")) {
      assertThat(
              rows(
                  server, db, "SELECT url, views, latency FROM " + stream + "_by_url ORDER BY url"))
          .as(stream)
          .containsExactly("/p0|200|300", "/p1|200|300", "/p2|200|300");
    }
  }

  @Test
  void structRecordsInBinaryFormatAreCountedOnceAndABadOneGoesToTheDeadLetterQueue()
      throws Exception {
    createStreamWithView("binary_views");
    cluster.kafka().createTopic("pv-binary", 1);
    String schema =
        "{\"type\":\"struct\",\"fields\":["
            + "{\"field\":\"url\",\"type\":\"string\"},"
            + "{\"field\":\"user_id\",\"type\":\"int64\"},"
            + "{\"field\":\"latency\",\"type\":\"double\"}]}";
    int n = 300;
    for (int i = 0; i < n; i++) {
      // Row 100's url holds a NUL, which PostgreSQL refuses in text: the database, not the
      // encoder, rejects that row, in the middle of a binary COPY.
      String url = "/p" + (i % 3) + (i == 100 ? "\\u0000" : "");
      cluster
          .kafka()
          .produce(
              "pv-binary",
              0,
              null,
              "{\"schema\":"
                  + schema
                  + ",\"payload\":{\"url\":\""
                  + url
                  + "\",\"user_id\":"
                  + i
                  + ",\"latency\":1.5}}");
    }
    Map<String, String> props = streamSink("pv-binary", "binary_views", "binary");
    props.put("tasks.max", "1");
    withStructValues(props);
    withDeadLetterQueue(props, "pv-binary-dlq");
    cluster.connect().configureConnector("binary-stream", props);

    awaitCount(
        server,
        db,
        "SELECT next_offset FROM pipeline_connect.sink_offsets WHERE connector = 'binary-stream'",
        n);
    // Rows 0..299 spread over /p0, /p1, /p2 (100 each); row 100 (/p1) went to the DLQ.
    assertThat(rows(server, db, "SELECT url, views, latency FROM binary_views_by_url ORDER BY url"))
        .containsExactly("/p0|100|150", "/p1|99|148.5", "/p2|100|150");
    assertThat(cluster.kafka().consume(1, 60_000, "pv-binary-dlq")).hasSize(1);
  }

  @Test
  void aBadRowGoesToTheDeadLetterQueueAndTheViewCountsEveryGoodRowOnce() throws Exception {
    createStreamWithView("strict_views");
    cluster.kafka().createTopic("pv-bad", 1);
    int n = 200;
    for (int i = 0; i < n; i++) {
      String latency = (i == 50 || i == 150) ? "fast" : "2";
      cluster.kafka().produce("pv-bad", 0, null, "/x\t" + i + "\t" + latency);
    }
    Map<String, String> props = streamSink("pv-bad", "strict_views", "text");
    props.put("tasks.max", "1");
    props.put("batchsize", "100");
    withDeadLetterQueue(props, "pv-bad-dlq");
    cluster.connect().configureConnector("bad-stream", props);

    awaitCount(
        server,
        db,
        "SELECT next_offset FROM pipeline_connect.sink_offsets WHERE connector = 'bad-stream'",
        n);
    assertThat(count(server, db, "SELECT views FROM strict_views_by_url")).isEqualTo(n - 2);
    List<String> dead = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : cluster.kafka().consume(2, 60_000, "pv-bad-dlq")) {
      dead.add(new String(record.value(), StandardCharsets.UTF_8));
    }
    assertThat(dead).containsExactlyInAnyOrder("/x\t50\tfast", "/x\t150\tfast");
  }
}
