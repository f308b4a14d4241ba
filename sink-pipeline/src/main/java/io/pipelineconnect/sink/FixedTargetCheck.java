package io.pipelineconnect.sink;

import io.pipelineconnect.common.RelationName;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * At start, a fixed target ({@code stream}) must exist, be writable by the sink's role and accept
 * the writer's options: each failure names the target and the fix, before any record is read.
 */
final class FixedTargetCheck {
  /** feature_not_supported: what COPY FROM raises on a table whose row-level security applies. */
  private static final String ROW_SECURITY_REFUSES_COPY = "0A000";

  private FixedTargetCheck() {}

  /**
   * @return the target, or empty when auto.create will make it from the first record
   */
  static Optional<TargetTable> check(
      Connection db,
      RelationName name,
      PipelineSinkConfig config,
      RowEncoder encoder,
      BatchWriter writer)
      throws SQLException {
    Optional<TargetTable> found;
    try {
      found = Catalog.lookUp(db, name, config.columns(), TargetPolicy.from(config), false);
    } catch (BadRecordException e) {
      throw new ConnectException(e.getMessage() + ". Set stream to a table or stream of yours.");
    }
    if (found.isEmpty() && config.autoCreate()) {
      // Made from the first record's schema; what it then needs is checked as it is written.
      return Optional.empty();
    }
    TargetTable table =
        found.orElseThrow(
            () ->
                new ConnectException(
                    "Target "
                        + name
                        + " does not exist. Create it first, e.g. CREATE TABLE "
                        + name.quoted()
                        + " (...), or on PipelineDB CREATE FOREIGN TABLE "
                        + name.quoted()
                        + " (...) SERVER pipelinedb"));
    encoder.checkTarget(table);
    // An empty COPY checks the options and the column list the way every batch will use them.
    try (Statement statement = db.createStatement()) {
      statement.execute("SAVEPOINT check_copy");
    }
    try {
      writer.check(db, table);
    } catch (SQLException e) {
      if (ROW_SECURITY_REFUSES_COPY.equals(e.getSQLState())
          && String.valueOf(e.getMessage()).contains("row-level security")) {
        throw new ConnectException(
            "Target "
                + name
                + " has row-level security enabled for "
                + config.connection().user()
                + ", and COPY FROM cannot write such a table ("
                + e.getMessage()
                + "). Connect as the table's owner or a role with BYPASSRLS, or disable row-level"
                + " security on it (ALTER TABLE "
                + name.quoted()
                + " DISABLE ROW LEVEL SECURITY)");
      }
      throw e;
    } finally {
      try (Statement statement = db.createStatement()) {
        statement.execute("ROLLBACK TO SAVEPOINT check_copy");
      }
    }
    return Optional.of(table);
  }
}
