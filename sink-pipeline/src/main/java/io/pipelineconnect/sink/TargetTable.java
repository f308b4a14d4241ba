package io.pipelineconnect.sink;

import io.pipelineconnect.common.Identifiers;
import io.pipelineconnect.common.RelationName;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A relation the sink copies into, as read from the database catalog: its columns, whether it is a
 * PipelineDB stream (no transactions, a hidden {@code arrival_timestamp} column), and its primary
 * key's columns (empty if it has none), which the upsert writer keys on unless pk.fields says.
 */
record TargetTable(
    RelationName name, boolean pipelineDbStream, List<Column> columns, List<String> primaryKey) {

  TargetTable(RelationName name, boolean pipelineDbStream, List<Column> columns) {
    this(name, pipelineDbStream, columns, List.of());
  }

  /** A column that COPY fills. */
  record Column(String name, String type, boolean hasDefault) {
    /** Whether values go in as JSON text (json/jsonb), so nested objects belong here whole. */
    boolean isJson() {
      String t = type.toLowerCase(Locale.ROOT);
      return t.equals("json") || t.equals("jsonb");
    }

    /** Whether the column is a PostgreSQL array ({@code format_type} ends in []). */
    boolean isArray() {
      return type.endsWith("[]");
    }

    boolean isBytea() {
      return type.equalsIgnoreCase("bytea");
    }
  }

  /** Whether the target has exactly one column and it is json/jsonb: whole messages land there. */
  boolean singleJsonColumn() {
    return columns.size() == 1 && columns.get(0).isJson();
  }

  /** The column of that name, if it is one COPY fills. */
  Optional<Column> column(String columnName) {
    return columns.stream().filter(c -> c.name().equals(columnName)).findFirst();
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
