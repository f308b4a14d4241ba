package io.pipelineconnect.sink;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * Upserts, updates and deletes by key: each target's rows are copied into its {@link StagingTable}
 * (COPY isolates rows it cannot parse, as for appends), then applied in one statement, in the
 * transaction that saves the batch's offsets, so a batch is applied once or not at all.
 *
 * <p>When the target refuses a change (a constraint, a trigger), the statement is rolled back to a
 * savepoint and the refused change is found by applying ever shorter prefixes of the batch (rolled
 * back each time, about log2(n) tries); it is reported as bad, dropped from the staging table, and
 * the rest applied again. The key's earlier change in the batch, if any, is then its last.
 */
final class UpsertWriter implements BatchWriter {
  private final WriteMode mode;
  private final ChangeRowEncoder encoder;
  private final CopyWriter copy;
  private final Map<TargetTable, StagingTable> stages = new HashMap<>();

  UpsertWriter(WriteMode mode, ChangeRowEncoder encoder) {
    this.mode = mode;
    this.encoder = encoder;
    this.copy = new CopyWriter(encoder, Integer.MAX_VALUE);
  }

  @Override
  public void check(Connection db, TargetTable target) throws SQLException {
    StagingTable stage = stageFor(db, target);
    create(db, stage);
    copy.check(db, stage.copyTarget());
  }

  /** The target's staging table, after checking once that the target can take the changes. */
  private StagingTable stageFor(Connection db, TargetTable target) throws SQLException {
    StagingTable known = stages.get(target);
    if (known != null) {
      return known;
    }
    encoder.checkTarget(target);
    List<String> keys = encoder.keyColumns(target);
    if (mode.insert() == WriteMode.Insert.UPSERT
        && !Catalog.hasUniqueIndexOn(db, target.name(), keys)) {
      throw new ConnectException(
          "insert.mode=upsert into "
              + target.name()
              + " needs a primary key or unique index on exactly "
              + keys
              + " to find the row to update: CREATE UNIQUE INDEX ON "
              + target.name().quoted()
              + " (...), or set pk.fields to the columns of one");
    }
    for (String privilege : privileges()) {
      if (!Catalog.hasPrivilege(db, target.name(), privilege)) {
        throw new ConnectException(
            "insert.mode="
                + mode.insert().configValue()
                + (mode.deletes() ? " with delete.enabled" : "")
                + " needs "
                + privilege
                + " on "
                + target.name()
                + ": GRANT "
                + privilege
                + " ON "
                + target.name()
                + " TO <user>");
      }
    }
    StagingTable stage =
        new StagingTable("pipeline_connect_stage_" + stages.size(), target, keys, mode);
    stages.put(target, stage);
    return stage;
  }

  private List<String> privileges() {
    List<String> privileges = new ArrayList<>();
    if (mode.insert() == WriteMode.Insert.UPSERT) {
      privileges.add("INSERT");
    }
    privileges.add("UPDATE");
    // Matching staged keys to the target's rows reads them (ON CONFLICT, UPDATE FROM, DELETE
    // USING).
    privileges.add("SELECT");
    if (mode.deletes()) {
      privileges.add("DELETE");
    }
    return privileges;
  }

  private static void create(Connection db, StagingTable stage) throws SQLException {
    try (Statement statement = db.createStatement()) {
      statement.execute(stage.createStatement());
    }
  }

  @Override
  public void rowsAdded(Connection db, TargetRows rows) {
    // Changes are applied whole at flush: nothing to send early.
  }

  @Override
  public void putEnded(Connection db, TargetRows first) {}

  @Override
  public long finishInFlight() {
    return 0;
  }

  @Override
  public long write(Connection db, TargetRows rows, CopyWriter.RejectedRowHandler onRejected)
      throws SQLException {
    StagingTable stage = stageFor(db, rows.target());
    // Created in this transaction if the session is new: a rollback takes it along, and the next
    // attempt creates it again.
    create(db, stage);
    long staged = copy.write(db, rows, stage.copyTarget(), onRejected);
    if (staged == 0) {
      return 0;
    }
    return staged - applyIsolating(db, stage, rows, onRejected);
  }

  /**
   * Applies the staged changes, dropping each one the target refuses.
   *
   * @return how many changes were refused
   */
  private int applyIsolating(
      Connection db, StagingTable stage, TargetRows rows, CopyWriter.RejectedRowHandler onRejected)
      throws SQLException {
    int refused = 0;
    while (true) {
      Savepoint savepoint = db.setSavepoint();
      try {
        apply(db, stage, Integer.MAX_VALUE);
        db.releaseSavepoint(savepoint);
        return refused;
      } catch (SQLException e) {
        db.rollback(savepoint);
        db.releaseSavepoint(savepoint);
        if (!DatabaseErrors.isRecordsFault(e, db, stage.target(), privileges())) {
          throw e;
        }
        Refusal refusal = firstRefused(db, stage, rows.rowCount());
        if (refusal == null) {
          throw e; // the whole batch fails but no prefix of it does: not a row's fault
        }
        rows.reject(refusal.row());
        onRejected.rejected(rows, refusal.row(), refusal.reason());
        try (PreparedStatement forget = db.prepareStatement(stage.forgetRowStatement())) {
          forget.setInt(1, refusal.row());
          forget.executeUpdate();
        }
        refused++;
      }
    }
  }

  private record Refusal(int row, String reason) {}

  /**
   * The row whose change makes the shortest failing prefix fail: the empty prefix passes, and a
   * prefix that fails keeps failing as rows are added, so a binary search finds it.
   */
  private Refusal firstRefused(Connection db, StagingTable stage, int rowCount)
      throws SQLException {
    int passes = 0;
    int fails = rowCount;
    String reason = null;
    if (probe(db, stage, fails) == null) {
      return null;
    }
    while (fails - passes > 1) {
      int middle = (passes + fails) >>> 1;
      String failure = probe(db, stage, middle);
      if (failure == null) {
        passes = middle;
      } else {
        fails = middle;
        reason = failure;
      }
    }
    if (reason == null) {
      reason = probe(db, stage, fails);
    }
    return new Refusal(fails - 1, reason);
  }

  /** Applies the prefix and rolls it back: null if it passed, else the database's reason. */
  private String probe(Connection db, StagingTable stage, int rowLimit) throws SQLException {
    Savepoint savepoint = db.setSavepoint();
    try {
      apply(db, stage, rowLimit);
      db.rollback(savepoint);
      return null;
    } catch (SQLException e) {
      db.rollback(savepoint);
      if (!DatabaseErrors.isRecordsFault(e, db, stage.target(), privileges())) {
        throw e;
      }
      return e.getMessage();
    } finally {
      db.releaseSavepoint(savepoint);
    }
  }

  private static void apply(Connection db, StagingTable stage, int rowLimit) throws SQLException {
    try (PreparedStatement statement = db.prepareStatement(stage.applyStatement())) {
      statement.setInt(1, rowLimit);
      statement.executeUpdate();
    }
  }

  @Override
  public void transactionLost() {}

  @Override
  public void batchDone() {}
}
