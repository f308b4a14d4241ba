package io.pipelineconnect.sink;

import io.pipelineconnect.common.ConfigLog;
import io.pipelineconnect.common.KafkaAdminSettings;
import io.pipelineconnect.common.PostgresConnectionConfig;
import io.pipelineconnect.common.RelationName;
import io.pipelineconnect.common.RetryPolicy;
import io.pipelineconnect.common.TaskParallelism;
import io.pipelineconnect.common.Validators;
import io.pipelineconnect.sink.copy.CopyFormatConfig;
import io.pipelineconnect.sink.copy.CopyOptions;
import io.pipelineconnect.sink.copy.RowFormat;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;

/**
 * The sink's configuration: pipeline_kafka's {@code consume_begin} arguments as connector keys,
 * parsed once into typed values.
 */
public final class PipelineSinkConfig extends AbstractConfig {
  static final String TARGET_GROUP = "Target";
  static final String BATCH_GROUP = "Batching";
  static final String OFFSETS_GROUP = "Offsets";
  static final String RETRY_GROUP = "Retries";

  public static final String STREAM = "stream";
  static final String STREAM_DOC =
      "The PipelineDB stream or PostgreSQL table every record is copied into; may be"
          + " schema-qualified (analytics.page_views). Set exactly one of stream, stream.format"
          + " and stream.from.key.";

  public static final String STREAM_FORMAT = "stream.format";
  static final String STREAM_FORMAT_DOC =
      "A template naming the target per topic, for many topics: ${topic} is replaced by the"
          + " record's topic, e.g. 'raw_${topic}'.";

  public static final String STREAM_FROM_KEY = "stream.from.key";
  static final String STREAM_FROM_KEY_DOC =
      "pipeline_kafka's consume_begin_stream_partitioned: each record's key names its target"
          + " relation. A record whose key names no existing relation goes to the errant record"
          + " reporter (DLQ).";

  public static final String STREAM_FROM_KEY_ALLOWED = "stream.from.key.allowed";
  static final String STREAM_FROM_KEY_ALLOWED_DOC =
      "Required with stream.from.key=true: a regular expression that the schema-qualified name of"
          + " a key-named relation must match in full, as the catalog resolves it (lower case"
          + " unless created quoted), e.g. 'analytics\\..*' for every relation in schema"
          + " analytics, or 'public\\.(clicks|views)'. Any producer on the topics chooses the"
          + " keys, so this is what keeps a record out of tables it was not meant to write. A key"
          + " outside it is a bad record (DLQ). System catalogs, offsets tables and the emitter's"
          + " outbox are refused whatever it says.";

  public static final String COLUMNS = "columns";
  static final String COLUMNS_DOC =
      "The target columns, in order, that each text/csv line fills (COPY's column list). Default:"
          + " every column of the relation except PipelineDB's hidden arrival_timestamp and"
          + " generated columns.";

  public static final String BATCH_SIZE = "batchsize";
  static final String BATCH_SIZE_DOC =
      "A COPY and commit cycle runs once this many records are buffered. pipeline_kafka's default"
          + " was 1000; here it is 20000, because each cycle is a transaction with its offsets and"
          + " at 1000 those cost more than the rows (a third of the speed on a stock worker)."
          + " Into a PipelineDB stream named by stream, unset, it stays 1000: a stream keeps the"
          + " rows of a COPY whose offsets a fault lost, so one batch is what a fault can make it"
          + " count twice.";
  static final int BATCH_SIZE_DEFAULT = 20_000;

  /** pipeline_kafka's default, kept for PipelineDB streams: see {@link #batchSize(boolean)}. */
  static final int STREAM_BATCH_SIZE_DEFAULT = 1000;

  public static final String MAX_BYTES = "maxbytes";
  static final String MAX_BYTES_DOC =
      "A COPY and commit cycle runs once this many bytes of rows are buffered.";
  static final int MAX_BYTES_DEFAULT = 32_000_000;

  public static final String LINGER_MS = "linger.ms";
  static final String LINGER_MS_DOC =
      "Longest time a buffered record waits for its batch to fill before it is written anyway."
          + " The buffer is also written whenever the topics go quiet: a poll of 20 ms that"
          + " brings no records writes it, so a burst's tail never waits for this bound or for"
          + " the worker's offset commit.";
  static final long LINGER_MS_DEFAULT = 1000;

  public static final String START_OFFSET = "start_offset";
  static final String START_OFFSET_DOC =
      "Where a partition with no saved offset starts: unset or -1 = the end of the partition,"
          + " -2 = its beginning. A saved offset always wins. Partitions added to a topic later"
          + " start at their beginning. To start over: stop the connector, reset its offsets"
          + " (DELETE /connectors/<name>/offsets), resume.";

  public static final String KAFKA_BOOTSTRAP_SERVERS = KafkaAdminSettings.BOOTSTRAP_SERVERS;

  public static final String OFFSETS_TABLE = "offsets.table";
  static final String OFFSETS_TABLE_DOC =
      "The table holding the offsets this connector has written, updated in the same transaction"
          + " as the rows; created if missing.";
  static final String OFFSETS_TABLE_DEFAULT = "pipeline_connect.sink_offsets";

  /** Task-only: the task's index, set by the connector; names its metrics on older workers. */
  static final String TASK_INDEX = "sink.task.index";

  /**
   * For CONFIG.md: what Connect's own options mean for this connector. Not in the ConfigDef: the
   * worker owns them.
   */
  public static final String FRAMEWORK_OPTIONS_DOC =
      """
      ## Kafka Connect's own options that matter here

      | key | what to set |
      |---|---|
      | `topics` or `topics.regex` | The topics to copy (one of the two is required). |
      | `tasks.max` | How many tasks share the topics' partitions; more tasks than partitions sit idle. `parallelism`, pipeline_kafka's name, may be given instead if equal. |
      | `value.converter` (and `key.converter`) | Must fit `format`: `text`/`csv` take the raw bytes (`ByteArrayConverter` or `StringConverter`); `json` takes the bytes too (the fast path, JsonConverter's envelope read without a Struct) or Structs/Maps from any converter; `binary` needs typed fields: Structs (`JsonConverter` with `value.converter.schemas.enable=true`, Avro, Protobuf), or JsonConverter's envelopes as bytes (`ByteArrayConverter`, the fast path) or text. `config/validate` refuses a pair that cannot work, on `format`. |
      | `errors.tolerance`, `errors.deadletterqueue.topic.name`, `errors.deadletterqueue.context.headers.enable`, `errors.deadletterqueue.topic.replication.factor` | With `errors.tolerance=all` and a DLQ topic, a record the database refuses goes to the DLQ with its topic, partition, offset and the database's reason, and the rest of its batch is committed; with the default `none` the task fails on it and commits nothing from it on. The DLQ's replication factor defaults to 3: set 1 on a one-broker cluster. |
      | `consumer.override.max.poll.records` | Records per poll (the consumer's default is 500); 10000 cut the worker's CPU per record by a quarter to a third in the benchmark. Setting it needs the worker's `connector.client.config.override.policy` to allow it, as Kafka's default `All` does. |

      A partition with no saved offset starts at its **end**, as pipeline_kafka did: a new connector on a topic that already holds messages copies only new ones. Set `start_offset=-2` to copy the topic from its beginning.
      """;

  /** For CONFIG.md: the target options are optional one by one, one of them is required. */
  public static final Map<String, String> DEFAULT_NOTES =
      Map.of(
          STREAM, "unset (one of three required)",
          STREAM_FORMAT, "unset (one of three required)",
          STREAM_FROM_KEY, "`false` (one of three required)");

  public static final ConfigDef CONFIG_DEF = configDef();

  /** Where a partition with no saved offset starts. */
  public enum StartOffset {
    END,
    BEGINNING
  }

  private final PostgresConnectionConfig connection;
  private final CopyOptions copyOptions;
  private final Optional<RelationName> stream;
  private final Optional<String> streamFormat;
  private final boolean streamFromKey;
  private final Optional<Pattern> streamFromKeyAllowed;
  private final List<String> columns;
  private final RelationName offsetsTable;
  private final StartOffset startOffset;
  private final WriteMode writeMode;
  private final MetadataColumns metadataColumns;

  public PipelineSinkConfig(Map<String, String> props) {
    super(CONFIG_DEF, props, false);
    ConfigLog.logValues(this);
    connection = PostgresConnectionConfig.from(values(), originals());
    copyOptions = CopyFormatConfig.from(values());
    stream = Optional.ofNullable(getString(STREAM)).map(s -> parseRelation(STREAM, s));
    streamFormat = Optional.ofNullable(getString(STREAM_FORMAT));
    streamFromKey = getBoolean(STREAM_FROM_KEY);
    int targets =
        (stream.isPresent() ? 1 : 0) + (streamFormat.isPresent() ? 1 : 0) + (streamFromKey ? 1 : 0);
    if (targets != 1) {
      throw new ConfigException(
          STREAM,
          getString(STREAM),
          "Set exactly one of stream (one target), stream.format (a target per topic) or"
              + " stream.from.key=true (the key names the target)");
    }
    streamFromKeyAllowed =
        Optional.ofNullable(getString(STREAM_FROM_KEY_ALLOWED)).map(Pattern::compile);
    if (streamFromKey && streamFromKeyAllowed.isEmpty()) {
      throw new ConfigException(
          STREAM_FROM_KEY_ALLOWED,
          null,
          "stream.from.key=true lets every producer on the topics choose the target relation:"
              + " say which ones it may name, e.g. stream.from.key.allowed=analytics\\..*");
    }
    streamFormat.ifPresent(
        template -> {
          if (!template.contains("${topic}")) {
            throw new ConfigException(
                STREAM_FORMAT, template, "The template must contain ${topic}");
          }
        });
    columns = getList(COLUMNS);
    writeMode = WriteMode.from(values());
    checkWriteMode();
    metadataColumns =
        MetadataColumns.parse(
            getList(MetadataColumns.METADATA_COLUMNS),
            writeMode.keySource() == WriteMode.KeySource.KAFKA ? writeMode.keyFields() : List.of());
    checkManagedTables();
    if (!getList(MetadataColumns.METADATA_COLUMNS).isEmpty()
        && (copyOptions.format() == RowFormat.TEXT || copyOptions.format() == RowFormat.CSV)) {
      throw new ConfigException(
          MetadataColumns.METADATA_COLUMNS,
          getList(MetadataColumns.METADATA_COLUMNS),
          "format="
              + copyOptions.format().configValue()
              + " copies each line as it is, so no column can be added to it: use format=json or"
              + " binary, or leave metadata.columns empty");
    }
    offsetsTable = parseRelation(OFFSETS_TABLE, getString(OFFSETS_TABLE));
    startOffset = parseStartOffset(getString(START_OFFSET));
    if (startOffset == StartOffset.END && getString(KAFKA_BOOTSTRAP_SERVERS) == null) {
      throw new ConfigException(
          KAFKA_BOOTSTRAP_SERVERS,
          null,
          "Needed to find the end of partitions that have no saved offset (start_offset unset"
              + " or -1): set it to the Kafka cluster's bootstrap servers, or set"
              + " start_offset=-2 to start at the beginning");
    }
  }

  /** The write-mode combinations that cannot work, each named on the key to change. */
  private void checkManagedTables() {
    for (String key : List.of(ManagedTables.AUTO_CREATE, ManagedTables.AUTO_EVOLVE)) {
      if (!getBoolean(key)) {
        continue;
      }
      if (streamFromKey) {
        throw new ConfigException(
            key,
            true,
            "With stream.from.key=true a record's key names its target, and a record must not"
                + " decide which tables exist or what columns they have: create the tables, or"
                + " name the target with stream or stream.format");
      }
      if (copyOptions.format() == RowFormat.TEXT || copyOptions.format() == RowFormat.CSV) {
        throw new ConfigException(
            key,
            true,
            "format="
                + copyOptions.format().configValue()
                + " lines carry no schema to make columns from: use format=json or binary with"
                + " a converter that gives Structs (JsonConverter with schemas.enable=true, Avro,"
                + " Protobuf), or format=json with the ByteArrayConverter for JsonConverter's"
                + " schema-and-payload messages");
      }
    }
    if (getBoolean(ManagedTables.AUTO_EVOLVE) && !getList(COLUMNS).isEmpty()) {
      throw new ConfigException(
          ManagedTables.AUTO_EVOLVE,
          true,
          "columns fixes the columns written, so an added one would stay empty: leave columns"
              + " empty, or auto.evolve=false");
    }
  }

  boolean autoCreate() {
    return getBoolean(ManagedTables.AUTO_CREATE);
  }

  boolean autoEvolve() {
    return getBoolean(ManagedTables.AUTO_EVOLVE);
  }

  private void checkWriteMode() {
    WriteMode mode = writeMode;
    String insert = mode.insert().configValue();
    if (!mode.appends()
        && (copyOptions.format() == RowFormat.TEXT || copyOptions.format() == RowFormat.CSV)) {
      throw new ConfigException(
          WriteMode.INSERT_MODE,
          insert,
          "insert.mode="
              + insert
              + " finds each row's key by field name, but format="
              + copyOptions.format().configValue()
              + " copies lines unparsed. Use format=json (JSON objects, JsonConverter envelopes,"
              + " Structs) or format=binary (Structs, JsonConverter envelopes), or"
              + " insert.mode=append");
    }
    if (!mode.appends() && mode.keySource() == WriteMode.KeySource.NONE) {
      throw new ConfigException(
          WriteMode.PK_MODE,
          "none",
          "insert.mode="
              + insert
              + " needs a key: set pk.mode=record_key (the record's key) or record_value (fields"
              + " of the value)");
    }
    if (mode.appends() && mode.keySource() != WriteMode.KeySource.NONE) {
      throw new ConfigException(
          WriteMode.PK_MODE,
          mode.keySource().configValue(),
          "A key only applies to insert.mode=upsert or update; appending writes every record as"
              + " a new row. Set insert.mode=upsert, or pk.mode=none");
    }
    if (mode.deletes() && mode.appends()) {
      throw new ConfigException(
          WriteMode.DELETE_ENABLED,
          true,
          "Appending never deletes: set insert.mode=upsert (or update), or delete.enabled=false");
    }
    if (mode.deletes() && mode.keySource() != WriteMode.KeySource.RECORD_KEY) {
      throw new ConfigException(
          WriteMode.DELETE_ENABLED,
          true,
          "A tombstone has no value, only a key: deletes need pk.mode=record_key");
    }
    if (streamFromKey && mode.keySource() == WriteMode.KeySource.RECORD_KEY) {
      throw new ConfigException(
          WriteMode.PK_MODE,
          "record_key",
          "With stream.from.key=true the record's key names the target, so it cannot also be the"
              + " row's key: use pk.mode=record_value, or a target from stream or stream.format");
    }
  }

  private static ConfigDef configDef() {
    ConfigDef def = new ConfigDef();
    PostgresConnectionConfig.define(def);
    int order = 0;
    def.define(
            STREAM,
            Type.STRING,
            null,
            Validators.optionalRelationName(),
            Importance.HIGH,
            STREAM_DOC,
            TARGET_GROUP,
            ++order,
            Width.LONG,
            "Target stream or table")
        .define(
            STREAM_FORMAT,
            Type.STRING,
            null,
            ConfigDef.LambdaValidator.with(
                (name, value) -> {
                  if (value != null && !value.toString().contains("${topic}")) {
                    throw new ConfigException(name, value, "The template must contain ${topic}");
                  }
                },
                () -> "unset, or a template containing ${topic}"),
            Importance.MEDIUM,
            STREAM_FORMAT_DOC,
            TARGET_GROUP,
            ++order,
            Width.LONG,
            "Target per topic")
        .define(
            STREAM_FROM_KEY,
            Type.BOOLEAN,
            false,
            Importance.MEDIUM,
            STREAM_FROM_KEY_DOC,
            TARGET_GROUP,
            ++order,
            Width.SHORT,
            "Target from record key")
        .define(
            STREAM_FROM_KEY_ALLOWED,
            Type.STRING,
            null,
            Validators.optionalPattern(),
            Importance.MEDIUM,
            STREAM_FROM_KEY_ALLOWED_DOC,
            TARGET_GROUP,
            ++order,
            Width.LONG,
            "Relations keys may name")
        .define(
            COLUMNS,
            Type.LIST,
            List.of(),
            Importance.LOW,
            COLUMNS_DOC,
            TARGET_GROUP,
            ++order,
            Width.LONG,
            "Columns");
    CopyFormatConfig.define(def);
    WriteMode.define(def);
    MetadataColumns.define(def, WriteMode.GROUP, 5);
    ManagedTables.define(def, WriteMode.GROUP, 6);
    order = 0;
    def.define(
            BATCH_SIZE,
            Type.INT,
            BATCH_SIZE_DEFAULT,
            ConfigDef.Range.between(1, 1_000_000),
            Importance.MEDIUM,
            BATCH_SIZE_DOC,
            BATCH_GROUP,
            ++order,
            Width.SHORT,
            "Batch size (records)")
        .define(
            MAX_BYTES,
            Type.INT,
            MAX_BYTES_DEFAULT,
            ConfigDef.Range.between(1024, 1_000_000_000),
            Importance.MEDIUM,
            MAX_BYTES_DOC,
            BATCH_GROUP,
            ++order,
            Width.SHORT,
            "Batch size (bytes)")
        .define(
            LINGER_MS,
            Type.LONG,
            LINGER_MS_DEFAULT,
            ConfigDef.Range.between(0, 600_000),
            Importance.LOW,
            LINGER_MS_DOC,
            BATCH_GROUP,
            ++order,
            Width.SHORT,
            "Linger (ms)");
    TaskParallelism.define(def, BATCH_GROUP, ++order);
    order = 0;
    def.define(
        START_OFFSET,
        Type.STRING,
        null,
        new StartOffsetValidator(),
        Importance.MEDIUM,
        START_OFFSET_DOC,
        OFFSETS_GROUP,
        ++order,
        Width.SHORT,
        "Start offset");
    KafkaAdminSettings.define(
        def,
        "Kafka bootstrap servers the task asks for the end offset of a partition that has no saved"
            + " offset (start_offset unset or -1); a sink task cannot see its worker's.",
        OFFSETS_GROUP,
        ++order);
    def.define(
        OFFSETS_TABLE,
        Type.STRING,
        OFFSETS_TABLE_DEFAULT,
        Validators.optionalRelationName(),
        Importance.LOW,
        OFFSETS_TABLE_DOC,
        OFFSETS_GROUP,
        ++order,
        Width.MEDIUM,
        "Offsets table");
    RetryPolicy.define(
        def,
        RETRY_GROUP,
        "a batch is retried after a transient database error (connection lost, serialization"
            + " failure)");
    def.defineInternal(TASK_INDEX, Type.INT, 0, Importance.LOW);
    return def;
  }

  private static RelationName parseRelation(String key, String value) {
    try {
      return RelationName.parse(value);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, value, e.getMessage());
    }
  }

  static StartOffset parseStartOffset(String value) {
    if (value == null || value.isBlank() || value.trim().equals("-1")) {
      return StartOffset.END;
    }
    if (value.trim().equals("-2")) {
      return StartOffset.BEGINNING;
    }
    throw new ConfigException(
        START_OFFSET,
        value,
        "Use -1 (or leave unset) for the end of each partition, -2 for its beginning");
  }

  public PostgresConnectionConfig connection() {
    return connection;
  }

  public CopyOptions copyOptions() {
    return copyOptions;
  }

  /** The fixed target, when {@code stream} is set. */
  public Optional<RelationName> stream() {
    return stream;
  }

  /** The per-topic template, when {@code stream.format} is set. */
  public Optional<String> streamFormat() {
    return streamFormat;
  }

  /** The pattern key-named relations must match, when {@code stream.from.key} is set. */
  public Optional<Pattern> streamFromKeyAllowed() {
    return streamFromKeyAllowed;
  }

  /** The configured COPY column list; empty means "all insertable columns". */
  public List<String> columns() {
    return columns;
  }

  int taskIndex() {
    return getInt(TASK_INDEX);
  }

  /**
   * Records per COPY and commit cycle: as set, else {@value #BATCH_SIZE_DEFAULT}, or {@value
   * #STREAM_BATCH_SIZE_DEFAULT} when the fixed target is a PipelineDB stream. A stream is at least
   * once (it ignores transactions), so a fault between its COPY and the offsets' commit counts a
   * batch again; a table is exactly once, and there a batch's size only trades the cost of each
   * transaction against memory.
   */
  public int batchSize(boolean intoPipelineDbStream) {
    if (originals().containsKey(BATCH_SIZE) || !intoPipelineDbStream) {
      return getInt(BATCH_SIZE);
    }
    return STREAM_BATCH_SIZE_DEFAULT;
  }

  public int maxBytes() {
    return getInt(MAX_BYTES);
  }

  public Duration linger() {
    return Duration.ofMillis(getLong(LINGER_MS));
  }

  public StartOffset startOffset() {
    return startOffset;
  }

  /** Admin-client settings for resolving start offsets, or empty when not configured. */
  public Optional<Map<String, Object>> kafkaAdminSettings() {
    return KafkaAdminSettings.from(this);
  }

  /** Append, or upsert/update by key, with or without deletes. */
  MetadataColumns metadataColumns() {
    return metadataColumns;
  }

  WriteMode writeMode() {
    return writeMode;
  }

  public RelationName offsetsTable() {
    return offsetsTable;
  }

  public RetryPolicy retryPolicy() {
    return RetryPolicy.from(this);
  }

  /** Accepts unset, -1 and -2, with a message that says what each means. */
  static final class StartOffsetValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      parseStartOffset(value == null ? null : value.toString());
    }

    @Override
    public String toString() {
      return "unset or -1 (end), -2 (beginning)";
    }
  }
}
