package io.pipelineconnect.common;

import java.sql.Connection;
import java.sql.SQLException;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;

/**
 * What a connector's {@code validate()} learns by asking the systems it will use (its database,
 * Kinesis), put on the key the user has to change: Connect's validate endpoint shows each error
 * there, before the connector is created, instead of a FAILED task afterwards.
 */
public final class LiveValidation {
  private LiveValidation() {}

  /** What a connector asks its database; findings go into the result. */
  @FunctionalInterface
  public interface Check {
    void run(Connection db) throws SQLException;
  }

  /**
   * Connects with short timeouts and runs the check; a failure to connect or log in goes on the key
   * to fix, and a database error during the check on connection.url, without credentials.
   */
  public static void run(Config result, PostgresConnectionConfig connection, Check check) {
    Connection db;
    try {
      db = connection.openForCheck();
    } catch (SQLException e) {
      connectionFailed(result, connection, e);
      return;
    }
    try (db) {
      check.run(db);
    } catch (SQLException e) {
      addError(
          result,
          PostgresConnectionConfig.URL,
          "The database failed while being checked: " + Redaction.redact(e.getMessage()));
    }
  }

  /** Whether every key passed the checks so far: only then is the database worth asking. */
  public static boolean noErrors(Config result) {
    return result.configValues().stream().allMatch(v -> v.errorMessages().isEmpty());
  }

  /**
   * Puts a failure to connect or log in on the key to fix: the password, the user, or the URL
   * (host, port, database).
   */
  public static void connectionFailed(
      Config result, PostgresConnectionConfig connection, SQLException e) {
    String state = String.valueOf(e.getSQLState());
    String reason = String.valueOf(e.getMessage());
    if (state.equals("28P01")) {
      addError(
          result,
          PostgresConnectionConfig.PASSWORD,
          "PostgreSQL refused the password of "
              + connection.user()
              + " ("
              + reason
              + "): set connection.password to that role's password");
    } else if (state.startsWith("28")) {
      addError(
          result,
          PostgresConnectionConfig.USER,
          "PostgreSQL refused the login of "
              + connection.user()
              + " ("
              + reason
              + "): set connection.user to a role that may log in to this database"
              + " (CREATE ROLE ... LOGIN, and a pg_hba.conf entry for this host)");
    } else if (state.equals("3D000")) {
      addError(
          result,
          PostgresConnectionConfig.URL,
          reason + ": name an existing database in connection.url (or CREATE DATABASE it)");
    } else {
      addError(
          result,
          PostgresConnectionConfig.URL,
          "Could not connect to "
              + Redaction.redact(connection.url())
              + " within 5 s ("
              + Redaction.redact(reason)
              + "): check host, port and that PostgreSQL accepts TCP connections from this"
              + " worker");
    }
  }

  /** Adds an error to the key, creating its entry for a key the connector does not define. */
  public static void addError(Config result, String key, String message) {
    for (ConfigValue value : result.configValues()) {
      if (value.name().equals(key)) {
        value.addErrorMessage(message);
        return;
      }
    }
    ConfigValue added = new ConfigValue(key);
    added.addErrorMessage(message);
    result.configValues().add(added);
  }
}
