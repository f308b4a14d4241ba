package io.pipelineconnect.sink;

import io.pipelineconnect.common.Identifiers;
import io.pipelineconnect.common.PostgresConnectionConfig;
import io.pipelineconnect.common.RelationName;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code auto.create} and {@code auto.evolve}: the DDL that makes a target fit its records' Connect
 * schemas. A table is created with a column per field of the value (of a change event's {@code
 * after}), the key's columns as its primary key; a field the table lacks is added as a nullable
 * column. Nothing is ever dropped, narrowed or retyped, so no table is rewritten.
 */
final class ManagedTables {
  private static final Logger log = LoggerFactory.getLogger(ManagedTables.class);

  static final String AUTO_CREATE = "auto.create";
  static final String AUTO_CREATE_DOC =
      "Whether to create a missing target table from the first record's schema (the value's"
          + " Struct, or a Debezium change event's after; JsonConverter with schemas.enable=true,"
          + " Avro or Protobuf, or with format=json JsonConverter's envelope read from bytes by"
          + " the ByteArrayConverter): a column per field with its PostgreSQL type (Decimal numeric,"
          + " Date date, Time time, Timestamp timestamptz, bytes bytea, an array of primitives"
          + " the array of their type, other arrays, maps and structs jsonb), NOT NULL for required fields, the key (pk.fields, or the record key's fields)"
          + " as primary key, and the metadata columns. Not with stream.from.key: a record must not"
          + " choose which tables exist.";
  static final String AUTO_EVOLVE = "auto.evolve";
  static final String AUTO_EVOLVE_DOC =
      "Whether to add a nullable column for each field of a record's schema that the target"
          + " lacks, writing the rows before it first (so a source that adds a column keeps"
          + " flowing). Columns are never dropped, narrowed or retyped. Needs the table's owner"
          + " (ALTER TABLE); not with columns or stream.from.key.";

  private final WriteMode mode;
  private final MetadataColumns metadata;
  private final PostgresConnectionConfig connection;

  /**
   * Row schemas compared with their target so far, each distinct schema once; at most {@link
   * #CHECKED} of them, for schemas read from bytes are the producers' to multiply.
   */
  private final Set<Schema> checked = Collections.newSetFromMap(new IdentityHashMap<>());

  static final int CHECKED = 1000;

  /** The schemas of JsonConverter envelopes read from bytes (format=json, ByteArrayConverter). */
  private final JsonEnvelope.ConnectSchemas envelopeSchemas = new JsonEnvelope.ConnectSchemas();

  ManagedTables(WriteMode mode, MetadataColumns metadata, PostgresConnectionConfig connection) {
    this.mode = mode;
    this.metadata = metadata;
    this.connection = connection;
  }

  static ConfigDef define(ConfigDef def, String group, int order) {
    return def.define(
            AUTO_CREATE,
            Type.BOOLEAN,
            false,
            Importance.MEDIUM,
            AUTO_CREATE_DOC,
            group,
            order,
            Width.SHORT,
            "Create tables")
        .define(
            AUTO_EVOLVE,
            Type.BOOLEAN,
            false,
            Importance.MEDIUM,
            AUTO_EVOLVE_DOC,
            group,
            order + 1,
            Width.SHORT,
            "Add columns");
  }

  /**
   * Creates the record's target, on a connection of its own and committed at once: the task's
   * session may be inside a batch, and a table it rolled back with it would be remembered as
   * existing.
   */
  void create(RelationName name, SinkRecord record) throws BadRecordException, SQLException {
    String ddl = createStatement(name, record);
    log.info("auto.create: {}", ddl);
    try {
      execute(List.of(ddl));
    } catch (SQLException e) {
      // Two tasks creating the same table at once: IF NOT EXISTS does not cover the race, and
      // the loser sees the winner's catalog row (unique_violation) or its table (duplicate_table).
      if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
        throw e;
      }
      log.info("auto.create: {} was created meanwhile by another task", name);
    }
  }

  /** The statements that add the columns the target lacks for the record's fields, if any. */
  List<String> missingColumns(TargetTable target, SinkRecord record) {
    Schema row = rowSchema(record);
    return row == null ? List.of() : addColumnStatements(target, row);
  }

  /** The record's schema fits its target now: not compared again. */
  void fits(SinkRecord record) {
    Schema row = rowSchema(record);
    if (row != null) {
      if (checked.size() >= CHECKED) {
        // Each schema forgotten is compared once more with its (remembered) target, no more.
        checked.clear();
      }
      checked.add(row);
    }
  }

  /** Whether the record's row schema is one not yet compared with its target. */
  boolean isNewSchema(SinkRecord record) {
    Schema row = rowSchema(record);
    return row != null && !checked.contains(row);
  }

  /** Runs the statements on a connection of their own, each committed at once. */
  void execute(List<String> statements) throws SQLException {
    try (Connection db = connection.open();
        Statement statement = db.createStatement()) {
      db.setAutoCommit(true);
      for (String ddl : statements) {
        statement.execute(ddl);
      }
    } catch (SQLException e) {
      if ("42501".equals(e.getSQLState())) {
        throw new ConnectException(
            "auto.create / auto.evolve needs to create or alter the target, but "
                + connection.user()
                + " may not ("
                + e.getMessage()
                + "): make it the table's owner (or give it CREATE on the schema), or create the"
                + " table and its columns yourself",
            e);
      }
      throw e;
    }
  }

  /** Forgets the schemas checked (a target was created or changed by someone else, say). */
  void forget() {
    checked.clear();
  }

  /**
   * The schema whose fields are the row's: the value's (a Struct's, or a JsonConverter envelope's
   * read from bytes), or a Debezium change event's {@code after}. Null when the record carries no
   * struct schema.
   */
  Schema rowSchema(SinkRecord record) {
    return record.value() instanceof byte[] message
        ? rowOf(envelopeSchemas.of(message))
        : rowOf(record.valueSchema());
  }

  private static Schema rowOf(Schema schema) {
    if (schema == null || schema.type() != Schema.Type.STRUCT) {
      return null;
    }
    if (schema.name() != null && schema.name().endsWith(".Envelope")) {
      Field after = schema.field("after");
      if (after != null && after.schema().type() == Schema.Type.STRUCT) {
        return after.schema();
      }
    }
    return schema;
  }

  /**
   * {@code CREATE TABLE IF NOT EXISTS} for the record's target: its row fields, the key's fields
   * (pk.mode=record_key with a Struct key), the metadata columns, and the primary key.
   *
   * @throws BadRecordException if the record cannot describe the table (no schema, no key)
   */
  String createStatement(RelationName name, SinkRecord record) throws BadRecordException {
    Schema row = rowSchema(record);
    if (row == null) {
      throw new BadRecordException(
          "auto.create needs a record with a struct schema (JsonConverter with"
              + " schemas.enable=true, Avro, Protobuf, or JsonConverter's envelope read from bytes"
              + " with format=json) to create "
              + name
              + "; create the table yourself, or use such a converter");
    }
    Map<String, String> columns = new LinkedHashMap<>();
    for (Field field : row.fields()) {
      columns.put(
          field.name(),
          columnType(field.schema()) + (field.schema().isOptional() ? "" : " NOT NULL"));
    }
    List<String> key = keyColumns(record, columns);
    metadataColumnTypes().forEach(columns::putIfAbsent);
    StringBuilder ddl =
        new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(name.quoted()).append(" (");
    String separator = "";
    for (Map.Entry<String, String> column : columns.entrySet()) {
      ddl.append(separator)
          .append(Identifiers.quote(column.getKey()))
          .append(' ')
          .append(column.getValue());
      separator = ", ";
    }
    if (!key.isEmpty()) {
      ddl.append(", PRIMARY KEY (");
      separator = "";
      for (String column : key) {
        ddl.append(separator).append(Identifiers.quote(column));
        separator = ", ";
      }
      ddl.append(')');
    }
    return ddl.append(')').toString();
  }

  /** The key columns, adding the record key's fields to the columns where they are not there. */
  private List<String> keyColumns(SinkRecord record, Map<String, String> columns)
      throws BadRecordException {
    if (mode.appends()) {
      return List.of();
    }
    Schema keySchema = record.keySchema();
    if (mode.keySource() == WriteMode.KeySource.RECORD_KEY
        && keySchema != null
        && keySchema.type() == Schema.Type.STRUCT) {
      List<String> fromKey = new ArrayList<>();
      for (Field field : keySchema.fields()) {
        columns.putIfAbsent(field.name(), columnType(field.schema()));
        fromKey.add(field.name());
      }
      return mode.keyFields().isEmpty() ? fromKey : mode.keyFields();
    }
    if (mode.keyFields().isEmpty()) {
      throw new BadRecordException(
          "auto.create cannot tell the key columns: the record's key has no struct schema. Name"
              + " them in pk.fields");
    }
    if (mode.keySource() == WriteMode.KeySource.RECORD_KEY
        && mode.keyFields().size() == 1
        && keySchema != null) {
      columns.putIfAbsent(mode.keyFields().get(0), columnType(keySchema));
    }
    for (String column : mode.keyFields()) {
      if (!columns.containsKey(column) && metadata.source(column) == null) {
        throw new BadRecordException(
            "auto.create: key column " + column + " (pk.fields) is no field of the record");
      }
    }
    return mode.keyFields();
  }

  private Map<String, String> metadataColumnTypes() {
    Map<String, String> types = new LinkedHashMap<>();
    for (MetadataColumns.Source source : MetadataColumns.Source.values()) {
      for (String column : metadata.columnsOf(source)) {
        types.put(
            column,
            switch (source) {
              case TOPIC, KEY -> "text";
              case PARTITION -> "integer";
              case OFFSET -> "bigint";
              case TIMESTAMP -> "timestamptz";
            });
      }
    }
    return types;
  }

  /**
   * {@code ALTER TABLE ... ADD COLUMN IF NOT EXISTS} for each field of the record's row schema the
   * target lacks, all nullable (the rows already there have no value); empty if none is missing.
   */
  static List<String> addColumnStatements(TargetTable target, Schema row) {
    List<String> statements = new ArrayList<>();
    for (Field field : row.fields()) {
      if (target.column(field.name()).isEmpty()) {
        statements.add(
            "ALTER TABLE "
                + target.name().quoted()
                + " ADD COLUMN IF NOT EXISTS "
                + Identifiers.quote(field.name())
                + " "
                + columnType(field.schema()));
      }
    }
    return statements;
  }

  /** The PostgreSQL type for a Connect schema, logical types (Connect's and Debezium's) first. */
  static String columnType(Schema schema) {
    String logical = schema.name();
    if (logical != null) {
      switch (logical) {
        case Decimal.LOGICAL_NAME -> {
          return "numeric";
        }
        case org.apache.kafka.connect.data.Date.LOGICAL_NAME, "io.debezium.time.Date" -> {
          return "date";
        }
        case Time.LOGICAL_NAME,
            "io.debezium.time.Time",
            "io.debezium.time.MicroTime",
            "io.debezium.time.NanoTime" -> {
          return "time";
        }
        case Timestamp.LOGICAL_NAME, "io.debezium.time.ZonedTimestamp" -> {
          return "timestamptz";
        }
        // Debezium's timestamps are the source column's local time, without a zone.
        case "io.debezium.time.Timestamp",
            "io.debezium.time.MicroTimestamp",
            "io.debezium.time.NanoTimestamp" -> {
          return "timestamp";
        }
        case "io.debezium.data.Json" -> {
          return "jsonb";
        }
        case "io.debezium.data.Uuid" -> {
          return "uuid";
        }
        case DebeziumTypes.VARIABLE_SCALE_DECIMAL -> {
          return "numeric";
        }
        default -> {
          // Not one we know: the physical type below.
        }
      }
    }
    return switch (schema.type()) {
      case INT8, INT16 -> "smallint";
      case INT32 -> "integer";
      case INT64 -> "bigint";
      case FLOAT32 -> "real";
      case FLOAT64 -> "double precision";
      case BOOLEAN -> "boolean";
      case STRING -> "text";
      case BYTES -> "bytea";
      case ARRAY -> arrayType(schema.valueSchema());
      // Both row formats write these as JSON, which a jsonb column takes whole.
      case MAP, STRUCT -> "jsonb";
    };
  }

  /**
   * A PostgreSQL array of the element's type where every row format writes the elements as
   * PostgreSQL reads them: primitives without a logical type (json's array literal quotes each
   * element's text; binary sends array_send's format). Anything else, nested arrays, structs, bytes
   * or logical types, is a jsonb column, which takes the array as JSON whole.
   */
  private static String arrayType(Schema element) {
    if (element.name() != null) {
      return "jsonb";
    }
    return switch (element.type()) {
      case INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING ->
          columnType(element) + "[]";
      default -> "jsonb";
    };
  }
}
