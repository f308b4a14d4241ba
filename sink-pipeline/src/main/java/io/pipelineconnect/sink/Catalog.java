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
   * A relation as the catalog resolved it: its schema and name after search_path, and whether it is
   * one that records must never write (see {@link TargetPolicy}).
   */
  record Relation(
      long oid,
      String schema,
      String name,
      String kind,
      boolean systemSchema,
      boolean outbox,
      boolean offsetsTable) {}

  /**
   * The relation, if it exists, this user may insert into it and the policy allows it; empty if it
   * does not exist.
   *
   * @param keyNamed whether a record's key named it: then a refusal is the record's fault
   * @throws BadRecordException when a key named a relation that records may not write
   * @throws SQLException when a configured relation cannot be written, with a message saying why
   */
  static Optional<TargetTable> lookUp(
      Connection connection,
      RelationName name,
      List<String> configuredColumns,
      TargetPolicy policy,
      boolean keyNamed)
      throws SQLException, BadRecordException {
    Optional<Relation> resolved = resolve(connection, name);
    if (resolved.isEmpty()) {
      return Optional.empty();
    }
    Relation relation = resolved.get();
    Optional<String> refusal = policy.refusal(relation, keyNamed);
    if (refusal.isPresent()) {
      throw new BadRecordException("Target " + name + " refused: " + refusal.get());
    }
    // r: table, p: partitioned table, f: foreign table (PipelineDB streams), v: view (with
    // INSTEAD OF triggers COPY cannot write it).
    if (!List.of("r", "p", "f").contains(relation.kind())) {
      String reason =
          name
              + " is not a table or stream (relkind "
              + relation.kind()
              + "); COPY cannot write it";
      refuse(reason, keyNamed);
    }
    long oid = relation.oid();
    try (PreparedStatement query =
        connection.prepareStatement("SELECT has_table_privilege(?::oid, 'INSERT')")) {
      query.setLong(1, oid);
      try (ResultSet rs = query.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          String reason =
              "User may not insert into " + name + ": GRANT INSERT ON " + name + " TO <user>";
          refuse(reason, keyNamed);
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
        Optional<TargetTable.Column> column =
            all.stream().filter(c -> c.name().equals(trimmed)).findFirst();
        if (column.isEmpty()) {
          String reason = "Column " + trimmed + " (from columns) does not exist in " + name;
          refuse(reason, keyNamed);
        }
        chosen.add(column.get());
      }
    }
    if (chosen.isEmpty()) {
      String reason = name + " has no columns to copy into";
      refuse(reason, keyNamed);
    }
    return Optional.of(
        new TargetTable(name, stream, List.copyOf(chosen), primaryKey(connection, oid)));
  }

  /** A relation that cannot be written: the record's fault if its key named it. */
  private static void refuse(String reason, boolean keyNamed)
      throws SQLException, BadRecordException {
    if (keyNamed) {
      throw new BadRecordException(reason);
    }
    throw new SQLException(reason);
  }

  /** Resolves the name as PostgreSQL would (search_path for an unqualified one). */
  static Optional<Relation> resolve(Connection connection, RelationName name) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT c.oid, c.relkind, n.nspname, c.relname,"
                // pg_ schemas are reserved for the system (pg_catalog, pg_toast, pg_temp_N).
                + " n.nspname IN ('pg_catalog', 'information_schema')"
                + " OR n.nspname LIKE 'pg\\_%',"
                // The emitter's outbox: "outbox" beside its outbox_enqueue function.
                + " c.relname = 'outbox' AND EXISTS (SELECT 1 FROM pg_proc p"
                + " WHERE p.pronamespace = n.oid AND p.proname = 'outbox_enqueue'),"
                // Any sink's offsets table, whatever offsets.table named it.
                + " (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0"
                + " AND NOT a.attisdropped"
                + " AND a.attname IN ('connector', 'topic', 'kafka_partition', 'next_offset')) = 4"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.oid = to_regclass(?)")) {
      query.setString(1, name.quoted());
      try (ResultSet rs = query.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Relation(
                rs.getLong(1),
                rs.getString(3),
                rs.getString(4),
                rs.getString(2),
                rs.getBoolean(5),
                rs.getBoolean(6),
                rs.getBoolean(7)));
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

  /** The relation's primary key columns in key order; empty if it has none. */
  private static List<String> primaryKey(Connection connection, long oid) throws SQLException {
    List<String> key = new ArrayList<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT a.attname FROM pg_index i"
                + " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + " WHERE i.indrelid = ?::oid AND i.indisprimary ORDER BY k.position")) {
      query.setLong(1, oid);
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          key.add(rs.getString(1));
        }
      }
    }
    return List.copyOf(key);
  }

  /**
   * Whether a unique index without predicate or expressions covers exactly these columns: what
   * {@code INSERT ... ON CONFLICT (columns)} needs to arbitrate on.
   */
  static boolean hasUniqueIndexOn(Connection connection, RelationName table, List<String> columns)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = ?::regclass"
                + " AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL"
                // An index with INCLUDE columns would do as well; it is not looked for.
                + " AND i.indnatts = cardinality(?::text[])"
                + " AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a"
                + " WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))"
                + " = (SELECT array_agg(c ORDER BY c) FROM unnest(?::text[]) c))")) {
      String[] names = columns.toArray(String[]::new);
      query.setString(1, table.quoted());
      query.setArray(2, connection.createArrayOf("text", names));
      query.setArray(3, connection.createArrayOf("text", names));
      try (ResultSet rs = query.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** Whether the current user holds the privilege (INSERT, UPDATE, DELETE) on the relation. */
  static boolean hasPrivilege(Connection connection, RelationName relation, String privilege)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement("SELECT has_table_privilege(?::regclass, ?)")) {
      query.setString(1, relation.quoted());
      query.setString(2, privilege);
      try (ResultSet rs = query.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
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
