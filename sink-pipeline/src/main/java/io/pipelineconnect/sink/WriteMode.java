package io.pipelineconnect.sink;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;

/**
 * How records change their target: appended with COPY (the default, and all a PipelineDB stream
 * takes), or upserted, updated and deleted by key, as the JDBC sinks of Confluent and Debezium do
 * with the keys of the same names.
 *
 * @param insert append, upsert or update
 * @param keySource where a row's key comes from
 * @param keyFields the key's columns; empty: the target's primary key
 * @param deletes whether a tombstone (or a change event's delete) deletes the row with its key
 */
record WriteMode(Insert insert, KeySource keySource, List<String> keyFields, boolean deletes) {
  static final String GROUP = "Writes";

  public static final String INSERT_MODE = "insert.mode";
  static final String INSERT_MODE_DOC =
      "'append': every record is a new row, copied with COPY (PipelineDB streams take only this)."
          + " 'upsert': a row whose key exists is updated, else inserted. 'update': only rows whose"
          + " key exists are updated. Upsert and update COPY each batch into a temporary staging"
          + " table, keep the last change per key, and apply it with INSERT ... ON CONFLICT (or"
          + " UPDATE), in the transaction that saves the batch's offsets. They need format=json or"
          + " binary (field names), pk.mode, and a primary key or unique index on the key"
          + " columns. Debezium change events (before/after/op) are applied as the changes they"
          + " describe.";

  public static final String PK_MODE = "pk.mode";
  static final String PK_MODE_DOC =
      "Where a row's key comes from, for insert.mode=upsert or update. 'record_value': the key"
          + " columns' fields of the value (of a change event's after). 'record_key': the record's"
          + " key: a Struct, Map or JSON object (or JsonConverter envelope) by field name, or a"
          + " primitive for a single key column; its fields override the value's. 'kafka': the"
          + " record's topic, partition and offset, into the three pk.fields columns (default"
          + " __connect_topic, __connect_partition, __connect_offset): each record is a row of"
          + " its own, written once even if redelivered. 'none': no key, for append.";

  public static final String PK_FIELDS = "pk.fields";
  static final String PK_FIELDS_DOC =
      "The key columns, comma-separated. Default: the target table's primary key (with"
          + " pk.mode=kafka: __connect_topic, __connect_partition, __connect_offset). Upsert needs"
          + " a primary key or unique index on exactly these columns.";

  public static final String DELETE_ENABLED = "delete.enabled";
  static final String DELETE_ENABLED_DOC =
      "Whether a tombstone (a record with a null value) deletes the row with the record's key,"
          + " and a Debezium delete event deletes its row. Needs pk.mode=record_key. When false,"
          + " tombstones and delete events are skipped.";

  static final WriteMode APPEND = new WriteMode(Insert.APPEND, KeySource.NONE, List.of(), false);

  enum Insert {
    APPEND,
    UPSERT,
    UPDATE;

    String configValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  enum KeySource {
    NONE,
    RECORD_KEY,
    RECORD_VALUE,
    KAFKA;

    String configValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  boolean appends() {
    return insert == Insert.APPEND;
  }

  /** Adds the keys to a ConfigDef, in the {@value #GROUP} group. */
  static ConfigDef define(ConfigDef def) {
    int order = 0;
    return def.define(
            INSERT_MODE,
            Type.STRING,
            "append",
            ConfigDef.CaseInsensitiveValidString.in("append", "upsert", "update"),
            Importance.HIGH,
            INSERT_MODE_DOC,
            GROUP,
            ++order,
            Width.SHORT,
            "Insert mode")
        .define(
            PK_MODE,
            Type.STRING,
            "none",
            ConfigDef.CaseInsensitiveValidString.in("none", "record_key", "record_value", "kafka"),
            Importance.HIGH,
            PK_MODE_DOC,
            GROUP,
            ++order,
            Width.SHORT,
            "Key source")
        .define(
            PK_FIELDS,
            Type.LIST,
            List.of(),
            Importance.MEDIUM,
            PK_FIELDS_DOC,
            GROUP,
            ++order,
            Width.LONG,
            "Key columns")
        .define(
            DELETE_ENABLED,
            Type.BOOLEAN,
            false,
            Importance.MEDIUM,
            DELETE_ENABLED_DOC,
            GROUP,
            ++order,
            Width.SHORT,
            "Deletes");
  }

  /** The mode from parsed config values (checked across keys by {@link PipelineSinkConfig}). */
  @SuppressWarnings("unchecked")
  static WriteMode from(Map<String, ?> values) {
    KeySource keySource =
        KeySource.valueOf(((String) values.get(PK_MODE)).trim().toUpperCase(Locale.ROOT));
    List<String> keyFields =
        ((List<String>) values.get(PK_FIELDS)).stream().map(String::trim).toList();
    if (keySource == KeySource.KAFKA && keyFields.isEmpty()) {
      keyFields = MetadataColumns.KAFKA_KEY_DEFAULTS;
    }
    return new WriteMode(
        Insert.valueOf(((String) values.get(INSERT_MODE)).trim().toUpperCase(Locale.ROOT)),
        keySource,
        keyFields,
        (Boolean) values.get(DELETE_ENABLED));
  }
}
