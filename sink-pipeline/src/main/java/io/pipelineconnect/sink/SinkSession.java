package io.pipelineconnect.sink;

import io.pipelineconnect.common.PostgresConnectionConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The task's one database session: opened on demand, closed on any failure (the next use opens a
 * new one), committed with the outcome of a failed COMMIT spelled out. Nothing else may run on the
 * connection while the writer has a COPY open, so queries go through {@link #forQueries()}.
 */
final class SinkSession {
  private final PostgresConnectionConfig settings;
  private final Runnable onNewConnection;
  private BatchWriter writer;
  private Connection connection;

  /** A deferred constraint refused the last COMMIT: check constraints per row until one passes. */
  private boolean immediateConstraints;

  /**
   * @param onNewConnection runs on each new connection (what was cached about the last is stale)
   */
  SinkSession(PostgresConnectionConfig settings, Runnable onNewConnection) {
    this.settings = settings;
    this.onNewConnection = onNewConnection;
  }

  /** The writer whose in-flight COPY must end before a query, and which learns of a lost one. */
  void writeWith(BatchWriter batchWriter) {
    this.writer = batchWriter;
  }

  /** The connection, opened if there is none, in a transaction (autocommit off). */
  Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = settings.open();
      connection.setAutoCommit(false);
      onNewConnection.run();
      if (immediateConstraints) {
        try (Statement statement = connection.createStatement()) {
          statement.execute("SET CONSTRAINTS ALL IMMEDIATE");
        }
      }
    }
    return connection;
  }

  /** The connection, for a query: the writer's streaming COPY on it ends first. */
  Connection forQueries() throws SQLException {
    if (connection != null && writer != null) {
      writer.finishInFlight();
    }
    return connection();
  }

  /** The connection if one is open, else null: rows are sent early only on an open one. */
  Connection ifOpen() {
    return connection;
  }

  /**
   * Commits the transaction.
   *
   * @throws SQLException saying whether a deferred constraint refused the batch (rolled back: the
   *     retry checks constraints row by row, so the row can be isolated) or the outcome is unknown
   *     (the next attempt re-reads the offsets and either finds the batch committed or writes it
   *     again; never assume)
   */
  void commit() throws SQLException {
    try {
      connection.commit();
      immediateConstraints = false;
    } catch (SQLException e) {
      if (DatabaseErrors.mayBeRecordsFault(e)) {
        immediateConstraints = true;
        throw new SQLException(
            "COMMIT refused the batch (a deferred constraint): " + e.getMessage(),
            e.getSQLState(),
            e);
      }
      throw new SQLException(
          "COMMIT failed, outcome unknown: " + e.getMessage(), e.getSQLState(), e);
    }
  }

  /** Closes the connection; whatever the writer had in flight is gone with it. */
  void close() {
    if (writer != null) {
      writer.transactionLost();
    }
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // Already broken.
      }
      connection = null;
    }
  }
}
