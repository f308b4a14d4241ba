package io.pipelineconnect.sink;

import io.pipelineconnect.common.Identifiers;
import io.pipelineconnect.common.RelationName;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A relation the sink copies into, as read from the database catalog: its columns, and whether it
 * is a PipelineDB stream (no transactions, a hidden {@code arrival_timestamp} column).
 */
record TargetTable(RelationName name, boolean pipelineDbStream, List<Column> columns) {

  /** A column that COPY fills. */
  record Column(String name, String type, boolean hasDefault) {
    /** Whether values go in as JSON text (json/jsonb), so nested objects belong here whole. */
    boolean isJson() {
      String t = type.toLowerCase(Locale.ROOT);
      return t.equals("json") || t.equals("jsonb");
    }
  }

  /** Whether the target has exactly one column and it is json/jsonb: whole messages land there. */
  boolean singleJsonColumn() {
    return columns.size() == 1 && columns.get(0).isJson();
  }

  /** {@code COPY "schema"."name" ("a", "b") FROM STDIN WITH (...)}. */
  String copyStatement(String withClause) {
    return "COPY "
        + name.quoted()
        + " ("
        + columns.stream().map(c -> Identifiers.quote(c.name())).collect(Collectors.joining(", "))
        + ") FROM STDIN "
        + withClause;
  }
}
