package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The installed SQL against a real PostgreSQL: the functions behave as the seed documents. */
class EmitterSqlIT {
  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  private PostgresServer server;
  private String db;
  private EmitterConfig config;

  @BeforeEach
  void install() throws SQLException {
    server = PG.server();
    db = PG.createDatabase();
    Map<String, String> props = new HashMap<>();
    props.put("connection.url", server.jdbcUrl(db));
    config = new EmitterConfig(props);
    try (Connection connection = server.connect(db)) {
      OutboxInstaller.install(connection, config);
      OutboxInstaller.install(connection, config); // idempotent
      OutboxInstaller.check(connection, "pipeline_kafka");
    }
  }

  private void sql(String... statements) throws SQLException {
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement()) {
      for (String s : statements) {
        statement.execute(s);
      }
    }
  }

  /** Outbox rows as "topic|partition|key|message", in id order. */
  private List<String> outbox() throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT topic, kafka_partition, key, message FROM pipeline_kafka.outbox ORDER BY id")) {
      while (rs.next()) {
        byte[] key = rs.getBytes(3);
        rows.add(
            rs.getString(1)
                + "|"
                + rs.getString(2)
                + "|"
                + (key == null ? null : new String(key, StandardCharsets.UTF_8))
                + "|"
                + new String(rs.getBytes(4), StandardCharsets.UTF_8));
      }
    }
    return rows;
  }

  @Test
  void produceMessageTakesTheOriginalArgumentsPositionallyAndByName() throws SQLException {
    sql(
        "SELECT pipeline_kafka.produce_message('t', 'a'::bytea)",
        "SELECT pipeline_kafka.produce_message('t', 'b'::bytea, 2)",
        "SELECT pipeline_kafka.produce_message('t', 'c'::bytea, 1, 'k1'::bytea)",
        "SELECT pipeline_kafka.produce_message('t', 'd'::bytea, key := 'k2'::bytea)",
        "SELECT pipeline_kafka.produce_message(topic := 'u', message := 'e'::bytea, partition := 0)");
    assertThat(outbox())
        .containsExactly("t|null|null|a", "t|2|null|b", "t|1|k1|c", "t|null|k2|d", "u|0|null|e");
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery("SELECT pipeline_kafka.produce_message('t', 'x'::bytea)")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("success");
    }
  }

  @Test
  void emitTupleEmitsTheNewRowAsJsonWithPartitionAndKey() throws SQLException {
    sql(
        "CREATE TABLE users (id int PRIMARY KEY, name text, score numeric)",
        "CREATE TRIGGER to_kafka AFTER INSERT OR UPDATE ON users FOR EACH ROW"
            + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('users', '-1', 'id')",
        "CREATE TABLE pinned (n int)",
        "CREATE TRIGGER to_kafka AFTER INSERT ON pinned FOR EACH ROW"
            + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('pinned', '3')",
        "INSERT INTO users VALUES (7, 'ann', 1.5)",
        "UPDATE users SET name = 'bob' WHERE id = 7",
        "INSERT INTO pinned VALUES (1)");
    assertThat(outbox())
        .containsExactly(
            "users|null|7|{\"id\":7,\"name\":\"ann\",\"score\":1.5}",
            "users|null|7|{\"id\":7,\"name\":\"bob\",\"score\":1.5}",
            "pinned|3|null|{\"n\":1}");
  }

  @Test
  void aRolledBackTransactionEmitsNothing() throws SQLException {
    try (Connection connection = server.connect(db)) {
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement()) {
        statement.execute("SELECT pipeline_kafka.produce_message('t', 'never'::bytea)");
      }
      connection.rollback();
    }
    assertThat(outbox()).isEmpty();
  }

  @Test
  void badArgumentsFailWithAClearError() throws SQLException {
    sql("CREATE TABLE items (id int, label text)");
    assertThatThrownBy(
            () ->
                sql(
                    "CREATE TRIGGER k AFTER INSERT ON items FOR EACH ROW"
                        + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('t', '-1', 'nope')",
                    "INSERT INTO items VALUES (1, 'x')"))
        .hasMessageContaining("no column \"nope\"");
    sql("DROP TRIGGER k ON items");
    assertThatThrownBy(
            () ->
                sql(
                    "CREATE TRIGGER k AFTER INSERT ON items FOR EACH ROW"
                        + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('t', '-1', 'label')",
                    "INSERT INTO items VALUES (1, NULL)"))
        .hasMessageContaining("key column \"label\" is NULL");
    sql("DROP TRIGGER k ON items");
    assertThatThrownBy(
            () ->
                sql(
                    "CREATE TRIGGER k AFTER INSERT ON items FOR EACH ROW"
                        + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('t', 'first')",
                    "INSERT INTO items VALUES (1, 'x')"))
        .hasMessageContaining("partition 'first' is not an integer");
    sql("DROP TRIGGER k ON items");
    assertThatThrownBy(
            () ->
                sql(
                    "CREATE TRIGGER k AFTER INSERT ON items FOR EACH ROW"
                        + " EXECUTE FUNCTION pipeline_kafka.emit_tuple()",
                    "INSERT INTO items VALUES (1, 'x')"))
        .hasMessageContaining("needs a topic");
    sql("DROP TRIGGER k ON items");
    assertThatThrownBy(
            () ->
                sql(
                    "CREATE TRIGGER k BEFORE INSERT ON items FOR EACH ROW"
                        + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('t')",
                    "INSERT INTO items VALUES (1, 'x')"))
        .hasMessageContaining("only in an AFTER INSERT OR UPDATE");
    sql("DROP TRIGGER k ON items");
    assertThatThrownBy(
            () ->
                sql(
                    "CREATE TRIGGER k AFTER INSERT ON items FOR EACH STATEMENT"
                        + " EXECUTE FUNCTION pipeline_kafka.emit_tuple('t')",
                    "INSERT INTO items VALUES (1, 'x')"))
        .hasMessageContaining("FOR EACH STATEMENT");
    assertThatThrownBy(() -> sql("SELECT pipeline_kafka.produce_message(NULL, 'x'::bytea)"))
        .hasMessageContaining("topic must be given");
    assertThatThrownBy(() -> sql("SELECT pipeline_kafka.produce_message('t', 'x'::bytea, -3)"))
        .hasMessageContaining("partition -3 is negative");
    assertThat(outbox()).isEmpty();
  }

  @Test
  void anIdSequenceWithACacheIsRefused() throws SQLException {
    sql("ALTER SEQUENCE pipeline_kafka.outbox_id_seq CACHE 20");
    try (Connection connection = server.connect(db)) {
      assertThatThrownBy(() -> OutboxInstaller.check(connection, "pipeline_kafka"))
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("CACHE 1");
    }
  }
}
