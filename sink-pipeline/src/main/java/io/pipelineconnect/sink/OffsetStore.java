package io.pipelineconnect.sink;

import io.pipelineconnect.common.Identifiers;
import io.pipelineconnect.common.RelationName;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * The offsets table: for each (connector, topic, partition), the offset of the next record to
 * write. Updated in the same transaction as the rows it covers, so the table and the rows never
 * disagree; read on partition assignment to rewind the consumer.
 */
final class OffsetStore {
  private final RelationName table;
  private final String connector;

  OffsetStore(RelationName table, String connector) {
    this.table = table;
    this.connector = connector;
  }

  /**
   * Creates the schema and table if missing; safe when several tasks race to do it. Nothing is
   * created, and no CREATE right needed, where they exist: a DBA may make the table and grant this
   * user only SELECT, INSERT, UPDATE and DELETE on it (PostgreSQL checks the CREATE right before IF
   * NOT EXISTS).
   */
  void createIfMissing(Connection connection) throws SQLException {
    if (exists(connection, "SELECT to_regclass(?) IS NOT NULL", table.quoted())) {
      return;
    }
    for (int attempt = 1; ; attempt++) {
      try (Statement statement = connection.createStatement()) {
        // Tasks starting together wait here for each other rather than collide on the catalog's
        // unique index (an error in the server log, and a retry). Held to the end of the
        // transaction; with autocommit there is no race to serialize worth the bother.
        statement.execute(
            "SELECT pg_advisory_xact_lock(hashtext('pipeline-connect offsets table'))");
        if (table.schema().isPresent()
            && !exists(
                connection,
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ?)",
                table.schema().get())) {
          statement.execute(
              "CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(table.schema().get()));
        }
        statement.execute(
            "CREATE TABLE IF NOT EXISTS "
                + table.quoted()
                + " (connector text NOT NULL, topic text NOT NULL, kafka_partition int NOT NULL,"
                + " next_offset bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),"
                + " PRIMARY KEY (connector, topic, kafka_partition))");
        if (!connection.getAutoCommit()) {
          connection.commit();
        }
        return;
      } catch (SQLException e) {
        if (!connection.getAutoCommit()) {
          connection.rollback();
        }
        // Two sessions creating the same table at once: one loses on the catalog's unique index.
        boolean race = "23505".equals(e.getSQLState()) || "42P07".equals(e.getSQLState());
        if (!race || attempt >= 3) {
          throw e;
        }
      }
    }
  }

  private static boolean exists(Connection connection, String sql, String name)
      throws SQLException {
    try (PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, name);
      try (ResultSet rs = query.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** The saved next offsets of the given partitions (those that have one). */
  Map<TopicPartition, Long> read(Connection connection, Collection<TopicPartition> partitions)
      throws SQLException {
    return select(connection, partitions, false);
  }

  /**
   * Locks the partitions' rows until the transaction ends and returns their offsets: a second
   * writer (a zombie task) waits here, then sees the offsets moved and backs off.
   */
  Map<TopicPartition, Long> lock(Connection connection, Collection<TopicPartition> partitions)
      throws SQLException {
    return select(connection, partitions, true);
  }

  private Map<TopicPartition, Long> select(
      Connection connection, Collection<TopicPartition> partitions, boolean forUpdate)
      throws SQLException {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    if (partitions.isEmpty()) {
      return offsets;
    }
    String sql =
        "SELECT o.topic, o.kafka_partition, o.next_offset FROM "
            + table.quoted()
            + " o JOIN unnest(?::text[], ?::int[]) AS p(topic, kafka_partition)"
            + " ON o.topic = p.topic AND o.kafka_partition = p.kafka_partition"
            + " WHERE o.connector = ?"
            + (forUpdate ? " ORDER BY o.topic, o.kafka_partition FOR UPDATE OF o" : "");
    try (PreparedStatement query = connection.prepareStatement(sql)) {
      bindPartitions(connection, query, partitions);
      query.setString(3, connector);
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          offsets.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
        }
      }
    }
    return offsets;
  }

  /**
   * Topics that already have a saved offset for some partition (to spot partitions added later).
   */
  List<String> topicsWithOffsets(Connection connection, Collection<String> topics)
      throws SQLException {
    List<String> found = new ArrayList<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT DISTINCT topic FROM "
                + table.quoted()
                + " WHERE connector = ? AND topic = ANY (?::text[])")) {
      query.setString(1, connector);
      query.setArray(2, connection.createArrayOf("text", topics.toArray()));
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          found.add(rs.getString(1));
        }
      }
    }
    return found;
  }

  /** Saves offsets for partitions that have none yet; existing rows are left as they are. */
  void insertMissing(Connection connection, Map<TopicPartition, Long> offsets) throws SQLException {
    upsert(connection, offsets, false);
  }

  /** Saves the offsets, replacing existing ones. */
  void save(Connection connection, Map<TopicPartition, Long> offsets) throws SQLException {
    upsert(connection, offsets, true);
  }

  private void upsert(Connection connection, Map<TopicPartition, Long> offsets, boolean replace)
      throws SQLException {
    if (offsets.isEmpty()) {
      return;
    }
    String sql =
        "INSERT INTO "
            + table.quoted()
            + " (connector, topic, kafka_partition, next_offset)"
            + " SELECT ?, p.topic, p.kafka_partition, p.next_offset"
            + " FROM unnest(?::text[], ?::int[], ?::bigint[]) AS p(topic, kafka_partition, next_offset)"
            + " ON CONFLICT (connector, topic, kafka_partition) DO "
            + (replace
                ? "UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()"
                : "NOTHING");
    List<TopicPartition> partitions = new ArrayList<>(offsets.keySet());
    Long[] values = new Long[partitions.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = offsets.get(partitions.get(i));
    }
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, connector);
      String[] topics = partitions.stream().map(TopicPartition::topic).toArray(String[]::new);
      Integer[] numbers =
          partitions.stream().map(TopicPartition::partition).toArray(Integer[]::new);
      statement.setArray(2, connection.createArrayOf("text", topics));
      statement.setArray(3, connection.createArrayOf("int4", numbers));
      statement.setArray(4, connection.createArrayOf("int8", values));
      statement.executeUpdate();
    }
  }

  /** Deletes every saved offset of this connector. */
  int deleteAll(Connection connection) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement("DELETE FROM " + table.quoted() + " WHERE connector = ?")) {
      statement.setString(1, connector);
      return statement.executeUpdate();
    }
  }

  /** Deletes the given partitions' offsets, and no others (none for an empty collection). */
  int delete(Connection connection, Collection<TopicPartition> partitions) throws SQLException {
    if (partitions.isEmpty()) {
      return 0;
    }
    try (PreparedStatement statement =
        connection.prepareStatement(
            "DELETE FROM "
                + table.quoted()
                + " o USING unnest(?::text[], ?::int[]) AS p(topic, kafka_partition)"
                + " WHERE o.connector = ? AND o.topic = p.topic"
                + " AND o.kafka_partition = p.kafka_partition")) {
      bindPartitions(connection, statement, partitions);
      statement.setString(3, connector);
      return statement.executeUpdate();
    }
  }

  private static void bindPartitions(
      Connection connection, PreparedStatement statement, Collection<TopicPartition> partitions)
      throws SQLException {
    String[] topics = partitions.stream().map(TopicPartition::topic).toArray(String[]::new);
    Integer[] numbers = partitions.stream().map(TopicPartition::partition).toArray(Integer[]::new);
    Array topicArray = connection.createArrayOf("text", topics);
    Array partitionArray = connection.createArrayOf("int4", numbers);
    statement.setArray(1, topicArray);
    statement.setArray(2, partitionArray);
  }
}
