package io.pipelineconnect.sink;

import static io.pipelineconnect.sink.SinkTestSupport.count;
import static io.pipelineconnect.sink.SinkTestSupport.execute;
import static io.pipelineconnect.sink.SinkTestSupport.sinkConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.testsupport.ConnectClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.PostgresExtension;
import io.pipelineconnect.testsupport.PostgresServer;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Connect's validate endpoint asks the database what a task would find at start, and puts each
 * finding on the key to change, where before every one of these configs validated with no error and
 * failed only as a task after creation.
 */
class SinkValidationIT {
  @RegisterExtension
  static final ConnectClusterExtension CONNECT = ConnectClusterExtension.withWorkers(1);

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

  @Test
  void aConfigThatWorksValidatesWithoutErrorAndLeavesNothingBehind() throws Exception {
    execute(server, db, "CREATE TABLE views (url text, n int)");
    Map<String, String> props = sinkConfig(cluster, server, db, "views-in", "views");
    props.put("format", "csv");
    assertThat(errors(props)).isEmpty();
    // The offsets table a task would create was made in a transaction rolled back.
    assertThat(
            count(
                server, db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pipeline_connect'"))
        .isZero();
  }

  @Test
  void aMissingTableIsNamedOnStreamWithHowToCreateIt() {
    Map<String, String> errors = errors(sinkConfig(cluster, server, db, "x-in", "no_such_table"));
    assertThat(errors).containsOnlyKeys("stream");
    assertThat(errors.get("stream")).contains("no_such_table", "does not exist", "CREATE TABLE");
  }

  @Test
  void aMissingTableIsFineWithAutoCreate() throws Exception {
    Map<String, String> props = sinkConfig(cluster, server, db, "x-in", "made_later");
    props.put("format", "json");
    props.put("auto.create", "true");
    props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
    props.put("value.converter.schemas.enable", "true");
    assertThat(errors(props)).isEmpty();
  }

  @Test
  void anUnknownColumnIsNamedOnColumns() throws Exception {
    execute(server, db, "CREATE TABLE narrow (url text)");
    Map<String, String> props = sinkConfig(cluster, server, db, "x-in", "narrow");
    props.put("columns", "url,latency");
    Map<String, String> errors = errors(props);
    assertThat(errors).containsOnlyKeys("columns");
    assertThat(errors.get("columns")).contains("latency");
  }

  @Test
  void anUnreachableServerOrDatabaseIsNamedOnTheUrl() {
    Map<String, String> props = sinkConfig(cluster, server, db, "x-in", "t");
    props.put("connection.url", "jdbc:postgresql://127.0.0.1:1/" + db);
    Map<String, String> errors = errors(props);
    assertThat(errors).containsOnlyKeys("connection.url");
    assertThat(errors.get("connection.url")).contains("Could not connect", "127.0.0.1:1");

    props.put("connection.url", server.jdbcUrl("no_such_database"));
    errors = errors(props);
    assertThat(errors).containsOnlyKeys("connection.url");
    assertThat(errors.get("connection.url")).contains("no_such_database", "CREATE DATABASE");
  }

  @Test
  void aRoleThatCannotLogInIsNamedOnTheUser() {
    Map<String, String> props = sinkConfig(cluster, server, db, "x-in", "t");
    props.put("connection.user", "nobody_" + db);
    Map<String, String> errors = errors(props);
    assertThat(errors).containsOnlyKeys("connection.user");
    assertThat(errors.get("connection.user")).contains("nobody_" + db, "set connection.user");
  }

  /**
   * The offsets schema exists (another sink made it) and the role may not use it: named on
   * offsets.table with the grants, not as a database failure on connection.url (seen on the
   * quickstart's database before the lookup went through the catalogs).
   */
  @Test
  void anOffsetsSchemaTheRoleMayNotUseIsNamedWithTheGrant() throws Exception {
    String role = "outsider_" + db;
    execute(
        server,
        db,
        "CREATE ROLE " + role + " LOGIN",
        "CREATE SCHEMA pipeline_connect",
        "CREATE TABLE pipeline_connect.sink_offsets (n int)",
        "CREATE TABLE open_target (url text)",
        "GRANT INSERT ON open_target TO " + role);
    Map<String, String> props = sinkConfig(cluster, server, db, "x-in", "open_target");
    props.put("connection.user", role);
    Map<String, String> errors = errors(props);
    assertThat(errors).containsOnlyKeys("offsets.table");
    assertThat(errors.get("offsets.table"))
        .contains(role + " may not use schema pipeline_connect")
        .contains("GRANT USAGE ON SCHEMA pipeline_connect TO " + role)
        .contains("GRANT SELECT, INSERT, UPDATE, DELETE ON \"pipeline_connect\".\"sink_offsets\"");

    execute(
        server,
        db,
        "GRANT USAGE ON SCHEMA pipeline_connect TO " + role,
        "GRANT SELECT, INSERT, UPDATE, DELETE ON pipeline_connect.sink_offsets TO " + role);
    assertThat(errors(props)).isEmpty();
  }

  @Test
  void aWrongPasswordIsNamedOnThePasswordAndNeverEchoed() throws Exception {
    String role = "pw_" + db;
    execute(
        server,
        db,
        "CREATE ROLE " + role + " LOGIN PASSWORD 'the-right-one'",
        "CREATE TABLE guarded (url text)",
        "GRANT INSERT ON guarded TO " + role,
        "CREATE SCHEMA pipeline_connect AUTHORIZATION " + role);
    server.requirePassword(role);
    Map<String, String> props = sinkConfig(cluster, server, db, "x-in", "guarded");
    props.put("connection.user", role);
    props.put("connection.password", "a-wrong-one");
    // The reload is asynchronous: wait until the server asks this role for its password.
    Awaitility.await("the server asks " + role + " for a password")
        .atMost(Duration.ofSeconds(10))
        .until(() -> errors(props).containsKey("connection.password"));
    Map<String, String> errors = errors(props);
    assertThat(errors).containsOnlyKeys("connection.password");
    assertThat(errors.get("connection.password"))
        .contains("refused the password of " + role, "set connection.password")
        .doesNotContain("a-wrong-one");

    props.put("connection.password", "the-right-one");
    assertThat(errors(props)).isEmpty();
  }

  @Test
  void aRoleWithoutTheRightsIsToldTheGrantsOnTheKeyToFix() throws Exception {
    String role = "reader_" + db;
    execute(
        server,
        db,
        "CREATE ROLE " + role + " LOGIN",
        "CREATE TABLE guarded (url text)",
        "GRANT SELECT ON guarded TO " + role);
    Map<String, String> props = sinkConfig(cluster, server, db, "x-in", "guarded");
    props.put("connection.user", role);
    Map<String, String> errors = errors(props);
    // No CREATE on the database for the offsets schema, and no INSERT on the target.
    assertThat(errors).containsOnlyKeys("offsets.table", "connection.user");
    assertThat(errors.get("offsets.table"))
        .contains("\"pipeline_connect\".\"sink_offsets\"", "roles.sql");
    assertThat(errors.get("connection.user")).contains("GRANT INSERT ON \"guarded\" TO " + role);
    assertThat(errors.get("offsets.table"))
        .contains("may not create its schema pipeline_connect", "AUTHORIZATION " + role);

    execute(
        server,
        db,
        "CREATE SCHEMA pipeline_connect AUTHORIZATION " + role,
        "GRANT INSERT ON guarded TO " + role);
    assertThat(errors(props)).isEmpty();
  }

  /** The first error Connect's validate endpoint reports, by key. */
  private Map<String, String> errors(Map<String, String> props) {
    props.put("name", "validate-live");
    return cluster.validationErrors(PipelineSinkConnector.class.getSimpleName(), props);
  }
}
