package io.pipelineconnect.sink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a record asks of its target row when the sink upserts: a row to insert or update, a key to
 * delete, or nothing. A Debezium change event ({@code before}, {@code after}, {@code op}) says so
 * itself; any other value is a row, and a tombstone (null value) a delete.
 */
final class ChangeReader {
  private static final Logger log = LoggerFactory.getLogger(ChangeReader.class);

  enum Kind {
    UPSERT,
    DELETE,
    SKIP
  }

  /**
   * @param fields the row's fields (UPSERT) or the key's (DELETE), by column name
   */
  record Change(Kind kind, Map<String, Object> fields) {
    static final Change SKIP = new Change(Kind.SKIP, Map.of());
  }

  private final WriteMode mode;
  // Two readers: one read from a JsonConverter envelope returns a map reused for the next message.
  private final JsonFields valueFields = new JsonFields();
  private final JsonFields keyFields = new JsonFields();
  private boolean loggedSkippedOp;

  ChangeReader(WriteMode mode) {
    this.mode = mode;
  }

  /**
   * The change the record asks for.
   *
   * @param keyColumns the target's key columns: a primitive key fills the only one
   * @throws BadRecordException if the record has no usable key or value
   */
  Change read(SinkRecord record, List<String> keyColumns) throws BadRecordException, IOException {
    Object value = record.value();
    if (value == null) {
      return mode.deletes() ? new Change(Kind.DELETE, key(record, keyColumns)) : Change.SKIP;
    }
    Map<String, Object> fields = valueFields.of(value);
    if (fields == null) {
      return Change.SKIP;
    }
    if (isChangeEvent(value, fields)) {
      String op = JsonFields.text(fields.get("op"));
      switch (op == null ? "" : op) {
        case "c", "r", "u" -> {
          Map<String, Object> after = valueFields.nested(fields.get("after"));
          if (after == null) {
            throw new BadRecordException("Change event with op=" + op + " has no after");
          }
          return upsert(record, after, keyColumns);
        }
        case "d" -> {
          return mode.deletes() ? new Change(Kind.DELETE, key(record, keyColumns)) : Change.SKIP;
        }
        default -> {
          // t (truncate) and m (message) are not row changes: a truncate is not replayed.
          if (!loggedSkippedOp) {
            log.info("Skipping change events with op={} (only c, r, u and d are applied)", op);
            loggedSkippedOp = true;
          }
          return Change.SKIP;
        }
      }
    }
    return upsert(record, fields, keyColumns);
  }

  private Change upsert(SinkRecord record, Map<String, Object> row, List<String> keyColumns)
      throws BadRecordException, IOException {
    if (mode.keySource() != WriteMode.KeySource.RECORD_KEY) {
      // record_value: the row holds its key; kafka: the encoder fills it from the record.
      return new Change(Kind.UPSERT, row);
    }
    Map<String, Object> merged = new LinkedHashMap<>(row);
    merged.putAll(key(record, keyColumns));
    return new Change(Kind.UPSERT, merged);
  }

  /** The record key's fields: a Struct, Map or JSON object by name, a primitive for one column. */
  private Map<String, Object> key(SinkRecord record, List<String> keyColumns)
      throws BadRecordException, IOException {
    Object key = record.key();
    if (key == null) {
      throw new BadRecordException(
          "The record has no key, and pk.mode=record_key takes the row's key from it");
    }
    if (key instanceof Struct || key instanceof Map<?, ?> || isJsonObject(key)) {
      Map<String, Object> fields = keyFields.of(key);
      if (fields == null) {
        throw new BadRecordException("The record's key is empty");
      }
      return fields;
    }
    if (keyColumns.size() != 1) {
      throw new BadRecordException(
          "The record's key is a single value, but the key has columns "
              + keyColumns
              + ": a key for several columns must be a Struct, Map or JSON object");
    }
    Object single = key instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : key;
    return Map.of(keyColumns.get(0), single);
  }

  private static boolean isJsonObject(Object key) {
    String text;
    if (key instanceof byte[] bytes) {
      text = new String(bytes, 0, Math.min(bytes.length, 16), StandardCharsets.UTF_8);
    } else if (key instanceof String s) {
      text = s;
    } else {
      return false;
    }
    return text.stripLeading().startsWith("{");
  }

  /**
   * Whether the value is a Debezium change event: a Struct named {@code ...Envelope}, or an object
   * with Debezium's {@code before}, {@code after}, {@code op} and {@code source}.
   */
  private static boolean isChangeEvent(Object value, Map<String, Object> fields) {
    if (!fields.containsKey("op")
        || !fields.containsKey("before")
        || !fields.containsKey("after")) {
      return false;
    }
    if (value instanceof Struct struct) {
      String name = struct.schema().name();
      return name != null && name.endsWith(".Envelope");
    }
    return fields.containsKey("source");
  }
}
