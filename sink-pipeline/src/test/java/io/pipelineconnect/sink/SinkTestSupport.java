package io.pipelineconnect.sink;

import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;

/** Shared pieces of the sink's integration tests. */
final class SinkTestSupport {
  static final String BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter";
  static final String STRINGS = "org.apache.kafka.connect.storage.StringConverter";

  private SinkTestSupport() {}

  /** A sink config writing topic into target, text format, from the beginning. */
  static Map<String, String> sinkConfig(
      KafkaConnectCluster cluster,
      PostgresServer server,
      String database,
      String topic,
      String target) {
    Map<String, String> props = new HashMap<>();
    props.put("connector.class", PipelineSinkConnector.class.getName());
    props.put("tasks.max", "2");
    props.put("topics", topic);
    props.put("key.converter", BYTES);
    props.put("value.converter", BYTES);
    props.put("connection.url", server.jdbcUrl(database));
    props.put("connection.user", server.user());
    props.put("stream", target);
    props.put("start_offset", "-2");
    props.put("kafka.bootstrap.servers", cluster.bootstrapServers());
    props.put("linger.ms", "200");
    return props;
  }

  /** Waits until the connector's saved offsets add up to {@code nextOffsets}. */
  static void awaitCommitted(
      PostgresServer server, String database, String connector, long nextOffsets) {
    awaitCount(
        server,
        database,
        "SELECT sum(next_offset) FROM pipeline_connect.sink_offsets WHERE connector = '"
            + connector
            + "'",
        nextOffsets);
  }

  /** A record header's value as UTF-8 text, or null if the record has none of that key. */
  static String header(ConsumerRecord<byte[], byte[]> record, String key) {
    Header header = record.headers().lastHeader(key);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /** Routes bad records to a dead letter queue topic, with the error in its headers. */
  static void withDeadLetterQueue(Map<String, String> props, String topic) {
    props.put("errors.tolerance", "all");
    props.put("errors.deadletterqueue.topic.name", topic);
    props.put("errors.deadletterqueue.topic.replication.factor", "1");
    props.put("errors.deadletterqueue.context.headers.enable", "true");
  }

  /** Values as Structs: JSON messages with their schema, read by JsonConverter. */
  static void withStructValues(Map<String, String> props) {
    props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
    props.put("value.converter.schemas.enable", "true");
  }

  static void execute(PostgresServer server, String database, String... statements)
      throws SQLException {
    server.execute(database, statements);
  }

  static long count(PostgresServer server, String database, String sql) {
    return server.queryLong(database, sql);
  }

  /** All rows of a query, each row's columns joined with '|', nulls as "null". */
  static List<String> rows(PostgresServer server, String database, String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection connection = server.connect(database);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> values = new ArrayList<>();
        for (int i = 1; i <= columns; i++) {
          values.add(String.valueOf(rs.getString(i)));
        }
        rows.add(String.join("|", values));
      }
    }
    return rows;
  }

  static void awaitCount(PostgresServer server, String database, String sql, long expected) {
    Awaitility.await(sql + " = " + expected)
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        // The offsets table is created by the first task to start, which may be after the first
        // poll here: a missing relation means "not yet", and still fails the wait if it persists.
        .ignoreExceptionsMatching(SinkTestSupport::isUndefinedTable)
        .until(() -> count(server, database, sql) == expected);
  }

  private static boolean isUndefinedTable(Throwable failure) {
    return failure.getCause() instanceof SQLException
        && "42P01".equals(((SQLException) failure.getCause()).getSQLState());
  }
}
