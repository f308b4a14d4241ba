package io.pipelineconnect.sink;

import io.pipelineconnect.common.LiveValidation;
import io.pipelineconnect.common.PostgresConnectionConfig;
import io.pipelineconnect.common.RelationName;
import io.pipelineconnect.sink.copy.CopyFormatConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * {@code validate()}'s look at the database, as a task will use it at start: can it connect and log
 * in, may it make or use the offsets table, and, for a fixed {@code stream}, does the target exist
 * with the columns, keys and rights the writer needs (the task's own start check, run in a
 * transaction that is rolled back, so validating leaves nothing behind). Each finding goes on the
 * key to change. Targets found per record (stream.format, stream.from.key) are checked as records
 * name them.
 */
final class SinkPreflight {
  /** insufficient_privilege */
  private static final String NO_RIGHT = "42501";

  /** undefined_column */
  private static final String NO_SUCH_COLUMN = "42703";

  private SinkPreflight() {}

  static void check(PipelineSinkConfig config, Config result) {
    LiveValidation.run(
        result,
        config.connection(),
        db -> {
          db.setAutoCommit(false);
          try {
            checkOffsetsTable(db, config, result);
            if (config.stream().isPresent()) {
              checkTarget(db, config, result);
            }
          } finally {
            db.rollback();
          }
        });
  }

  /**
   * Read only: the rights the task needs on the offsets table if it exists, else the right to
   * create it (and its schema). The task makes it at start, not validation.
   */
  private static void checkOffsetsTable(Connection db, PipelineSinkConfig config, Config result)
      throws SQLException {
    RelationName table = config.offsetsTable();
    String schema = table.schema().orElse("public");
    String user = config.connection().user();
    String fix =
        ": as a DBA, CREATE SCHEMA "
            + schema
            + " AUTHORIZATION "
            + user
            + ", or create the table and grant SELECT, INSERT, UPDATE, DELETE on it (see"
            + " config-examples/roles.sql)";
    String problem;
    // From the catalogs, which every role may read: looking the table up by name (to_regclass)
    // in a schema the role may not use fails instead of answering.
    try (PreparedStatement query =
        db.prepareStatement(
            "SELECT n.oid IS NOT NULL, has_schema_privilege(n.oid, 'USAGE'),"
                + " has_schema_privilege(n.oid, 'CREATE'),"
                + " has_database_privilege(current_database(), 'CREATE'),"
                + " EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid"
                + " AND c.relname = ?)"
                + " FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = ?")) {
      query.setString(1, table.name());
      query.setString(2, schema);
      try (ResultSet rs = query.executeQuery()) {
        rs.next();
        boolean schemaExists = rs.getBoolean(1);
        if (schemaExists && !rs.getBoolean(2)) {
          problem = "may not use schema " + schema;
          fix =
              ": as a DBA, GRANT USAGE ON SCHEMA "
                  + schema
                  + " TO "
                  + user
                  + (rs.getBoolean(5)
                      ? " and GRANT SELECT, INSERT, UPDATE, DELETE ON " + table + " TO " + user
                      : " and GRANT CREATE ON SCHEMA " + schema + " TO " + user)
                  + " (see config-examples/roles.sql)";
        } else if (rs.getBoolean(5)) {
          problem = missingTableRights(db, table);
        } else if (schemaExists) {
          problem = rs.getBoolean(3) ? null : "may not create it in schema " + schema;
        } else {
          problem = rs.getBoolean(4) ? null : "may not create its schema " + schema;
        }
      }
    }
    if (problem != null) {
      LiveValidation.addError(
          result,
          PipelineSinkConfig.OFFSETS_TABLE,
          user + " " + problem + ", and the sink keeps its offsets in " + table + fix);
    }
  }

  private static String missingTableRights(Connection db, RelationName table) throws SQLException {
    List<String> missing = new ArrayList<>();
    for (String privilege : List.of("SELECT", "INSERT", "UPDATE", "DELETE")) {
      if (!Catalog.hasPrivilege(db, table, privilege)) {
        missing.add(privilege);
      }
    }
    return missing.isEmpty() ? null : "lacks " + String.join(", ", missing) + " on it";
  }

  private static void checkTarget(Connection db, PipelineSinkConfig config, Config result)
      throws SQLException {
    try {
      inSavepoint(
          db,
          () -> {
            WritePath path = WritePath.choose(config, db);
            FixedTargetCheck.check(
                db, config.stream().get(), config, path.encoder(), path.writer());
          });
    } catch (ConnectException e) {
      // The start check's words, with the role it names filled in.
      String message = String.valueOf(e.getMessage()).replace("<user>", config.connection().user());
      LiveValidation.addError(result, keyOf(config, message), message);
    } catch (SQLException e) {
      if (e.getSQLState() == null) {
        // The catalog's own refusal (no INSERT right, a column that is not there), in the words
        // the task would fail with.
        String message = e.getMessage().replace("<user>", config.connection().user());
        LiveValidation.addError(
            result,
            message.startsWith("User may not")
                ? PostgresConnectionConfig.USER
                : keyOf(config, message),
            message);
      } else if (NO_RIGHT.equals(e.getSQLState())) {
        LiveValidation.addError(
            result,
            PostgresConnectionConfig.USER,
            config.connection().user()
                + " may not write "
                + config.stream().get()
                + " ("
                + e.getMessage()
                + "): GRANT INSERT ON "
                + config.stream().get().quoted()
                + " TO "
                + config.connection().user()
                + (config.writeMode().appends()
                    ? ""
                    : " (with SELECT, UPDATE and DELETE for upserts)"));
      } else if (NO_SUCH_COLUMN.equals(e.getSQLState()) || isRecordsFault(e)) {
        LiveValidation.addError(
            result,
            config.columns().isEmpty() ? PipelineSinkConfig.STREAM : PipelineSinkConfig.COLUMNS,
            "COPY into " + config.stream().get() + " as configured fails: " + e.getMessage());
      } else {
        throw e;
      }
    }
  }

  /** The key a start check's message is about: the one it tells the user to set. */
  private static String keyOf(PipelineSinkConfig config, String message) {
    String text = String.valueOf(message);
    for (String key :
        new String[] {
          WriteMode.PK_FIELDS,
          MetadataColumns.METADATA_COLUMNS,
          PipelineSinkConfig.COLUMNS,
          CopyFormatConfig.FORMAT
        }) {
      if (text.contains("(from " + key + ")") || text.contains("set " + key)) {
        return key;
      }
    }
    return PipelineSinkConfig.STREAM;
  }

  private static boolean isRecordsFault(SQLException e) {
    return e.getSQLState() != null && e.getSQLState().startsWith("22");
  }

  private interface SqlAction {
    void run() throws SQLException;
  }

  /**
   * Runs the check in a savepoint rolled back afterwards: each leaves the transaction as it was.
   */
  private static void inSavepoint(Connection db, SqlAction check) throws SQLException {
    java.sql.Savepoint savepoint = db.setSavepoint();
    try {
      check.run();
    } finally {
      db.rollback(savepoint);
    }
  }
}
