package io.pipelineconnect.sink;

import io.pipelineconnect.common.Identifiers;
import io.pipelineconnect.common.RelationName;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A session's temporary table that a batch's changes to one target are copied into before they are
 * applied: the target's columns (its types, no constraints, so a delete may leave all but the key
 * NULL), a delete flag and the row's index in the batch. {@code ON COMMIT DELETE ROWS}: every batch
 * starts empty, and a rollback takes the rows along.
 *
 * <p>The statement that applies the changes keeps the last change per key (by row index), deletes
 * the keys whose last change is a delete and inserts or updates the others, all in one statement.
 * It takes a bound on the row index, so that a refused change can be found by trying prefixes.
 */
final class StagingTable {
  static final String DELETE_COLUMN = "__pipeline_connect_delete";
  static final String ROW_COLUMN = "__pipeline_connect_row";

  private final TargetTable target;
  private final TargetTable copyTarget;
  private final String create;
  private final String apply;
  private final String forgetRow;

  StagingTable(String name, TargetTable target, List<String> keys, WriteMode mode) {
    this.target = target;
    RelationName relation = new RelationName(Optional.of("pg_temp"), name);
    List<TargetTable.Column> columns = new ArrayList<>(target.columns());
    columns.add(new TargetTable.Column(DELETE_COLUMN, "boolean", false));
    columns.add(new TargetTable.Column(ROW_COLUMN, "integer", false));
    this.copyTarget = new TargetTable(relation, false, List.copyOf(columns));
    String stage = relation.quoted();
    this.create =
        "CREATE TEMPORARY TABLE IF NOT EXISTS "
            + stage
            + " ("
            + columns.stream()
                .map(c -> Identifiers.quote(c.name()) + " " + c.type())
                .collect(Collectors.joining(", "))
            + ") ON COMMIT DELETE ROWS";
    this.forgetRow = "DELETE FROM " + stage + " WHERE " + Identifiers.quote(ROW_COLUMN) + " = ?";
    this.apply = applyStatement(stage, target, keys, mode);
  }

  private static String applyStatement(
      String stage, TargetTable target, List<String> keys, WriteMode mode) {
    String table = target.name().quoted();
    String row = Identifiers.quote(ROW_COLUMN);
    String delete = Identifiers.quote(DELETE_COLUMN);
    String keyList = quoted(keys, "");
    List<String> columns = target.columns().stream().map(TargetTable.Column::name).toList();
    List<String> others = columns.stream().filter(c -> !keys.contains(c)).toList();
    String keyMatch =
        keys.stream()
            .map(k -> "t." + Identifiers.quote(k) + " = p." + Identifiers.quote(k))
            .collect(Collectors.joining(" AND "));
    StringBuilder sql = new StringBuilder();
    sql.append("WITH last AS (SELECT DISTINCT ON (")
        .append(keyList)
        .append(") * FROM ")
        .append(stage)
        .append(" ORDER BY ")
        .append(keyList)
        .append(", ")
        .append(row)
        .append(" DESC), part AS (SELECT * FROM last WHERE ")
        .append(row)
        .append(" < ?)");
    if (mode.deletes()) {
      sql.append(", deleted AS (DELETE FROM ")
          .append(table)
          .append(" t USING part p WHERE p.")
          .append(delete)
          .append(" AND ")
          .append(keyMatch)
          .append(")");
    }
    if (mode.insert() == WriteMode.Insert.UPSERT) {
      sql.append(" INSERT INTO ")
          .append(table)
          .append(" (")
          .append(quoted(columns, ""))
          .append(") SELECT ")
          .append(quoted(columns, ""))
          .append(" FROM part WHERE NOT ")
          .append(delete)
          .append(" ON CONFLICT (")
          .append(keyList)
          .append(") DO ");
      if (others.isEmpty()) {
        sql.append("NOTHING");
      } else {
        sql.append("UPDATE SET ")
            .append(
                others.stream()
                    .map(c -> Identifiers.quote(c) + " = EXCLUDED." + Identifiers.quote(c))
                    .collect(Collectors.joining(", ")));
      }
    } else {
      List<String> set = others.isEmpty() ? keys : others;
      sql.append(" UPDATE ")
          .append(table)
          .append(" t SET ")
          .append(
              set.stream()
                  .map(c -> Identifiers.quote(c) + " = p." + Identifiers.quote(c))
                  .collect(Collectors.joining(", ")))
          .append(" FROM part p WHERE NOT p.")
          .append(delete)
          .append(" AND ")
          .append(keyMatch);
    }
    return sql.toString();
  }

  private static String quoted(List<String> names, String prefix) {
    return names.stream().map(n -> prefix + Identifiers.quote(n)).collect(Collectors.joining(", "));
  }

  TargetTable target() {
    return target;
  }

  /** The staging table as a COPY target. */
  TargetTable copyTarget() {
    return copyTarget;
  }

  /** Creates the table in this session if it is not there (it lives as long as the session). */
  String createStatement() {
    return create;
  }

  /** Applies the changes of the rows with index below its one parameter. */
  String applyStatement() {
    return apply;
  }

  /** Removes the row with the index given, a change the target refused. */
  String forgetRowStatement() {
    return forgetRow;
  }
}
