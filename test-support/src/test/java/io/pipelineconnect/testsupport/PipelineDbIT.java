package io.pipelineconnect.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/** The real PipelineDB 1.0: a stream takes COPY and a continuous view answers. */
class PipelineDbIT {
  @RegisterExtension static final PostgresExtension PIPELINE = PostgresExtension.pipelineDb();

  @Test
  void copyIntoAStreamUpdatesAContinuousView() throws Exception {
    String db = PIPELINE.createDatabase();
    try (Connection connection = PIPELINE.server().connect(db);
        Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE FOREIGN TABLE page_views (url text, user_id bigint, latency float8)"
              + " SERVER pipelinedb");
      statement.execute(
          "CREATE VIEW by_url WITH (action=materialize) AS"
              + " SELECT url, count(*) AS views, avg(latency) AS latency FROM page_views GROUP BY url");
      statement.execute("SET pipelinedb.stream_insert_level = sync_commit");

      // Streams have a hidden arrival_timestamp column: COPY must name its columns.
      long copied =
          connection
              .unwrap(PGConnection.class)
              .getCopyAPI()
              .copyIn(
                  "COPY page_views (url, user_id, latency) FROM STDIN WITH (FORMAT csv)",
                  new StringReader("/a,1,10\n/a,2,20\n/b,3,5\n"));
      assertThat(copied).isEqualTo(3);

      // The background workers of a new extension take a few seconds to come up.
      Awaitility.await("continuous view by_url updated")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> views(connection, "/a") == 2);
      assertThat(views(connection, "/b")).isEqualTo(1);
      try (ResultSet rs = statement.executeQuery("SELECT latency FROM by_url WHERE url = '/a'")) {
        rs.next();
        assertThat(rs.getDouble(1)).isEqualTo(15.0);
      }
    }
  }

  private static long views(Connection connection, String url) throws SQLException {
    try (var query = connection.prepareStatement("SELECT views FROM by_url WHERE url = ?")) {
      query.setString(1, url);
      try (ResultSet rs = query.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }
}
