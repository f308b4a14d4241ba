package io.pipelineconnect.emitter;

import io.pipelineconnect.common.ConfigLog;
import io.pipelineconnect.common.KafkaAdminSettings;
import io.pipelineconnect.common.PostgresConnectionConfig;
import io.pipelineconnect.common.RetryPolicy;
import io.pipelineconnect.common.Validators;
import java.time.Duration;
import java.util.ArrayList;
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

/** The emitter's configuration, parsed once into typed values. */
public final class EmitterConfig extends AbstractConfig {
  static final String OUTBOX_GROUP = "Outbox";
  static final String RELAY_GROUP = "Relay";
  static final String RETRY_GROUP = "Retries";

  public static final String SCHEMA = "emitter.schema";
  static final String SCHEMA_DOC =
      "Schema of the outbox and of produce_message/emit_tuple. pipeline_kafka (the default) keeps"
          + " existing calls and triggers working; it must not be owned by the original"
          + " pipeline_kafka extension.";
  static final String SCHEMA_DEFAULT = "pipeline_kafka";

  public static final String INSTALL = "emitter.install";
  static final String INSTALL_DOC =
      "Install (or update) the outbox and the SQL functions when the connector starts. Off: a DBA"
          + " runs trigger-emitter/sql/pipeline_kafka_outbox.sql instead.";

  public static final String NOTIFY = "emitter.notify";
  static final String NOTIFY_DOC =
      "Also wake a quiet relay with a NOTIFY from every transaction that queues a message. Off by"
          + " default: NOTIFY takes a cluster-wide lock at commit, which serializes the committing"
          + " transactions of the whole database. Without it a quiet relay looks every"
          + " emitter.poll.interval.ms with a read-only probe, and a busy one every few"
          + " milliseconds; turn it on only where a quiet outbox must be relayed within"
          + " milliseconds and the write rate is low.";

  public static final String KEY_LOCK = "emitter.key.lock";
  static final String KEY_LOCK_DOC =
      "Take a transaction-scoped advisory lock per (topic, key) before a message is queued, so"
          + " messages that share a key reach Kafka in commit order. Off, order is guaranteed only"
          + " for changes of the same row (emit_tuple), which the row lock already serializes."
          + " Messages without a key take no lock. A transaction that produces to several keys"
          + " takes their locks in call order, so two such transactions can deadlock"
          + " (PostgreSQL aborts one): produce to keys in a fixed order.";

  public static final String BUCKETS = "emitter.buckets";
  static final String BUCKETS_DOC =
      "Number of outbox buckets (hash of topic and key): the source partitions, the unit of order"
          + " and of work per task. Fixed for the life of an outbox: changing it re-buckets new"
          + " messages only.";
  static final int BUCKETS_DEFAULT = 16;

  public static final String POLL_INTERVAL_MS = "emitter.poll.interval.ms";
  static final String POLL_INTERVAL_MS_DOC =
      "How often a quiet relay looks at the outbox (a read-only index probe; it claims only what"
          + " the probe finds): the latency of a message written after a quiet spell. While messages"
          + " keep coming the relay looks again every few milliseconds, whatever this says. With"
          + " emitter.notify, the longest wait between looks when no NOTIFY arrives.";
  static final long POLL_INTERVAL_MS_DEFAULT = 100;

  public static final String BATCH_SIZE = "emitter.batch.size";
  static final String BATCH_SIZE_DOC = "Most messages claimed from the outbox in one poll.";
  static final int BATCH_SIZE_DEFAULT = 2000;

  public static final String MAX_MESSAGE_BYTES = "emitter.max.message.bytes";
  static final String MAX_MESSAGE_BYTES_DOC =
      "Messages (key plus value) larger than this are not sent: they stay in the outbox marked"
          + " failed, with the reason. Keep it at or below the producer's max.request.size.";
  static final int MAX_MESSAGE_BYTES_DEFAULT = 1_000_000;

  public static final String RETENTION_MS = "emitter.retention.ms";
  static final String RETENTION_MS_DOC =
      "How long relayed messages stay in the outbox after Connect has committed their offsets"
          + " (marked with relayed_at, never relayed again), e.g. for audit or a replay by hand."
          + " 0 deletes them as soon as their offsets are committed.";
  static final long RETENTION_MS_DEFAULT = 0;

  public static final String LAG_WARN_MS = "emitter.lag.warn.ms";
  static final String LAG_WARN_MS_DOC =
      "A task logs a warning, at most once a minute, while the oldest committed message of its"
          + " buckets that it has not relayed yet is older than this, saying whether it owns those"
          + " buckets and, if another session holds their locks (a zombie task, an earlier"
          + " generation), which one (pid, application, client, since when). The age is the task"
          + " metric oldest-unrelayed-age-ms whatever this says. 0: no warning.";
  static final long LAG_WARN_MS_DEFAULT = 30_000;

  public static final String KAFKA_BOOTSTRAP_SERVERS = KafkaAdminSettings.BOOTSTRAP_SERVERS;

  public static final String TOPICS_ALLOWED = "emitter.topics.allowed";
  static final String TOPICS_ALLOWED_DOC =
      "A regular expression every message's topic must match in full to be sent. Whoever may call"
          + " produce_message or create an emit_tuple trigger chooses the topic; a message for a"
          + " topic outside this pattern stays in the outbox marked failed, with the reason. The"
          + " default refuses names starting with '_' (Kafka's and Confluent's internal topics)"
          + " and names ending in connect-configs, connect-offsets or connect-status (Connect's"
          + " internal topics under their usual names): if your workers' internal topics have"
          + " other names, keep them out of this pattern too.";
  static final String TOPICS_ALLOWED_DEFAULT =
      "(?!_)(?!(.*[-_.])?connect[-_.]?(configs|offsets|status)$)[a-zA-Z0-9._-]+";

  public static final String MISSING_TOPIC_TIMEOUT_MS = "emitter.missing.topic.timeout.ms";
  static final String MISSING_TOPIC_TIMEOUT_MS_DOC =
      "With kafka.bootstrap.servers: how long a message waits for its topic to exist (created by"
          + " hand, or by the broker or worker on first send) before it is marked failed in the"
          + " outbox, with the reason, and the messages after it flow on. Connect's producer would"
          + " retry such a send forever, the task RUNNING and its bucket stalled. Without"
          + " kafka.bootstrap.servers this cannot be checked.";
  static final long MISSING_TOPIC_TIMEOUT_MS_DEFAULT = 30_000;

  /** Task-only: the buckets a task relays. */
  static final String TASK_BUCKETS = "emitter.task.buckets";

  /**
   * For CONFIG.md: what Connect's own options mean for this connector. Not in the ConfigDef: the
   * worker owns them.
   */
  public static final String FRAMEWORK_OPTIONS_DOC =
      """
      ## Kafka Connect's own options that matter here

      | key | what to set |
      |---|---|
      | `tasks.max` | How many tasks share the outbox's buckets (`emitter.buckets`); more tasks than buckets sit idle. |
      | `key.converter`, `value.converter` | `ByteArrayConverter`: a message and its key are the bytes `produce_message` was given (or `emit_tuple`'s row as JSON text), passed through unchanged. |
      | `exactly.once.support` | `required`, on distributed workers with `exactly.once.source.support=enabled` (KIP-618): each message lands in Kafka exactly once. Otherwise at least once. |
      """;

  public static final ConfigDef CONFIG_DEF = configDef();

  private final PostgresConnectionConfig connection;
  private final Optional<OutboxTableCapture> outboxTable;

  public EmitterConfig(Map<String, String> props) {
    super(CONFIG_DEF, props, false);
    ConfigLog.logValues(this);
    connection = PostgresConnectionConfig.from(values(), originals());
    outboxTable = OutboxTableCapture.from(this);
    if ("all".equalsIgnoreCase(props.getOrDefault("errors.tolerance", "none").trim())) {
      throw new ConfigException(
          "errors.tolerance",
          "all",
          "With errors.tolerance=all Connect acknowledges a failed send and commits its offset,"
              + " which would delete an undelivered message from the outbox. Keep the default"
              + " (none): a message that cannot be produced fails the task, visibly.");
    }
  }

  private static ConfigDef configDef() {
    ConfigDef def = new ConfigDef();
    PostgresConnectionConfig.define(def);
    int order = 0;
    def.define(
            SCHEMA,
            Type.STRING,
            SCHEMA_DEFAULT,
            new SimpleIdentifier(),
            Importance.MEDIUM,
            SCHEMA_DOC,
            OUTBOX_GROUP,
            ++order,
            Width.MEDIUM,
            "Schema")
        .define(
            INSTALL,
            Type.BOOLEAN,
            true,
            Importance.MEDIUM,
            INSTALL_DOC,
            OUTBOX_GROUP,
            ++order,
            Width.SHORT,
            "Install SQL")
        .define(
            NOTIFY,
            Type.BOOLEAN,
            false,
            Importance.MEDIUM,
            NOTIFY_DOC,
            OUTBOX_GROUP,
            ++order,
            Width.SHORT,
            "NOTIFY on write")
        .define(
            KEY_LOCK,
            Type.BOOLEAN,
            false,
            Importance.MEDIUM,
            KEY_LOCK_DOC,
            OUTBOX_GROUP,
            ++order,
            Width.SHORT,
            "Per-key order lock")
        .define(
            BUCKETS,
            Type.INT,
            BUCKETS_DEFAULT,
            ConfigDef.Range.between(1, 1024),
            Importance.LOW,
            BUCKETS_DOC,
            OUTBOX_GROUP,
            ++order,
            Width.SHORT,
            "Buckets");
    order = 0;
    def.define(
            POLL_INTERVAL_MS,
            Type.LONG,
            POLL_INTERVAL_MS_DEFAULT,
            ConfigDef.Range.between(10, 600_000),
            Importance.LOW,
            POLL_INTERVAL_MS_DOC,
            RELAY_GROUP,
            ++order,
            Width.SHORT,
            "Poll interval (ms)")
        .define(
            BATCH_SIZE,
            Type.INT,
            BATCH_SIZE_DEFAULT,
            ConfigDef.Range.between(1, 100_000),
            Importance.LOW,
            BATCH_SIZE_DOC,
            RELAY_GROUP,
            ++order,
            Width.SHORT,
            "Batch size")
        .define(
            MAX_MESSAGE_BYTES,
            Type.INT,
            MAX_MESSAGE_BYTES_DEFAULT,
            ConfigDef.Range.atLeast(1),
            Importance.LOW,
            MAX_MESSAGE_BYTES_DOC,
            RELAY_GROUP,
            ++order,
            Width.SHORT,
            "Max message bytes")
        .define(
            RETENTION_MS,
            Type.LONG,
            RETENTION_MS_DEFAULT,
            ConfigDef.Range.atLeast(0),
            Importance.LOW,
            RETENTION_MS_DOC,
            RELAY_GROUP,
            ++order,
            Width.SHORT,
            "Retention of relayed messages (ms)")
        .define(
            LAG_WARN_MS,
            Type.LONG,
            LAG_WARN_MS_DEFAULT,
            ConfigDef.Range.atLeast(0),
            Importance.LOW,
            LAG_WARN_MS_DOC,
            RELAY_GROUP,
            ++order,
            Width.SHORT,
            "Lag warning (ms)");
    KafkaAdminSettings.define(
        def,
        "Kafka bootstrap servers the task asks how many partitions a topic has (a task cannot see"
            + " its worker's), so a message naming a partition its topic lacks is marked failed in"
            + " the outbox, with the reason, instead of failing the task on every restart. Unset:"
            + " such a message fails the task, naming it.",
        RELAY_GROUP,
        ++order);
    def.define(
            MISSING_TOPIC_TIMEOUT_MS,
            Type.LONG,
            MISSING_TOPIC_TIMEOUT_MS_DEFAULT,
            ConfigDef.Range.atLeast(0),
            Importance.LOW,
            MISSING_TOPIC_TIMEOUT_MS_DOC,
            RELAY_GROUP,
            ++order,
            Width.SHORT,
            "Missing topic timeout (ms)")
        .define(
            TOPICS_ALLOWED,
            Type.STRING,
            TOPICS_ALLOWED_DEFAULT,
            Validators.optionalPattern(),
            Importance.MEDIUM,
            TOPICS_ALLOWED_DOC,
            RELAY_GROUP,
            ++order,
            Width.LONG,
            "Topics messages may go to")
        .defineInternal(TASK_BUCKETS, Type.LIST, "", Importance.LOW);
    OutboxTableCapture.define(def);
    RetryPolicy.define(
        def,
        RETRY_GROUP,
        "the relay retries after database errors in a row (connection lost, server restarting)");
    return def;
  }

  public RetryPolicy retryPolicy() {
    return RetryPolicy.from(this);
  }

  public Duration missingTopicTimeout() {
    return Duration.ofMillis(getLong(MISSING_TOPIC_TIMEOUT_MS));
  }

  /** The pattern a message's topic must match to be sent. */
  public Pattern topicsAllowed() {
    return Pattern.compile(getString(TOPICS_ALLOWED));
  }

  public PostgresConnectionConfig connection() {
    return connection;
  }

  /** The application outbox table captured into the outbox (emitter.outbox.table), if any. */
  Optional<OutboxTableCapture> outboxTable() {
    return outboxTable;
  }

  public String schema() {
    return getString(SCHEMA);
  }

  public boolean install() {
    return getBoolean(INSTALL);
  }

  public boolean notifyOnWrite() {
    return getBoolean(NOTIFY);
  }

  public boolean keyLock() {
    return getBoolean(KEY_LOCK);
  }

  public int buckets() {
    return getInt(BUCKETS);
  }

  public Duration pollInterval() {
    return Duration.ofMillis(getLong(POLL_INTERVAL_MS));
  }

  public int batchSize() {
    return getInt(BATCH_SIZE);
  }

  public int maxMessageBytes() {
    return getInt(MAX_MESSAGE_BYTES);
  }

  public Duration retention() {
    return Duration.ofMillis(getLong(RETENTION_MS));
  }

  /** How old an unrelayed message may get before the task warns; zero: never. */
  public Duration lagWarning() {
    return Duration.ofMillis(getLong(LAG_WARN_MS));
  }

  /** Admin-client settings for partition counts, when kafka.bootstrap.servers is set. */
  public Optional<Map<String, Object>> kafkaAdminSettings() {
    return KafkaAdminSettings.from(this);
  }

  /** The buckets assigned to this task. */
  List<Integer> taskBuckets() {
    List<Integer> buckets = new ArrayList<>();
    for (String bucket : getList(TASK_BUCKETS)) {
      buckets.add(Integer.parseInt(bucket.trim()));
    }
    return buckets;
  }

  /**
   * A lower-case SQL identifier: the schema name is also used inside the installed functions'
   * string literals (sequence and channel names), where a quoted name would not survive.
   */
  static final class SimpleIdentifier implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (value == null || !value.toString().matches("[a-z_][a-z0-9_]{0,62}")) {
        throw new ConfigException(
            name,
            value,
            "Use a lower-case identifier (letters, digits, underscore), e.g. pipeline_kafka");
      }
    }

    @Override
    public String toString() {
      return "lower-case identifier";
    }
  }
}
