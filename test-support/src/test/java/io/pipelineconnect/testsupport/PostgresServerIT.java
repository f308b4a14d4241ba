package io.pipelineconnect.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real PostgreSQL from zonky's binaries: it starts (as root too), answers, and survives a
 * restart.
 */
class PostgresServerIT {
  @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();

  @Test
  void answersQueriesAsItsSuperuser() throws SQLException {
    String db = PG.createDatabase();
    try (Connection connection = PG.server().connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT current_user, current_setting('server_version_num')::int")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("postgres");
      assertThat(rs.getInt(2)).isGreaterThanOrEqualTo(160000);
    }
  }

  @Test
  void eachTestGetsItsOwnDatabase() {
    assertThat(PG.createDatabase()).isNotEqualTo(PG.createDatabase());
  }

  @Test
  void keepsCommittedRowsAcrossARestartOnTheSamePort() throws SQLException {
    String db = PG.createDatabase();
    int port = PG.server().port();
    try (Connection connection = PG.server().connect(db);
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE TABLE kept (id int PRIMARY KEY, note text)");
      statement.execute("INSERT INTO kept SELECT g, 'row ' || g FROM generate_series(1, 1000) g");
    }

    PG.server().stop();
    assertThat(PG.server().isRunning()).isFalse();
    assertThatThrownBy(() -> PG.server().connect(db).close()).isInstanceOf(SQLException.class);

    PG.server().start();
    assertThat(PG.server().port()).isEqualTo(port);
    try (Connection connection = PG.server().connect(db);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("SELECT count(*), max(note) FROM kept")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(1000);
      assertThat(rs.getString(2)).isEqualTo("row 999");
    }
  }
}
