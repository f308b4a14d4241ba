package io.pipelineconnect.emitter;

import io.pipelineconnect.common.Identifiers;
import io.pipelineconnect.common.RelationName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * {@code emitter.outbox.table}: an application's own outbox table, in the shape Debezium's outbox
 * event router reads ({@code id, aggregatetype, aggregateid, type, payload}), captured into the
 * emitter's outbox by an {@code AFTER INSERT} trigger ({@code emit_outbox_event}), so users move
 * off log-based CDC without touching the application, and every guarantee of the emitter's own
 * outbox holds (commit order per key, exactly once, nothing from a rolled-back transaction). The
 * settings keep the router's names and defaults; a row the application deletes in its inserting
 * transaction, as the outbox pattern recommends, is still relayed.
 *
 * @param table the application's table
 * @param eventId the column whose value is each message's {@code id} header
 * @param key the column whose text is the message key (a message's bucket, so its order)
 * @param payload the column sent as the message value: its bytes if bytea, else its text
 * @param routeBy the column whose value names the topic
 * @param topicPrefix the topic before the route value
 * @param topicSuffix the topic after it
 * @param headers further columns sent as headers, each under its header name
 */
record OutboxTableCapture(
    RelationName table,
    String eventId,
    String key,
    String payload,
    String routeBy,
    String topicPrefix,
    String topicSuffix,
    Map<String, String> headers) {

  static final String TABLE = "emitter.outbox.table";
  static final String EVENT_ID = "emitter.outbox.table.field.event.id";
  static final String EVENT_KEY = "emitter.outbox.table.field.event.key";
  static final String PAYLOAD = "emitter.outbox.table.field.event.payload";
  static final String ROUTE_BY = "emitter.outbox.route.by.field";
  static final String TOPIC = "emitter.outbox.route.topic.replacement";
  static final String ADDITIONAL = "emitter.outbox.table.fields.additional.placement";

  /** Where {@link #TOPIC} puts the route column's value, as in Debezium's router. */
  static final String ROUTED_BY_VALUE = "${routedByValue}";

  private static final String GROUP = "Application outbox table";

  static void define(ConfigDef def) {
    int order = 0;
    def.define(
            TABLE,
            Type.STRING,
            "",
            Importance.MEDIUM,
            "An outbox table the application already writes, in Debezium's outbox shape (id,"
                + " aggregatetype, aggregateid, type, payload; schema-qualified, e.g."
                + " public.outbox). The connector adds an AFTER INSERT trigger to it"
                + " (emitter.install=true; it needs the TRIGGER right on the table) that copies each"
                + " new row into its own outbox, which it relays with the same guarantees as"
                + " produce_message. Rows there before the trigger are not relayed. Empty: none.",
            GROUP,
            ++order,
            Width.LONG,
            "Application outbox table")
        .define(
            EVENT_ID,
            Type.STRING,
            "id",
            new ColumnName(),
            Importance.LOW,
            "The column whose value each message carries in its id header (Debezium's"
                + " table.field.event.id).",
            GROUP,
            ++order,
            Width.MEDIUM,
            "Event id column")
        .define(
            EVENT_KEY,
            Type.STRING,
            "aggregateid",
            new ColumnName(),
            Importance.LOW,
            "The column whose text is the message key; messages of one key keep their order"
                + " (Debezium's table.field.event.key).",
            GROUP,
            ++order,
            Width.MEDIUM,
            "Event key column")
        .define(
            PAYLOAD,
            Type.STRING,
            "payload",
            new ColumnName(),
            Importance.LOW,
            "The column sent as the message value: its bytes if it is bytea, else its text (JSON"
                + " for a json or jsonb column) (Debezium's table.field.event.payload).",
            GROUP,
            ++order,
            Width.MEDIUM,
            "Payload column")
        .define(
            ROUTE_BY,
            Type.STRING,
            "aggregatetype",
            new ColumnName(),
            Importance.LOW,
            "The column whose value names the topic, in "
                + TOPIC
                + " (Debezium's route.by.field). A row whose value is NULL or makes no valid"
                + " topic name is kept in the outbox marked failed, and the insert goes on.",
            GROUP,
            ++order,
            Width.MEDIUM,
            "Route column")
        .define(
            TOPIC,
            Type.STRING,
            "outbox.event." + ROUTED_BY_VALUE,
            new TopicTemplate(),
            Importance.LOW,
            "The topic of a row: "
                + ROUTED_BY_VALUE
                + " stands for its route column's value (Debezium's route.topic.replacement).",
            GROUP,
            ++order,
            Width.LONG,
            "Topic")
        .define(
            ADDITIONAL,
            Type.LIST,
            "",
            new Placements(),
            Importance.LOW,
            "Further columns sent as headers, as column:header[:name] (name defaults to the"
                + " column), e.g. type:header:eventType (Debezium's"
                + " table.fields.additional.placement; header is the one placement supported).",
            GROUP,
            ++order,
            Width.LONG,
            "Header columns");
  }

  /** The capture the config asks for, if it names a table. */
  static Optional<OutboxTableCapture> from(AbstractConfig config) {
    String table = config.getString(TABLE).trim();
    if (table.isEmpty()) {
      return Optional.empty();
    }
    RelationName name;
    try {
      name = RelationName.parse(table);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(TABLE, table, e.getMessage());
    }
    String template = config.getString(TOPIC);
    int at = template.indexOf(ROUTED_BY_VALUE);
    String prefix = at < 0 ? template : template.substring(0, at);
    String suffix = at < 0 ? "" : template.substring(at + ROUTED_BY_VALUE.length());
    Map<String, String> headers = new LinkedHashMap<>();
    for (String placement : config.getList(ADDITIONAL)) {
      String[] parts = placement.trim().split(":");
      headers.put(parts[0], parts.length > 2 ? parts[2] : parts[0]);
    }
    return Optional.of(
        new OutboxTableCapture(
            name,
            config.getString(EVENT_ID),
            config.getString(EVENT_KEY),
            config.getString(PAYLOAD),
            config.getString(ROUTE_BY),
            prefix,
            suffix,
            Collections.unmodifiableMap(headers)));
  }

  /** The trigger's name: one per emitter schema, so two emitters may capture the same table. */
  String triggerName(String schema) {
    return "pipeline_connect_outbox_" + schema;
  }

  /**
   * Creates or replaces the trigger, after checking the table has the columns the settings name.
   * Runs in the caller's transaction.
   */
  void install(Connection db, String schema) throws SQLException {
    Map<String, String> types = columnTypes(db);
    String create = createTrigger(schema, types);
    try (Statement statement = db.createStatement()) {
      statement.execute(
          "DROP TRIGGER IF EXISTS "
              + Identifiers.quote(triggerName(schema))
              + " ON "
              + table.quoted());
      statement.execute(create);
    } catch (SQLException e) {
      if ("42501".equals(e.getSQLState())) {
        throw new ConnectException(
            TABLE
                + ": the connector's role may not add the trigger to "
                + table
                + " ("
                + e.getMessage()
                + "). Grant it: GRANT TRIGGER ON "
                + table.quoted()
                + " TO <the connector's role>; or, as the table's owner, run "
                + create
                + " and set emitter.install=false",
            e);
      }
      throw e;
    }
  }

  /** Fails, naming the setting, unless the table has its columns and the trigger is in place. */
  void check(Connection db, String schema) throws SQLException {
    Map<String, String> types = columnTypes(db);
    String trigger = triggerName(schema);
    try (PreparedStatement query =
        db.prepareStatement(
            "SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
                + " JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE t.tgrelid = ?::regclass AND t.tgname = ? AND p.proname = 'emit_outbox_event'"
                + " AND n.nspname = ? AND t.tgenabled <> 'D'")) {
      query.setString(1, table.quoted());
      query.setString(2, trigger);
      query.setString(3, schema);
      try (ResultSet rs = query.executeQuery()) {
        if (!rs.next()) {
          throw new ConnectException(
              TABLE
                  + ": "
                  + table
                  + " has no enabled trigger "
                  + trigger
                  + ", so its rows are not relayed. Set emitter.install=true, or as the table's"
                  + " owner run "
                  + createTrigger(schema, types));
        }
      }
    }
  }

  /**
   * The table's columns and their types, after checking it has each column the settings name.
   *
   * @throws ConnectException naming the setting of a missing table or column
   */
  Map<String, String> columnTypes(Connection db) throws SQLException {
    Map<String, String> types = new LinkedHashMap<>();
    try (PreparedStatement query =
        db.prepareStatement(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                + " WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped")) {
      query.setString(1, table.quoted());
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          types.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    if (types.isEmpty()) {
      throw new ConnectException(
          TABLE + ": no table " + table + " (name it schema-qualified, e.g. public.outbox)");
    }
    Map<String, String> needed = new LinkedHashMap<>();
    needed.put(EVENT_ID, eventId);
    needed.put(EVENT_KEY, key);
    needed.put(PAYLOAD, payload);
    needed.put(ROUTE_BY, routeBy);
    for (Map.Entry<String, String> column : needed.entrySet()) {
      if (!types.containsKey(column.getValue())) {
        throw new ConnectException(
            column.getKey() + ": " + table + " has no column " + column.getValue());
      }
    }
    for (String column : headers.keySet()) {
      if (!types.containsKey(column)) {
        throw new ConnectException(ADDITIONAL + ": " + table + " has no column " + column);
      }
    }
    return types;
  }

  /** The CREATE TRIGGER statement for the table whose column types these are. */
  private String createTrigger(String schema, Map<String, String> types) {
    return createTrigger(schema, "bytea".equals(types.get(payload)));
  }

  /** The CREATE TRIGGER statement; every name and literal in it quoted. */
  String createTrigger(String schema, boolean byteaPayload) {
    List<String> arguments = new ArrayList<>();
    arguments.add(eventId);
    arguments.add(key);
    arguments.add(payload);
    arguments.add(byteaPayload ? "t" : "f");
    arguments.add(routeBy);
    arguments.add(topicPrefix);
    arguments.add(topicSuffix);
    headers.forEach(
        (column, header) -> {
          arguments.add(column);
          arguments.add(header);
        });
    return "CREATE TRIGGER "
        + Identifiers.quote(triggerName(schema))
        + " AFTER INSERT ON "
        + table.quoted()
        + " FOR EACH ROW EXECUTE PROCEDURE "
        + Identifiers.quote(schema)
        + ".emit_outbox_event("
        + String.join(", ", arguments.stream().map(Identifiers::quoteLiteral).toList())
        + ")";
  }

  /** A column name: not empty. */
  private static final class ColumnName implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (value == null || value.toString().isBlank()) {
        throw new ConfigException(name, value, "Name a column of emitter.outbox.table");
      }
    }

    @Override
    public String toString() {
      return "a column name";
    }
  }

  /** A topic, with the route value at most once. */
  private static final class TopicTemplate implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      String template = value == null ? "" : value.toString();
      int first = template.indexOf(ROUTED_BY_VALUE);
      if (template.isBlank() || (first >= 0 && template.indexOf(ROUTED_BY_VALUE, first + 1) >= 0)) {
        throw new ConfigException(
            name,
            value,
            "Give a topic, with "
                + ROUTED_BY_VALUE
                + " at most once where the route column's value goes, e.g. outbox.event."
                + ROUTED_BY_VALUE);
      }
    }

    @Override
    public String toString() {
      return "a topic, with " + ROUTED_BY_VALUE + " at most once";
    }
  }

  /** column:header[:name] entries. */
  private static final class Placements implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (!(value instanceof List<?> entries)) {
        return;
      }
      for (Object entry : entries) {
        String[] parts = entry.toString().trim().split(":");
        if (parts.length < 2
            || parts.length > 3
            || parts[0].isBlank()
            || !parts[1].equals("header")
            || (parts.length == 3 && parts[2].isBlank())) {
          throw new ConfigException(
              name,
              entry,
              "Write column:header[:name], e.g. type:header:eventType; header is the one"
                  + " placement the emitter supports (the value is the payload column as it is)");
        }
      }
    }

    @Override
    public String toString() {
      return "column:header[:name], ...";
    }
  }
}
