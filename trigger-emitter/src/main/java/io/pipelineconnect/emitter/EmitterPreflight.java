package io.pipelineconnect.emitter;

import io.pipelineconnect.common.LiveValidation;
import io.pipelineconnect.common.PostgresConnectionConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * {@code validate()}'s look at the database, read only: can the connector log in, and can it
 * install the outbox SQL (or, with emitter.install=false, is an outbox there that fits the config).
 * It installs nothing: the install takes a lock on the outbox that the application's writers would
 * wait behind, and validating must not cost them.
 */
final class EmitterPreflight {
  private EmitterPreflight() {}

  static void check(EmitterConfig config, Config result) {
    LiveValidation.run(
        result,
        config.connection(),
        db -> {
          db.setReadOnly(true);
          try {
            OutboxInstaller.refuseOriginalExtension(db, config.schema());
            if (config.install()) {
              checkInstallRights(db, config, result);
              OutboxInstaller.refuseBucketChangeWithPendingMessages(db, config);
            } else {
              OutboxInstaller.check(db, config.schema());
              OutboxInstaller.checkBuckets(db, config);
            }
            if (config.outboxTable().isPresent()) {
              checkOutboxTable(db, config, config.outboxTable().get());
            }
          } catch (ConnectException e) {
            LiveValidation.addError(result, keyOf(e.getMessage()), e.getMessage());
          }
        });
  }

  /**
   * The install creates the schema unless it exists and then everything in it, and replaces the
   * functions: the role needs CREATE on the database or the schema, and must own the outbox if one
   * is there (the relay runs as its owner, the only role with rights on it).
   */
  private static void checkInstallRights(Connection db, EmitterConfig config, Config result)
      throws SQLException {
    String schema = config.schema();
    String user = config.connection().user();
    try (PreparedStatement query =
        db.prepareStatement(
            "SELECT (SELECT has_schema_privilege(n.oid, 'CREATE') FROM pg_namespace n"
                + " WHERE n.nspname = ?),"
                + " has_database_privilege(current_database(), 'CREATE'),"
                + " (SELECT pg_get_userbyid(c.relowner) FROM pg_class c"
                + " WHERE c.oid = to_regclass(quote_ident(?) || '.outbox')),"
                + " current_user")) {
      query.setString(1, schema);
      query.setString(2, schema);
      try (ResultSet rs = query.executeQuery()) {
        rs.next();
        boolean schemaExists = rs.getObject(1) != null;
        boolean mayCreateInSchema = rs.getBoolean(1);
        boolean mayCreateSchema = rs.getBoolean(2);
        String outboxOwner = rs.getString(3);
        String currentUser = rs.getString(4);
        if (schemaExists ? !mayCreateInSchema : !mayCreateSchema) {
          LiveValidation.addError(
              result,
              PostgresConnectionConfig.USER,
              user
                  + (schemaExists
                      ? " may not create objects in schema " + schema
                      : " may not create schema " + schema)
                  + ", which emitter.install=true does: as a DBA, CREATE SCHEMA "
                  + schema
                  + " AUTHORIZATION "
                  + user
                  + " (see config-examples/roles.sql), or install the SQL yourself"
                  + " (trigger-emitter/sql/pipeline_kafka_outbox.sql) and set"
                  + " emitter.install=false");
        } else if (outboxOwner != null && !outboxOwner.equals(currentUser)) {
          LiveValidation.addError(
              result,
              PostgresConnectionConfig.USER,
              schema
                  + ".outbox belongs to "
                  + outboxOwner
                  + ", and the relay runs as the outbox's owner (no other role has rights on"
                  + " it): set connection.user="
                  + outboxOwner);
        }
      }
    }
  }

  /**
   * The application's outbox table has the columns the settings name and, for the install, the
   * connector's role may add the trigger; without the install, the trigger is there.
   */
  private static void checkOutboxTable(
      Connection db, EmitterConfig config, OutboxTableCapture capture) throws SQLException {
    if (!config.install()) {
      capture.check(db, config.schema());
      return;
    }
    capture.columnTypes(db);
    try (PreparedStatement query =
        db.prepareStatement("SELECT has_table_privilege(?::regclass, 'TRIGGER')")) {
      query.setString(1, capture.table().quoted());
      try (ResultSet rs = query.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          throw new ConnectException(
              OutboxTableCapture.TABLE
                  + ": "
                  + config.connection().user()
                  + " may not add the trigger that captures "
                  + capture.table()
                  + ": as its owner, GRANT TRIGGER ON "
                  + capture.table().quoted()
                  + " TO "
                  + config.connection().user()
                  + "; or create the trigger yourself and set emitter.install=false");
        }
      }
    }
  }

  private static String keyOf(String message) {
    String text = String.valueOf(message);
    if (text.startsWith("emitter.outbox.") && text.indexOf(':') > 0) {
      return text.substring(0, text.indexOf(':'));
    }
    if (text.startsWith("No outbox in schema")
        || text.contains("installed by an earlier version")) {
      return EmitterConfig.INSTALL;
    }
    if (text.contains("emitter.buckets")) {
      return EmitterConfig.BUCKETS;
    }
    return EmitterConfig.SCHEMA;
  }
}
