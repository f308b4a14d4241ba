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
import org.postgresql.PGConnection;

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
    server.execute(db, statements);
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

  /**
   * The documented least-privilege set-up: a dedicated, non-superuser role installs and owns the
   * outbox; an application role gets USAGE on the schema and EXECUTE on produce_message (a table
   * owner, EXECUTE on emit_tuple) and nothing else. The application can send messages, and can
   * neither write the outbox around the functions nor send to a name Kafka would refuse.
   */
  /** By default produce_message sends no NOTIFY: it would serialize every commit. */
  @Test
  void byDefaultAMessageSendsNoNotify() throws SQLException {
    try (Connection listener = server.connect(db);
        Statement statement = listener.createStatement()) {
      statement.execute("LISTEN pipeline_kafka_outbox");
      sql("SELECT pipeline_kafka.produce_message('t', 'quiet'::bytea)");
      statement.execute("SELECT 1"); // notifications arrive with the next exchange
      assertThat(listener.unwrap(PGConnection.class).getNotifications(200)).isNullOrEmpty();
    }
    Map<String, String> props = new HashMap<>();
    props.put("connection.url", server.jdbcUrl(db));
    props.put("emitter.notify", "true");
    try (Connection connection = server.connect(db)) {
      OutboxInstaller.install(connection, new EmitterConfig(props));
    }
    try (Connection listener = server.connect(db);
        Statement statement = listener.createStatement()) {
      statement.execute("LISTEN pipeline_kafka_outbox");
      sql("SELECT pipeline_kafka.produce_message('t', 'loud'::bytea)");
      statement.execute("SELECT 1");
      assertThat(listener.unwrap(PGConnection.class).getNotifications(2_000)).hasSize(1);
    }
  }

  @Test
  void anApplicationRoleReachesTheOutboxOnlyThroughTheFunctions() throws SQLException {
    String owner = db + "_emitter";
    String app = db + "_app";
    String stranger = db + "_stranger";
    sql(
        "CREATE ROLE " + owner + " LOGIN",
        "GRANT CREATE ON DATABASE " + db + " TO " + owner,
        "CREATE ROLE " + app + " LOGIN",
        "CREATE ROLE " + stranger + " LOGIN",
        "CREATE TABLE public.app_orders (id int, item text)",
        "ALTER TABLE public.app_orders OWNER TO " + app);
    Map<String, String> props = new HashMap<>();
    props.put("connection.url", server.jdbcUrl(db));
    props.put("emitter.schema", "secure");
    EmitterConfig secure = new EmitterConfig(props);
    try (Connection connection = server.connectAs(db, owner);
        Statement statement = connection.createStatement()) {
      OutboxInstaller.install(connection, secure);
      OutboxInstaller.check(connection, "secure");
      statement.execute("GRANT USAGE ON SCHEMA secure TO " + app);
      statement.execute(
          "GRANT EXECUTE ON FUNCTION secure.produce_message(text, bytea, integer, bytea), "
              + "secure.emit_tuple() TO "
              + app);
    }
    try (Connection connection = server.connectAs(db, app);
        Statement statement = connection.createStatement()) {
      statement.execute("SELECT secure.produce_message('orders', 'by-function'::bytea)");
      statement.execute(
          "CREATE TRIGGER emit AFTER INSERT ON public.app_orders FOR EACH ROW"
              + " EXECUTE FUNCTION secure.emit_tuple('orders', '-1', 'id')");
      statement.execute("INSERT INTO public.app_orders VALUES (7, 'book')");
      for (String attempt :
          List.of(
              "INSERT INTO secure.outbox (bucket, topic, message) VALUES (99, 'connect-configs', 'x')",
              "UPDATE secure.outbox SET relay_batch = 1",
              "DELETE FROM secure.outbox",
              "SELECT nextval('secure.outbox_id_seq')",
              "SELECT secure.outbox_enqueue('orders', 'x'::bytea, NULL, NULL, NULL)",
              // A table owner not granted emit_outbox_event cannot route its rows anywhere.
              "CREATE TRIGGER capture AFTER INSERT ON public.app_orders FOR EACH ROW"
                  + " EXECUTE FUNCTION secure.emit_outbox_event("
                  + "'id', 'id', 'name', 'f', 'name', 'connect-', '')")) {
        assertThatThrownBy(() -> statement.execute(attempt))
            .as(attempt)
            .isInstanceOf(SQLException.class)
            .extracting(e -> ((SQLException) e).getSQLState())
            .isEqualTo("42501");
      }
      // The longest legal name and every legal character pass.
      statement.execute("SELECT secure.produce_message('" + "x".repeat(249) + "', 'x'::bytea)");
      statement.execute("SELECT secure.produce_message('Az09._-', 'x'::bytea)");
      for (String topic :
          List.of("bad topic", "..", ".", "", "x".repeat(250), "t/../u", "tö", "t\nu")) {
        assertThatThrownBy(
                () ->
                    statement.execute("SELECT secure.produce_message('" + topic + "', 'x'::bytea)"))
            .as(topic)
            .isInstanceOf(SQLException.class)
            .extracting(e -> ((SQLException) e).getSQLState())
            .isIn("22023", "22004");
      }
    }
    try (Connection connection = server.connectAs(db, stranger);
        Statement statement = connection.createStatement()) {
      assertThatThrownBy(
              () -> statement.execute("SELECT secure.produce_message('orders', 'x'::bytea)"))
          .isInstanceOf(SQLException.class)
          .extracting(e -> ((SQLException) e).getSQLState())
          .isEqualTo("42501");
    }
    List<String> rows = new ArrayList<>();
    try (Connection connection = server.connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT topic, key, convert_from(message, 'UTF8'), relay_batch"
                    + " FROM secure.outbox ORDER BY id")) {
      while (rs.next()) {
        rows.add(
            rs.getString(1)
                + "|"
                + (rs.getBytes(2) == null
                    ? null
                    : new String(rs.getBytes(2), StandardCharsets.UTF_8))
                + "|"
                + rs.getString(3)
                + "|"
                + rs.getString(4));
      }
    }
    assertThat(rows)
        .containsExactly(
            "orders|null|by-function|null",
            "orders|7|{\"id\":7,\"item\":\"book\"}|null",
            "x".repeat(249) + "|null|x|null",
            "Az09._-|null|x|null");
  }

  /**
   * emitter.buckets changes where a key's messages go: with messages waiting it is refused, naming
   * the count to keep; once the outbox has drained it is allowed.
   */
  @Test
  void theBucketCountChangesOnlyWhileTheOutboxHasNothingToRelay() throws SQLException {
    sql("SELECT pipeline_kafka.produce_message('t', 'waiting'::bytea)");
    Map<String, String> props = new HashMap<>();
    props.put("connection.url", server.jdbcUrl(db));
    props.put("emitter.buckets", "4");
    EmitterConfig fewer = new EmitterConfig(props);
    try (Connection connection = server.connect(db)) {
      assertThatThrownBy(() -> OutboxInstaller.install(connection, fewer))
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("from 16 to 4 while 1 messages wait")
          .hasMessageContaining("emitter.buckets=16");
      assertThatThrownBy(() -> OutboxInstaller.checkBuckets(connection, fewer))
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("set emitter.buckets=16");
      assertThat(OutboxInstaller.installedBuckets(connection, "pipeline_kafka")).hasValue(16);
    }
    sql("DELETE FROM pipeline_kafka.outbox");
    try (Connection connection = server.connect(db)) {
      OutboxInstaller.install(connection, fewer);
      assertThat(OutboxInstaller.installedBuckets(connection, "pipeline_kafka")).hasValue(4);
      OutboxInstaller.checkBuckets(connection, fewer);
    }
  }

  /**
   * emitter.key.lock makes a transaction wait for an earlier one with the same key; messages
   * without a key have no order to keep and never wait (they all once shared the empty key's lock).
   */
  @Test
  void theKeyLockHoldsBackOnlyTransactionsThatShareAKey() throws SQLException {
    Map<String, String> props = new HashMap<>();
    props.put("connection.url", server.jdbcUrl(db));
    props.put("emitter.key.lock", "true");
    try (Connection connection = server.connect(db)) {
      OutboxInstaller.install(connection, new EmitterConfig(props));
    }
    try (Connection first = server.connect(db);
        Connection second = server.connect(db);
        Statement one = first.createStatement();
        Statement two = second.createStatement()) {
      first.setAutoCommit(false);
      second.setAutoCommit(false);
      one.execute("SELECT pipeline_kafka.produce_message('t', 'a')");
      one.execute("SELECT pipeline_kafka.produce_message('t', 'k1', key := 'k')");
      // A wait for the first transaction's lock ends in an error instead of hanging the test.
      two.execute("SET lock_timeout = '2s'");
      two.execute("SELECT pipeline_kafka.produce_message('t', 'b')");
      two.execute("SELECT pipeline_kafka.produce_message('t', 'o', key := 'other')");
      assertThatThrownBy(
              () -> two.execute("SELECT pipeline_kafka.produce_message('t', 'k2', key := 'k')"))
          .hasMessageContaining("lock timeout");
      second.rollback();
      first.commit();
    }
    assertThat(outbox()).containsExactly("t|null|null|a", "t|null|k|k1");
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

  /**
   * An outbox installed by a DBA from an earlier version's script lacks the headers column: the
   * check says to run this version's script, and running it (the install) upgrades the outbox in
   * place, keeping the message waiting.
   */
  @Test
  void anOutboxOfAnEarlierVersionIsNamedAndTheInstallUpgradesItKeepingItsMessages()
      throws SQLException {
    sql(
        "ALTER TABLE pipeline_kafka.outbox DROP COLUMN headers",
        "INSERT INTO pipeline_kafka.outbox (bucket, topic, message) VALUES (0, 'waiting', 'x')");
    try (Connection connection = server.connect(db)) {
      assertThatThrownBy(() -> OutboxInstaller.check(connection, "pipeline_kafka"))
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("installed by an earlier version")
          .hasMessageContaining("pipeline_kafka_outbox.sql");
      OutboxInstaller.install(connection, config);
      OutboxInstaller.check(connection, "pipeline_kafka");
    }
    sql("SELECT pipeline_kafka.produce_message('after', 'y'::bytea)");
    assertThat(outbox()).hasSize(2).anyMatch(row -> row.startsWith("waiting|"));
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
