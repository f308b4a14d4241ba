package io.pipelineconnect.emitter;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The relay's SQL against the outbox: claim the next committed messages of some buckets, find
 * claimed ones whose delivery is not confirmed, delete the ones Connect has committed, mark failed
 * the ones that must not be sent, and LISTEN for the NOTIFY of new ones.
 *
 * <p>What was relayed is tracked by state (a row's relay batch), not by a high-water mark: a
 * message whose transaction commits late, with an id below ones already relayed, is still found.
 */
final class OutboxRelay {
  private final String schema;

  /** How long ago (ms, by the server's clock) outbox row {@code o} was written. */
  private static final String AGE_MS =
      "(extract(epoch FROM clock_timestamp() - o.created_at) * 1000)::bigint";

  /** What {@link #read} reads besides the first six columns: headers, and when it was written. */
  private static final String HEADERS_AND_TIME =
      "o.headers, (extract(epoch FROM o.created_at) * 1000)::bigint AS created_ms";

  OutboxRelay(String schema) {
    this.schema = schema;
  }

  /**
   * Whether any message of the buckets waits to be claimed: one index probe in a read-only
   * transaction, so a relay that finds nothing writes nothing (a claim draws a batch number and
   * locks rows, which the application's writers would pay for at every empty look).
   */
  boolean hasUnclaimed(Connection connection, List<Integer> buckets) throws SQLException {
    boolean found;
    try (PreparedStatement probe =
        connection.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM "
                + schema
                + ".outbox WHERE bucket = ANY (?) AND relay_batch IS NULL"
                + " AND failed_reason IS NULL)")) {
      probe.setArray(1, connection.createArrayOf("int4", buckets.toArray()));
      try (ResultSet rs = probe.executeQuery()) {
        rs.next();
        found = rs.getBoolean(1);
      }
    }
    connection.commit();
    return found;
  }

  /**
   * What a claim took: its messages in id order, and how long (ms, by the server's clock) the
   * oldest of the rows it claimed had waited since it was written.
   */
  record Claim(List<OutboxMessage> messages, long oldestWaitMs) {}

  /**
   * Claims up to {@code limit} unclaimed messages of the buckets, in id order, for a new relay
   * batch; commits the claim. Messages over {@code maxBytes} are marked failed instead.
   */
  Claim claim(Connection connection, List<Integer> buckets, int limit, int maxBytes)
      throws SQLException {
    long batch;
    try (PreparedStatement next =
        connection.prepareStatement("SELECT nextval('" + schema + ".outbox_batch_seq')")) {
      try (ResultSet rs = next.executeQuery()) {
        rs.next();
        batch = rs.getLong(1);
      }
    }
    String sql =
        "WITH picked AS (SELECT id FROM "
            + schema
            + ".outbox WHERE bucket = ANY (?) AND relay_batch IS NULL AND failed_reason IS NULL"
            + " ORDER BY id LIMIT ? FOR UPDATE),"
            + " sized AS (SELECT o.id, coalesce(octet_length(o.message), 0)"
            + " + coalesce(octet_length(o.key), 0) AS bytes FROM "
            + schema
            + ".outbox o JOIN picked USING (id))"
            + " UPDATE "
            + schema
            + ".outbox o SET"
            + " relay_batch = CASE WHEN sized.bytes > ? THEN NULL ELSE ? END,"
            + " failed_reason = CASE WHEN sized.bytes > ? THEN 'message of ' || sized.bytes"
            + " || ' bytes is larger than emitter.max.message.bytes' END"
            + " FROM sized WHERE o.id = sized.id"
            + " RETURNING o.id, o.bucket, o.topic, o.kafka_partition, o.key, o.message,"
            + " o.failed_reason,"
            + " "
            + AGE_MS
            + ", "
            + HEADERS_AND_TIME;
    List<OutboxMessage> messages = new ArrayList<>();
    long oldestWaitMs = 0;
    try (PreparedStatement claim = connection.prepareStatement(sql)) {
      claim.setArray(1, connection.createArrayOf("int4", buckets.toArray()));
      claim.setInt(2, limit);
      claim.setInt(3, maxBytes);
      claim.setLong(4, batch);
      claim.setInt(5, maxBytes);
      try (ResultSet rs = claim.executeQuery()) {
        while (rs.next()) {
          if (rs.getString(7) == null) {
            messages.add(read(rs, batch));
          }
          oldestWaitMs = Math.max(oldestWaitMs, rs.getLong(8));
        }
      }
    }
    connection.commit();
    messages.sort(Comparator.comparingLong(OutboxMessage::id));
    return new Claim(messages, oldestWaitMs);
  }

  /**
   * Up to {@code limit} claimed messages of the buckets not yet deleted, in relay order (batch,
   * then id), after {@code after} (from the first if null). Read a page at a time: after a long
   * outage the claimed backlog can be larger than the worker's memory.
   */
  List<OutboxMessage> claimed(
      Connection connection, List<Integer> buckets, OutboxMessage.Position after, int limit)
      throws SQLException {
    List<OutboxMessage> messages = new ArrayList<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT id, bucket, topic, kafka_partition, key, message, relay_batch, "
                + HEADERS_AND_TIME
                + " FROM "
                + schema
                + ".outbox o WHERE bucket = ANY (?) AND relay_batch IS NOT NULL"
                + " AND relayed_at IS NULL AND (relay_batch, id) > (?, ?)"
                + " ORDER BY relay_batch, id LIMIT ?")) {
      query.setArray(1, connection.createArrayOf("int4", buckets.toArray()));
      query.setLong(2, after == null ? Long.MIN_VALUE : after.batch());
      query.setLong(3, after == null ? Long.MIN_VALUE : after.id());
      query.setInt(4, limit);
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          messages.add(read(rs, rs.getLong(7)));
        }
      }
    }
    connection.commit();
    return messages;
  }

  /**
   * Per bucket, how long ago (ms, by the server's clock) its oldest message still waiting to be
   * claimed was written; buckets with none waiting are left out. One index probe per bucket, read
   * only; commits.
   */
  Map<Integer, Long> unrelayedAges(Connection connection, List<Integer> buckets)
      throws SQLException {
    Map<Integer, Long> ages = new TreeMap<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT b, "
                + AGE_MS
                + " FROM unnest(?::int[]) AS b, LATERAL (SELECT created_at FROM "
                + schema
                + ".outbox WHERE bucket = b AND relay_batch IS NULL AND failed_reason IS NULL"
                + " ORDER BY id LIMIT 1) o")) {
      query.setArray(1, connection.createArrayOf("int4", buckets.toArray()));
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          ages.put(rs.getInt(1), Math.max(0, rs.getLong(2)));
        }
      }
    }
    connection.commit();
    return ages;
  }

  /**
   * How many messages of the buckets wait to be claimed, counted up to {@code cap}: an index scan
   * that stops there, so a large backlog costs no more than the cap. Read only; commits.
   */
  long unclaimedCount(Connection connection, List<Integer> buckets, int cap) throws SQLException {
    long count;
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT count(*) FROM (SELECT 1 FROM "
                + schema
                + ".outbox WHERE bucket = ANY (?) AND relay_batch IS NULL AND failed_reason IS NULL"
                + " LIMIT ?) waiting")) {
      query.setArray(1, connection.createArrayOf("int4", buckets.toArray()));
      query.setInt(2, cap);
      try (ResultSet rs = query.executeQuery()) {
        rs.next();
        count = rs.getLong(1);
      }
    }
    connection.commit();
    return count;
  }

  /**
   * Settles the bucket's messages at or before the committed position: deletes them, or with a
   * retention marks them relayed and deletes the ones relayed longer ago than that. Returns how
   * many were deleted.
   */
  int settleCommitted(
      Connection connection, int bucket, OutboxMessage.Position committed, Duration retention)
      throws SQLException {
    String covered =
        " WHERE bucket = ? AND relay_batch IS NOT NULL AND relayed_at IS NULL"
            + " AND (relay_batch < ? OR (relay_batch = ? AND id <= ?))";
    String settle =
        retention.isZero()
            ? "DELETE FROM " + schema + ".outbox" + covered
            : "UPDATE " + schema + ".outbox SET relayed_at = now()" + covered;
    int deleted;
    try (PreparedStatement statement = connection.prepareStatement(settle)) {
      statement.setInt(1, bucket);
      statement.setLong(2, committed.batch());
      statement.setLong(3, committed.batch());
      statement.setLong(4, committed.id());
      int settled = statement.executeUpdate();
      deleted = retention.isZero() ? settled : 0;
    }
    if (!retention.isZero()) {
      try (PreparedStatement expire =
          connection.prepareStatement(
              "DELETE FROM "
                  + schema
                  + ".outbox WHERE bucket = ? AND relayed_at < now() - ? * interval '1 ms'")) {
        expire.setInt(1, bucket);
        expire.setLong(2, retention.toMillis());
        deleted = expire.executeUpdate();
      }
    }
    connection.commit();
    return deleted;
  }

  /**
   * Takes a claimed message back out of its relay batch and marks it failed with the reason: it
   * stays in the outbox for an operator, and is never produced.
   */
  void markFailed(Connection connection, long id, String reason) throws SQLException {
    try (PreparedStatement fail =
        connection.prepareStatement(
            "UPDATE "
                + schema
                + ".outbox SET relay_batch = NULL, failed_reason = ? WHERE id = ?")) {
      fail.setString(1, reason);
      fail.setLong(2, id);
      fail.executeUpdate();
    }
    connection.commit();
  }

  /** Starts or stops listening for the NOTIFY of new messages (emitter.notify); commits. */
  void listen(Connection connection, boolean listen) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute((listen ? "LISTEN " : "UNLISTEN ") + schema + "_outbox");
    }
    connection.commit();
    if (!listen) {
      // Drop what arrived meanwhile: pgjdbc keeps notifications until asked for them.
      connection.unwrap(PGConnection.class).getNotifications();
    }
  }

  /**
   * Waits until a NOTIFY arrives on a listening connection, or the timeout passes.
   *
   * @return how many notifications arrived
   */
  int awaitNotifications(Connection connection, Duration timeout) throws SQLException {
    PGNotification[] notifications =
        connection.unwrap(PGConnection.class).getNotifications((int) timeout.toMillis());
    return notifications == null ? 0 : notifications.length;
  }

  private static OutboxMessage read(ResultSet rs, long batch) throws SQLException {
    int partition = rs.getInt(4);
    Integer kafkaPartition = rs.wasNull() ? null : partition;
    Array headers = rs.getArray("headers");
    return new OutboxMessage(
        rs.getLong(1),
        rs.getInt(2),
        batch,
        rs.getString(3),
        kafkaPartition,
        rs.getBytes(5),
        rs.getBytes(6),
        headers == null
            ? List.of()
            : Collections.unmodifiableList(Arrays.asList((String[]) headers.getArray())),
        rs.getLong("created_ms"));
  }
}
