package io.pipelineconnect.sink;

import io.pipelineconnect.common.RelationName;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Decides which relation a record goes to: the one {@code stream}, the {@code stream.format}
 * template filled with the topic, or the relation the record's key names ({@code stream.from.key}).
 * Relations are looked up in the catalog once and remembered; {@link TargetPolicy} decides which of
 * them records may write.
 */
final class TargetResolver {
  private final Function<SinkRecord, RelationName> naming;
  private final List<String> columns;
  private final TargetPolicy policy;
  private final boolean keyNamed;
  private final Map<RelationName, TargetTable> known = new HashMap<>();

  /** Creates missing targets (auto.create), or null. */
  private ManagedTables creator;

  /** Checks that the writer can write a newly found target (as a fixed target is at start). */
  private Consumer<TargetTable> check = target -> {};

  /** In {@code stream} mode every record has the same target: skip the lookup. */
  private final RelationName fixed;

  private TargetTable fixedTable;

  private TargetResolver(
      Function<SinkRecord, RelationName> naming,
      PipelineSinkConfig config,
      RelationName fixed,
      boolean keyNamed) {
    this.naming = naming;
    this.columns = config.columns();
    this.policy = TargetPolicy.from(config);
    this.fixed = fixed;
    this.keyNamed = keyNamed;
  }

  static TargetResolver from(PipelineSinkConfig config) {
    if (config.stream().isPresent()) {
      RelationName fixed = config.stream().get();
      return new TargetResolver(record -> fixed, config, fixed, false);
    }
    if (config.streamFormat().isPresent()) {
      RelationName template = RelationName.parse(config.streamFormat().get());
      return new TargetResolver(
          record -> fillTemplate(template, record.topic()), config, null, false);
    }
    return new TargetResolver(TargetResolver::fromKey, config, null, true);
  }

  /**
   * The template with ${topic} replaced by the topic, exactly (no case folding): the template is
   * parsed first, so dots in a topic name never turn into a schema separator.
   */
  static RelationName fillTemplate(RelationName template, String topic) {
    return new RelationName(
        template.schema().map(s -> s.replace("${topic}", topic)),
        template.name().replace("${topic}", topic));
  }

  private static RelationName fromKey(SinkRecord record) {
    Object key = record.key();
    String text;
    if (key instanceof byte[] bytes) {
      text = new String(bytes, StandardCharsets.UTF_8);
    } else if (key instanceof String s) {
      text = s;
    } else {
      throw new IllegalArgumentException(
          key == null
              ? "stream.from.key is set but the record has no key"
              : "stream.from.key needs a string or bytes key, got "
                  + key.getClass().getSimpleName());
    }
    return RelationName.parse(text);
  }

  /**
   * The record's target.
   *
   * @throws BadRecordException if the record names no relation that exists
   * @throws SQLException if the catalog cannot be read
   */
  TargetTable resolve(SqlSupplier<Connection> connection, SinkRecord record)
      throws BadRecordException, SQLException {
    if (fixedTable != null) {
      return fixedTable;
    }
    RelationName name;
    try {
      name = naming.apply(record);
    } catch (IllegalArgumentException e) {
      throw new BadRecordException("No target relation: " + e.getMessage());
    }
    TargetTable table = known.get(name);
    if (table != null) {
      return table;
    }
    Optional<TargetTable> found;
    try {
      found = Catalog.lookUp(connection.get(), name, columns, policy, keyNamed);
    } catch (SQLException e) {
      if (keyNamed) {
        // A key that is no valid name for the catalog (too long, say) is the record's fault.
        if (e.getSQLState() != null && e.getSQLState().startsWith("42")) {
          throw new BadRecordException("Target " + name + ": " + e.getMessage(), e);
        }
      }
      throw e;
    }
    if (found.isEmpty() && creator != null) {
      creator.create(name, record);
      found = Catalog.lookUp(connection.get(), name, columns, policy, keyNamed);
    }
    if (found.isEmpty()) {
      throw new BadRecordException("Target relation " + name + " does not exist");
    }
    try {
      check.accept(found.get());
    } catch (ConnectException e) {
      if (keyNamed) {
        throw new BadRecordException("Target " + name + ": " + e.getMessage(), e);
      }
      throw e;
    }
    known.put(name, found.get());
    if (name.equals(fixed)) {
      fixedTable = found.get();
    }
    return found.get();
  }

  /**
   * Each target found from now on is checked first: a failure fails the task, or, for a target a
   * record's key named, makes that record bad.
   */
  void checkEachWith(Consumer<TargetTable> targetCheck) {
    this.check = targetCheck;
  }

  /** Missing targets are created from their first record's schema from now on. */
  void createMissingWith(ManagedTables tables) {
    this.creator = tables;
  }

  /** Supplies a connection only when one is needed (a catalog lookup). */
  @FunctionalInterface
  interface SqlSupplier<T> {
    T get() throws SQLException;
  }

  /** Forgets what was looked up (after the database was replaced, for instance). */
  void forget() {
    known.clear();
    fixedTable = null;
  }
}
