package io.pipelineconnect.sink;

import io.pipelineconnect.common.RelationName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads what the sink needs to know about a target relation from the PostgreSQL catalog. */
final class Catalog {
  /** PipelineDB's hidden stream column, filled by the server: never in a COPY column list. */
  static final String ARRIVAL_TIMESTAMP = "arrival_timestamp";

  private Catalog() {}

  /**
   * The relation, if it exists and this user may insert into it; empty if it does not exist.
   *
   * @throws SQLException when it exists but cannot be written, with a message saying why
   */
  static Optional<TargetTable> lookUp(
      Connection connection, RelationName name, List<String> configuredColumns)
      throws SQLException {
    Long oid = relationOid(connection, name);
    if (oid == null) {
      return Optional.empty();
    }
    try (PreparedStatement query =
        connection.prepareStatement("SELECT has_table_privilege(?::oid, 'INSERT')")) {
      query.setLong(1, oid);
      try (ResultSet rs = query.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          throw new SQLException(
              "User may not insert into " + name + ": GRANT INSERT ON " + name + " TO <user>");
        }
      }
    }
    boolean stream = isPipelineDbStream(connection, oid);
    List<TargetTable.Column> all = columns(connection, oid);
    List<TargetTable.Column> chosen = new ArrayList<>();
    if (configuredColumns.isEmpty()) {
      for (TargetTable.Column column : all) {
        if (!(stream && column.name().equals(ARRIVAL_TIMESTAMP))) {
          chosen.add(column);
        }
      }
    } else {
      for (String wanted : configuredColumns) {
        String trimmed = wanted.trim();
        chosen.add(
            all.stream()
                .filter(c -> c.name().equals(trimmed))
                .findFirst()
                .orElseThrow(
                    () ->
                        new SQLException(
                            "Column " + trimmed + " (from columns) does not exist in " + name)));
      }
    }
    if (chosen.isEmpty()) {
      throw new SQLException(name + " has no columns to copy into");
    }
    return Optional.of(new TargetTable(name, stream, List.copyOf(chosen)));
  }

  private static Long relationOid(Connection connection, RelationName name) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT c.oid, c.relkind FROM pg_class c WHERE c.oid = to_regclass(?)")) {
      query.setString(1, name.quoted());
      try (ResultSet rs = query.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        String kind = rs.getString(2);
        // r: table, p: partitioned table, f: foreign table (PipelineDB streams), v: view (with
        // INSTEAD OF triggers COPY cannot write it, so it is refused below by COPY itself).
        if (!List.of("r", "p", "f").contains(kind)) {
          throw new SQLException(
              name + " is not a table or stream (relkind " + kind + "); COPY cannot write it");
        }
        return rs.getLong(1);
      }
    }
  }

  private static boolean isPipelineDbStream(Connection connection, long oid) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM pg_foreign_table t"
                + " JOIN pg_foreign_server s ON s.oid = t.ftserver"
                + " WHERE t.ftrelid = ?::oid AND s.srvname = 'pipelinedb')")) {
      query.setLong(1, oid);
      try (ResultSet rs = query.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private static List<TargetTable.Column> columns(Connection connection, long oid)
      throws SQLException {
    // Generated columns (PostgreSQL 12+) cannot be copied into.
    boolean hasGenerated = connection.getMetaData().getDatabaseMajorVersion() >= 12;
    String sql =
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atthasdef"
            + " FROM pg_attribute a WHERE a.attrelid = ?::oid AND a.attnum > 0"
            + " AND NOT a.attisdropped"
            + (hasGenerated ? " AND a.attgenerated = ''" : "")
            + " ORDER BY a.attnum";
    List<TargetTable.Column> columns = new ArrayList<>();
    try (PreparedStatement query = connection.prepareStatement(sql)) {
      query.setLong(1, oid);
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          columns.add(new TargetTable.Column(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
        }
      }
    }
    return columns;
  }

  /** The server's {@code pipelinedb.batch_size}, or empty if this is not PipelineDB. */
  static Optional<Integer> pipelineDbBatchSize(Connection connection) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT setting FROM pg_settings WHERE name = 'pipelinedb.batch_size'")) {
      try (ResultSet rs = query.executeQuery()) {
        return rs.next() ? Optional.of(Integer.parseInt(rs.getString(1))) : Optional.empty();
      }
    }
  }
}
