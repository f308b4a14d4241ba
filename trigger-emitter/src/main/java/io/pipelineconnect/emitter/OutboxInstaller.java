package io.pipelineconnect.emitter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs the outbox SQL (schema, sequences, table, produce_message, emit_tuple) from the template
 * shipped in the jar, and checks what the relay relies on.
 */
final class OutboxInstaller {
  private static final Logger log = LoggerFactory.getLogger(OutboxInstaller.class);
  private static final String TEMPLATE = "outbox.sql";

  private OutboxInstaller() {}

  /** The install script with the settings filled in. */
  static String render(String schema, int buckets, boolean notify, boolean keyLock) {
    try (InputStream in = OutboxInstaller.class.getResourceAsStream(TEMPLATE)) {
      if (in == null) {
        throw new IllegalStateException(TEMPLATE + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("${schema}", schema)
          .replace("${buckets}", Integer.toString(buckets))
          .replace("${notify}", Boolean.toString(notify))
          .replace("${key_lock}", Boolean.toString(keyLock));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String render(EmitterConfig config) {
    return render(config.schema(), config.buckets(), config.notifyOnWrite(), config.keyLock());
  }

  /**
   * Installs or updates the SQL, refusing where the original pipeline_kafka extension owns the
   * schema. Serialized by an advisory lock, so concurrent installs do not trip over each other.
   */
  static void install(Connection connection, EmitterConfig config) throws SQLException {
    refuseOriginalExtension(connection, config.schema());
    warnIfSuperuser(connection);
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      statement.execute(
          "SELECT pg_advisory_xact_lock(hashtext('pipeline-connect emitter install'))");
      statement.execute(render(config));
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /**
   * produce_message and emit_tuple run with their owner's rights (SECURITY DEFINER): owned by a
   * superuser, a bug in them would be a superuser's bug.
   */
  private static void warnIfSuperuser(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")) {
      if (rs.next() && rs.getBoolean(2)) {
        log.warn(
            "Installing the outbox as {}, a superuser: produce_message and emit_tuple run with"
                + " their owner's rights. Install as a dedicated role (see docs/security.md).",
            rs.getString(1));
      }
    }
  }

  static void refuseOriginalExtension(Connection connection, String schema) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                + " WHERE e.extname = 'pipeline_kafka'")) {
      try (ResultSet rs = query.executeQuery()) {
        if (rs.next() && (schema.equals(rs.getString(1)) || schema.equals("pipeline_kafka"))) {
          throw new ConnectException(
              "The original pipeline_kafka extension is installed in this database and owns"
                  + " schema "
                  + schema
                  + " and the produce_message/emit_tuple names. Drop it (DROP EXTENSION"
                  + " pipeline_kafka) once its consumers are moved to connectors, or set"
                  + " emitter.schema to another schema.");
        }
      }
    }
  }

  /** Fails unless the outbox exists and its id sequence hands out ids one at a time. */
  static void check(Connection connection, String schema) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT s.seqcache FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = 'outbox_id_seq'")) {
      query.setString(1, schema);
      try (ResultSet rs = query.executeQuery()) {
        if (!rs.next()) {
          throw new ConnectException(
              "No outbox in schema "
                  + schema
                  + ": set emitter.install=true, or run trigger-emitter/sql/pipeline_kafka_outbox.sql");
        }
        if (rs.getLong(1) != 1) {
          throw new ConnectException(
              schema
                  + ".outbox_id_seq has CACHE "
                  + rs.getLong(1)
                  + ": ids would not follow commit order. ALTER SEQUENCE "
                  + schema
                  + ".outbox_id_seq CACHE 1");
        }
      }
    }
  }
}
