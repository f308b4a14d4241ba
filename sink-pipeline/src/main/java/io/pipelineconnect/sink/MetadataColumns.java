package io.pipelineconnect.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Columns filled from the record rather than its value: its topic, partition, offset, timestamp or
 * key ({@code metadata.columns}, and the key columns of {@code pk.mode=kafka}), so that an appended
 * table can be deduplicated or audited later, or each record upserted once by its position.
 */
final class MetadataColumns {
  static final String METADATA_COLUMNS = "metadata.columns";
  static final String METADATA_COLUMNS_DOC =
      "Columns to fill from the record instead of its value, as source:column pairs,"
          + " comma-separated; sources: topic, partition, offset, timestamp (the record's, as a"
          + " timestamp), key (text, bytea for a bytea column, JSON text for a Struct or Map key)."
          + " E.g. topic:src_topic,partition:src_partition,offset:src_offset. For format=json and"
          + " binary (text and csv lines are copied as they are).";

  /** pk.mode=kafka's key columns when pk.fields does not name them (the JDBC sinks' names). */
  static final List<String> KAFKA_KEY_DEFAULTS =
      List.of("__connect_topic", "__connect_partition", "__connect_offset");

  enum Source {
    TOPIC,
    PARTITION,
    OFFSET,
    TIMESTAMP,
    KEY
  }

  static final MetadataColumns NONE = new MetadataColumns(Map.of());

  private final Map<String, Source> sourceByColumn;

  private MetadataColumns(Map<String, Source> sourceByColumn) {
    this.sourceByColumn = Collections.unmodifiableMap(sourceByColumn);
  }

  static ConfigDef define(ConfigDef def, String group, int order) {
    return def.define(
        METADATA_COLUMNS,
        Type.LIST,
        List.of(),
        Importance.LOW,
        METADATA_COLUMNS_DOC,
        group,
        order,
        Width.LONG,
        "Metadata columns");
  }

  /**
   * The columns {@code metadata.columns} names, plus pk.mode=kafka's key columns.
   *
   * @param kafkaKey the topic, partition and offset key columns, or empty
   * @throws ConfigException naming the key to fix
   */
  static MetadataColumns parse(List<String> entries, List<String> kafkaKey) {
    Map<String, Source> sources = new LinkedHashMap<>();
    for (String entry : entries) {
      int colon = entry.indexOf(':');
      String source = colon < 0 ? "" : entry.substring(0, colon).trim();
      String column = colon < 0 ? "" : entry.substring(colon + 1).trim();
      Source parsed;
      try {
        parsed = Source.valueOf(source.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        parsed = null;
      }
      if (parsed == null || column.isEmpty()) {
        throw new ConfigException(
            METADATA_COLUMNS,
            entries,
            "'"
                + entry
                + "' is not source:column; give pairs such as offset:src_offset, with the source"
                + " one of topic, partition, offset, timestamp, key");
      }
      if (sources.put(column, parsed) != null) {
        throw new ConfigException(
            METADATA_COLUMNS, entries, "Column " + column + " is named twice: name it once");
      }
    }
    if (!kafkaKey.isEmpty()) {
      if (kafkaKey.size() != 3) {
        throw new ConfigException(
            WriteMode.PK_FIELDS,
            kafkaKey,
            "pk.mode=kafka keys rows by topic, partition and offset: name three columns, or"
                + " leave pk.fields empty for "
                + KAFKA_KEY_DEFAULTS);
      }
      List<Source> kafka = List.of(Source.TOPIC, Source.PARTITION, Source.OFFSET);
      for (int i = 0; i < 3; i++) {
        Source earlier = sources.put(kafkaKey.get(i), kafka.get(i));
        if (earlier != null && earlier != kafka.get(i)) {
          throw new ConfigException(
              METADATA_COLUMNS,
              entries,
              "Column "
                  + kafkaKey.get(i)
                  + " is pk.mode=kafka's "
                  + kafka.get(i).name().toLowerCase(Locale.ROOT)
                  + " column: do not map it to another source");
        }
      }
    }
    return sources.isEmpty() ? NONE : new MetadataColumns(sources);
  }

  boolean isEmpty() {
    return sourceByColumn.isEmpty();
  }

  /** The columns filled from the source, in the order named. */
  List<String> columnsOf(Source source) {
    return sourceByColumn.entrySet().stream()
        .filter(e -> e.getValue() == source)
        .map(Map.Entry::getKey)
        .toList();
  }

  /** Where the column's value comes from, or null for a column filled from the value. */
  Source source(String column) {
    return sourceByColumn.get(column);
  }

  /** Every named column must be one the sink writes, or each row would silently lack it. */
  void checkTarget(TargetTable target) {
    for (String column : sourceByColumn.keySet()) {
      if (target.column(column).isEmpty()) {
        throw new ConnectException(
            "Metadata column "
                + column
                + " (metadata.columns or pk.mode=kafka) is not a column the sink writes in "
                + target.name()
                + ": add it (ALTER TABLE "
                + target.name().quoted()
                + " ADD COLUMN ...), or name an existing one (in columns too, if set)");
      }
    }
  }

  /**
   * The record's metadata for a column: a String, Integer, Long, {@link java.util.Date} or, for a
   * bytea column's key, the key's bytes.
   */
  static Object value(Source source, SinkRecord record, boolean byteaColumn)
      throws JsonProcessingException {
    return switch (source) {
      case TOPIC -> record.topic();
      case PARTITION -> record.kafkaPartition();
      case OFFSET -> record.kafkaOffset();
      case TIMESTAMP -> record.timestamp() == null ? null : new java.util.Date(record.timestamp());
      case KEY -> key(record.key(), byteaColumn);
    };
  }

  private static Object key(Object key, boolean byteaColumn) throws JsonProcessingException {
    if (key instanceof byte[] bytes) {
      return byteaColumn ? bytes : new String(bytes, StandardCharsets.UTF_8);
    }
    if (key instanceof Struct || key instanceof Map<?, ?> || key instanceof List<?>) {
      return JsonFields.MAPPER.writeValueAsString(ConnectValues.plain(key));
    }
    return key;
  }
}
