package io.pipelineconnect.emitter;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of the task's buckets it owns: one session advisory lock per bucket on the relay
 * connection, in a lock namespace of the outbox's own, so a zombie task or a rebalance overlap
 * cannot relay a bucket twice or out of order. Locks are taken and lost by the poll thread; {@link
 * #owned()} may be read from any thread.
 */
final class BucketLocks {
  private static final Logger log = LoggerFactory.getLogger(BucketLocks.class);

  private final String schema;
  private final List<Integer> assigned;

  /** The poll thread's; {@link #ownedSnapshot} is what other threads see. */
  private final Set<Integer> owned = new LinkedHashSet<>();

  /**
   * What {@link #owned()} returns, on Connect's offset-commit thread, while poll() changes {@link
   * #owned}: an immutable copy, replaced whenever the set changes.
   */
  private volatile List<Integer> ownedSnapshot = List.of();

  private long lockNamespace;

  BucketLocks(String schema, List<Integer> assigned) {
    this.schema = schema;
    this.assigned = List.copyOf(assigned);
  }

  /**
   * A new relay session: it owns nothing until it locks again (the locks lived on the old session).
   * Reads the lock namespace on it and commits.
   */
  void newSession(Connection db) throws SQLException {
    lost();
    try (Statement statement = db.createStatement()) {
      try (ResultSet rs = statement.executeQuery("SELECT hashtext('" + schema + ".outbox')")) {
        rs.next();
        lockNamespace = rs.getInt(1);
      }
    }
    db.commit();
  }

  /**
   * Takes the locks of the assigned buckets not held yet, and commits.
   *
   * @return the buckets won by this call, in assignment order; empty when all are owned already or
   *     another relay still holds the rest
   */
  List<Integer> acquire(Connection db) throws SQLException {
    if (owned.size() == assigned.size()) {
      return List.of();
    }
    List<Integer> won = new ArrayList<>();
    try (PreparedStatement lock =
        db.prepareStatement("SELECT pg_try_advisory_lock(?::int, ?::int)")) {
      for (int bucket : assigned) {
        if (owned.contains(bucket)) {
          continue;
        }
        lock.setLong(1, lockNamespace);
        lock.setInt(2, bucket);
        try (ResultSet rs = lock.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            won.add(bucket);
          }
        }
      }
    }
    db.commit();
    if (won.isEmpty()) {
      log.debug("Buckets {} are still held by another relay", assigned);
    }
    return List.copyOf(won);
  }

  /**
   * Who holds the locks of these buckets, for an operator: per bucket held by another session, its
   * pid, application name, client and since when it is connected (what pg_stat_activity shows this
   * role). Read only; commits.
   */
  Map<Integer, String> holders(Connection db, List<Integer> buckets) throws SQLException {
    Map<Integer, String> holders = new TreeMap<>();
    try (PreparedStatement query =
        db.prepareStatement(
            "SELECT l.objid::bigint, l.pid, a.application_name, host(a.client_addr),"
                + " a.backend_start, a.state FROM pg_catalog.pg_locks l"
                + " LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
                + " AND l.classid::bigint = ? AND l.objid::bigint = ANY (?::bigint[])"
                + " AND l.pid <> pg_backend_pid()")) {
      // pg_try_advisory_lock(int4, int4) files the first key as an unsigned oid.
      query.setLong(1, Integer.toUnsignedLong((int) lockNamespace));
      query.setArray(2, db.createArrayOf("int8", buckets.stream().map(Long::valueOf).toArray()));
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          holders.put(
              (int) rs.getLong(1),
              "pid "
                  + rs.getInt(2)
                  + " (application '"
                  + Objects.toString(rs.getString(3), "")
                  + "', client "
                  + Objects.toString(rs.getString(4), "local")
                  + ", connected since "
                  + rs.getTimestamp(5)
                  + ", "
                  + Objects.toString(rs.getString(6), "state unknown")
                  + ")");
        }
      }
    }
    db.commit();
    return holders;
  }

  /**
   * The buckets are this session's now. Separate from {@link #acquire} so that a bucket counts as
   * owned only once what Connect committed for it is settled and its redo queued.
   */
  void own(List<Integer> won) {
    owned.addAll(won);
    ownedSnapshot = List.copyOf(owned);
  }

  /** The session ended: its locks went with it. */
  void lost() {
    owned.clear();
    ownedSnapshot = List.of();
  }

  /** The buckets owned, as an immutable list in the order they were won; safe from any thread. */
  List<Integer> owned() {
    return ownedSnapshot;
  }

  List<Integer> assigned() {
    return assigned;
  }
}
