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
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
      refuseBucketChangeWithPendingMessages(connection, config);
      statement.execute(render(config));
      if (config.outboxTable().isPresent()) {
        config.outboxTable().get().install(connection, config.schema());
      }
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

  /**
   * The bucket count the installed outbox_bucket function hashes into, if it is installed. The
   * count is the one number the function ends with ({@code ... % 16}).
   */
  static OptionalInt installedBuckets(Connection connection, String schema) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE n.nspname = ? AND p.proname = 'outbox_bucket'")) {
      query.setString(1, schema);
      try (ResultSet rs = query.executeQuery()) {
        if (!rs.next()) {
          return OptionalInt.empty();
        }
        Matcher modulus = BUCKET_MODULUS.matcher(rs.getString(1));
        return modulus.find()
            ? OptionalInt.of(Integer.parseInt(modulus.group(1)))
            : OptionalInt.empty();
      }
    }
  }

  private static final Pattern BUCKET_MODULUS = Pattern.compile("%\\s*(\\d+)\\s*$");

  /**
   * Changing emitter.buckets re-buckets new messages: messages still waiting would sit in buckets
   * no task claims (fewer buckets) or a key's messages would be split across two buckets relayed
   * independently (more). Only an outbox with nothing left to relay may change its count.
   */
  static void refuseBucketChangeWithPendingMessages(Connection connection, EmitterConfig config)
      throws SQLException {
    OptionalInt installed = installedBuckets(connection, config.schema());
    if (installed.isEmpty() || installed.getAsInt() == config.buckets()) {
      return;
    }
    long pending;
    try (Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT count(*) FROM "
                    + config.schema()
                    + ".outbox WHERE relayed_at IS NULL AND failed_reason IS NULL")) {
      rs.next();
      pending = rs.getLong(1);
    }
    if (pending > 0) {
      throw new ConnectException(
          "emitter.buckets changed from "
              + installed.getAsInt()
              + " to "
              + config.buckets()
              + " while "
              + pending
              + " messages wait in "
              + config.schema()
              + ".outbox: they would be stranded or relayed out of key order. Set"
              + " emitter.buckets="
              + installed.getAsInt()
              + ", or pause the writers, let the outbox drain, then change it.");
    }
    log.info(
        "emitter.buckets changes from {} to {}; the outbox holds nothing to relay",
        installed.getAsInt(),
        config.buckets());
  }

  /** Fails unless the installed outbox hashes into as many buckets as the config says. */
  static void checkBuckets(Connection connection, EmitterConfig config) throws SQLException {
    OptionalInt installed = installedBuckets(connection, config.schema());
    if (installed.isPresent() && installed.getAsInt() != config.buckets()) {
      throw new ConnectException(
          "The outbox in schema "
              + config.schema()
              + " uses "
              + installed.getAsInt()
              + " buckets and emitter.buckets is "
              + config.buckets()
              + ": set emitter.buckets="
              + installed.getAsInt()
              + " (tasks would relay buckets that do not exist, or leave some unrelayed)");
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
    checkCurrentVersion(connection, schema);
  }

  /**
   * An outbox a DBA installed from an earlier version's script (emitter.install=false) lacks what
   * the relay now reads: said plainly here, not as a missing column at the first claim.
   */
  private static void checkCurrentVersion(Connection connection, String schema)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = 'outbox' AND a.attname = 'headers'"
                + " AND NOT a.attisdropped")) {
      query.setString(1, schema);
      try (ResultSet rs = query.executeQuery()) {
        if (!rs.next()) {
          throw new ConnectException(
              "The outbox in schema "
                  + schema
                  + " was installed by an earlier version (it has no headers column): run"
                  + " trigger-emitter/sql/pipeline_kafka_outbox.sql of this version again (it keeps"
                  + " the messages waiting), or set emitter.install=true");
        }
      }
    }
  }
}
