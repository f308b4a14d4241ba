package io.pipelineconnect.sink;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/**
 * Which database errors a record is to blame for: those that retrying the same row cannot change. A
 * value or constraint the row breaks (classes 22, 23, 44 with check option), a trigger or function
 * that raises for it (P0 RAISE, 09 and 27 triggered actions, 2F, 38, 39 routines), a row-level
 * security policy that refuses it (42501). Everything else, a lost connection (08), a serialization
 * failure or deadlock (40), a lock or statement timeout (55P03, 57014), the server shutting down or
 * out of resources (57, 53, 58), is the batch's: rolled back and retried whole.
 */
final class DatabaseErrors {
  private static final Set<String> RECORD_CLASSES =
      Set.of("22", "23", "44", "P0", "09", "27", "2F", "38", "39");
  static final String INSUFFICIENT_PRIVILEGE = "42501";

  private DatabaseErrors() {}

  /**
   * Whether the error may be a row's fault, by its SQLSTATE alone. For 42501 it may also be a
   * revoked INSERT right, which is every row's: {@link #isRecordsFault} tells the two apart.
   */
  static boolean mayBeRecordsFault(SQLException e) {
    String state = e.getSQLState();
    if (state == null || state.length() != 5) {
      return false;
    }
    return RECORD_CLASSES.contains(state.substring(0, 2)) || state.equals(INSUFFICIENT_PRIVILEGE);
  }

  /**
   * Whether the row is to blame. Runs a query for 42501 (after the failed COPY was rolled back to
   * its savepoint): a policy refused the row only if this user may still insert into the target.
   */
  static boolean isRecordsFault(SQLException e, Connection connection, TargetTable target)
      throws SQLException {
    return isRecordsFault(e, connection, target, List.of("INSERT"));
  }

  /**
   * The same for a statement that needs all these privileges on the target (an upsert: INSERT and
   * UPDATE): a policy refused the row only if this user still holds every one.
   */
  static boolean isRecordsFault(
      SQLException e, Connection connection, TargetTable target, List<String> privileges)
      throws SQLException {
    if (!mayBeRecordsFault(e)) {
      return false;
    }
    if (!INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
      return true;
    }
    for (String privilege : privileges) {
      if (!Catalog.hasPrivilege(connection, target.name(), privilege)) {
        return false;
      }
    }
    return true;
  }
}
