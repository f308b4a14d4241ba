package io.pipelineconnect.kinesis;

import io.pipelineconnect.common.TaskParallelism;
import io.pipelineconnect.common.Validators;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The Kinesis source's configuration: pipeline_kinesis's {@code add_endpoint} and {@code
 * consume_begin} arguments as connector keys, parsed once into typed values.
 */
public final class KinesisSourceConfig extends AbstractConfig {
  static final String ENDPOINT_GROUP = "Endpoint";
  static final String STREAM_GROUP = "Stream";
  static final String READ_GROUP = "Reading";

  public static final String REGION = "kinesis.region";
  static final String REGION_DOC =
      "AWS region of the stream, e.g. us-east-1 (add_endpoint's region).";

  public static final String URL = "kinesis.url";
  static final String URL_DOC =
      "Endpoint override for a non-AWS Kinesis, e.g. http://localhost:4567 for kinesalite"
          + " (add_endpoint's url).";

  public static final String CREDENTIALS_FILE = "kinesis.credentials.file";
  static final String CREDENTIALS_FILE_DOC =
      "AWS credentials file to read instead of the default provider chain (add_endpoint's"
          + " credfile).";

  public static final String CREDENTIALS_PROFILE = "kinesis.credentials.profile";
  static final String CREDENTIALS_PROFILE_DOC = "Profile of the credentials file to use.";

  public static final String ACCESS_KEY_ID = "kinesis.access.key.id";
  static final String ACCESS_KEY_ID_DOC = "Static access key id (with kinesis.secret.access.key).";

  public static final String SECRET_ACCESS_KEY = "kinesis.secret.access.key";
  static final String SECRET_ACCESS_KEY_DOC = "Static secret access key; never logged.";

  public static final String ROLE_ARN = "kinesis.role.arn";
  static final String ROLE_ARN_DOC =
      "IAM role to assume (through STS) with the credentials above before reading.";

  public static final String CBOR = "kinesis.cbor";
  static final String CBOR_DOC =
      "Let the AWS SDK talk CBOR to Kinesis (its default). Turn off only for kinesalite, which"
          + " misreads CBOR timestamps; this sets the JVM-wide system property aws.cborEnabled.";

  public static final String STREAM = "kinesis.stream";
  static final String STREAM_DOC =
      "Name of the Kinesis data stream to read (consume_begin's stream).";

  public static final String TOPIC = "topic";
  static final String TOPIC_DOC =
      "Kafka topic the records go to (the sink then copies it into consume_begin's relation).";

  public static final String MARKERS_TOPIC = "kinesis.markers.topic";
  static final String MARKERS_TOPIC_DOC =
      "Topic for marker records that carry positions no data record carries (a resolved LATEST"
          + " start, a shard read to its end), so a restart neither skips nor re-reads. Default:"
          + " '<topic>.kinesis-markers'.";

  public static final String START_OFFSET = "start_offset";
  static final String START_OFFSET_DOC =
      "Where a shard with no saved position starts: -2 = TRIM_HORIZON (the oldest record),"
          + " -1 = LATEST (the end, the default), or an ISO-8601 instant (AT_TIMESTAMP). A saved"
          + " position always wins; child shards of a reshard always start at TRIM_HORIZON.";

  public static final String BATCH_SIZE = "batchsize";
  static final String BATCH_SIZE_DOC = "GetRecords Limit: most records one call returns (1-10000).";

  public static final String IDLE_WAIT_MS = "kinesis.idle.wait.ms";
  static final String IDLE_WAIT_MS_DOC =
      "Wait before asking a caught-up shard again. Kinesis allows 5 GetRecords calls per second"
          + " per shard; the task never calls a shard more often than every 200 ms.";

  public static final String SHARD_MONITOR_INTERVAL_MS = "kinesis.shard.monitor.interval.ms";
  static final String SHARD_MONITOR_INTERVAL_MS_DOC =
      "How often the connector lists the stream's shards to notice splits and merges.";

  public static final String MAX_BACKOFF_MS = "kinesis.max.backoff.ms";
  static final String MAX_BACKOFF_MS_DOC =
      "Longest backoff (with jitter) after throttling or a transient error.";

  public static final String DEAGGREGATE = "kinesis.deaggregate";
  static final String DEAGGREGATE_DOC =
      "Split KPL aggregated records (magic bytes F3 89 9A C2) into their user records, each a"
          + " Kafka record with its own partition key; an aggregate whose MD5 does not match or"
          + " that does not parse goes through whole, as KCL does. Off: every Kinesis record is"
          + " one Kafka record, aggregated or not.";

  public static final String OUTSIDE_SHARD = "kinesis.deaggregate.outside.shard";
  static final String OUTSIDE_SHARD_DOC =
      "What to do with a user record of a KPL aggregate whose hash key lies outside the hash-key"
          + " range of the shard the aggregate was read from (after a reshard, an aggregate can"
          + " straddle the new shards). drop (as KCL): skip it, counted in the metric"
          + " subrecords-outside-shard-total and logged; right for the KPL, whose retrier puts"
          + " each such record again into its right shard, where it is read once. deliver: pass"
          + " it on; right for aggregators that never re-send (AWS's kinesis-aggregation"
          + " libraries), which KCL's rule makes lose data; with the KPL it delivers those"
          + " records twice.";

  /** What to do with a KPL sub-record whose hash key is outside its shard's range. */
  public enum OutsideShard {
    DROP,
    DELIVER
  }

  /** Task-only: the shards of this task, as "shard[:parent[:parent]]" entries. */
  static final String TASK_SHARDS = "kinesis.task.shards";

  /**
   * Task-only: when the stream was created (epoch ms, from DescribeStreamSummary), saved with every
   * position so positions of a deleted stream are never applied to a new one of the same name.
   */
  static final String TASK_STREAM_CREATED = "kinesis.task.stream.created";

  /** Task-only: the task's index among the connector's tasks (names its metrics on old workers). */
  static final String TASK_INDEX = "kinesis.task.index";

  public static final ConfigDef CONFIG_DEF = configDef();

  /** Where a shard without a saved position starts. */
  sealed interface StartPosition {
    record TrimHorizon() implements StartPosition {}

    record Latest() implements StartPosition {}

    record AtTimestamp(Instant timestamp) implements StartPosition {}
  }

  private final StartPosition startPosition;

  public KinesisSourceConfig(Map<String, String> props) {
    super(CONFIG_DEF, props);
    startPosition = parseStart(getString(START_OFFSET));
    boolean hasKey = getString(ACCESS_KEY_ID) != null;
    boolean hasSecret = getPassword(SECRET_ACCESS_KEY) != null;
    if (hasKey != hasSecret) {
      throw new ConfigException(
          hasKey ? SECRET_ACCESS_KEY : ACCESS_KEY_ID,
          null,
          "Static credentials need both kinesis.access.key.id and kinesis.secret.access.key");
    }
    if (hasKey && getString(CREDENTIALS_FILE) != null) {
      throw new ConfigException(
          CREDENTIALS_FILE,
          getString(CREDENTIALS_FILE),
          "Give either a credentials file or static keys, not both");
    }
  }

  private static ConfigDef configDef() {
    ConfigDef def = new ConfigDef();
    int order = 0;
    def.define(
            REGION,
            Type.STRING,
            "us-east-1",
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            REGION_DOC,
            ENDPOINT_GROUP,
            ++order,
            Width.SHORT,
            "Region")
        .define(
            URL,
            Type.STRING,
            null,
            Validators.optionalHttpUrl(),
            Importance.LOW,
            URL_DOC,
            ENDPOINT_GROUP,
            ++order,
            Width.LONG,
            "Endpoint URL")
        .define(
            CREDENTIALS_FILE,
            Type.STRING,
            null,
            Validators.optionalNonBlank(),
            Importance.MEDIUM,
            CREDENTIALS_FILE_DOC,
            ENDPOINT_GROUP,
            ++order,
            Width.LONG,
            "Credentials file")
        .define(
            CREDENTIALS_PROFILE,
            Type.STRING,
            "default",
            new ConfigDef.NonEmptyString(),
            Importance.LOW,
            CREDENTIALS_PROFILE_DOC,
            ENDPOINT_GROUP,
            ++order,
            Width.SHORT,
            "Credentials profile")
        .define(
            ACCESS_KEY_ID,
            Type.STRING,
            null,
            Validators.optionalNonBlank(),
            Importance.MEDIUM,
            ACCESS_KEY_ID_DOC,
            ENDPOINT_GROUP,
            ++order,
            Width.MEDIUM,
            "Access key id")
        .define(
            SECRET_ACCESS_KEY,
            Type.PASSWORD,
            null,
            Importance.MEDIUM,
            SECRET_ACCESS_KEY_DOC,
            ENDPOINT_GROUP,
            ++order,
            Width.MEDIUM,
            "Secret access key")
        .define(
            ROLE_ARN,
            Type.STRING,
            null,
            Validators.optionalRoleArn(),
            Importance.LOW,
            ROLE_ARN_DOC,
            ENDPOINT_GROUP,
            ++order,
            Width.LONG,
            "Role ARN")
        .define(
            CBOR,
            Type.BOOLEAN,
            true,
            Importance.LOW,
            CBOR_DOC,
            ENDPOINT_GROUP,
            ++order,
            Width.SHORT,
            "CBOR");
    order = 0;
    def.define(
            STREAM,
            Type.STRING,
            ConfigDef.NO_DEFAULT_VALUE,
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            STREAM_DOC,
            STREAM_GROUP,
            ++order,
            Width.MEDIUM,
            "Kinesis stream")
        .define(
            TOPIC,
            Type.STRING,
            ConfigDef.NO_DEFAULT_VALUE,
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            TOPIC_DOC,
            STREAM_GROUP,
            ++order,
            Width.MEDIUM,
            "Kafka topic")
        .define(
            MARKERS_TOPIC,
            Type.STRING,
            null,
            Validators.optionalNonBlank(),
            Importance.LOW,
            MARKERS_TOPIC_DOC,
            STREAM_GROUP,
            ++order,
            Width.MEDIUM,
            "Markers topic")
        .define(
            START_OFFSET,
            Type.STRING,
            "-1",
            new StartValidator(),
            Importance.MEDIUM,
            START_OFFSET_DOC,
            STREAM_GROUP,
            ++order,
            Width.MEDIUM,
            "Start offset");
    order = 0;
    def.define(
            BATCH_SIZE,
            Type.INT,
            1000,
            ConfigDef.Range.between(1, 10_000),
            Importance.MEDIUM,
            BATCH_SIZE_DOC,
            READ_GROUP,
            ++order,
            Width.SHORT,
            "Batch size")
        .define(
            IDLE_WAIT_MS,
            Type.LONG,
            1000L,
            ConfigDef.Range.between(200, 60_000),
            Importance.LOW,
            IDLE_WAIT_MS_DOC,
            READ_GROUP,
            ++order,
            Width.SHORT,
            "Idle wait (ms)")
        .define(
            SHARD_MONITOR_INTERVAL_MS,
            Type.LONG,
            30_000L,
            ConfigDef.Range.between(1000, 3_600_000),
            Importance.LOW,
            SHARD_MONITOR_INTERVAL_MS_DOC,
            READ_GROUP,
            ++order,
            Width.SHORT,
            "Shard monitor interval (ms)")
        .define(
            MAX_BACKOFF_MS,
            Type.LONG,
            30_000L,
            ConfigDef.Range.between(100, 600_000),
            Importance.LOW,
            MAX_BACKOFF_MS_DOC,
            READ_GROUP,
            ++order,
            Width.SHORT,
            "Max backoff (ms)")
        .define(
            DEAGGREGATE,
            Type.BOOLEAN,
            true,
            Importance.MEDIUM,
            DEAGGREGATE_DOC,
            READ_GROUP,
            ++order,
            Width.SHORT,
            "De-aggregate KPL records")
        .define(
            OUTSIDE_SHARD,
            Type.STRING,
            "drop",
            ConfigDef.CaseInsensitiveValidString.in("drop", "deliver"),
            Importance.LOW,
            OUTSIDE_SHARD_DOC,
            READ_GROUP,
            ++order,
            Width.SHORT,
            "Sub-records outside the shard");
    TaskParallelism.define(def, READ_GROUP, ++order);
    def.defineInternal(TASK_SHARDS, Type.STRING, "", Importance.LOW);
    def.defineInternal(TASK_STREAM_CREATED, Type.LONG, null, Importance.LOW);
    def.defineInternal(TASK_INDEX, Type.INT, 0, Importance.LOW);
    return def;
  }

  static StartPosition parseStart(String value) {
    String v = value == null ? "-1" : value.trim();
    if (v.equals("-1") || v.isEmpty()) {
      return new StartPosition.Latest();
    }
    if (v.equals("-2")) {
      return new StartPosition.TrimHorizon();
    }
    try {
      return new StartPosition.AtTimestamp(Instant.parse(v));
    } catch (DateTimeParseException e) {
      throw new ConfigException(
          START_OFFSET,
          value,
          "Use -2 (TRIM_HORIZON, the oldest record), -1 (LATEST) or an ISO-8601 instant such as"
              + " 2026-01-31T12:00:00Z (AT_TIMESTAMP)");
    }
  }

  public Optional<String> endpointUrl() {
    return Optional.ofNullable(getString(URL));
  }

  public String region() {
    return getString(REGION);
  }

  public Optional<String> credentialsFile() {
    return Optional.ofNullable(getString(CREDENTIALS_FILE));
  }

  public String credentialsProfile() {
    return getString(CREDENTIALS_PROFILE);
  }

  public Optional<String> accessKeyId() {
    return Optional.ofNullable(getString(ACCESS_KEY_ID));
  }

  public Optional<Password> secretAccessKey() {
    return Optional.ofNullable(getPassword(SECRET_ACCESS_KEY));
  }

  public Optional<String> roleArn() {
    return Optional.ofNullable(getString(ROLE_ARN));
  }

  public boolean cbor() {
    return getBoolean(CBOR);
  }

  public String stream() {
    return getString(STREAM);
  }

  public String topic() {
    return getString(TOPIC);
  }

  public String markersTopic() {
    String markers = getString(MARKERS_TOPIC);
    return markers == null ? topic() + ".kinesis-markers" : markers;
  }

  public StartPosition startPosition() {
    return startPosition;
  }

  public int batchSize() {
    return getInt(BATCH_SIZE);
  }

  public Duration idleWait() {
    return Duration.ofMillis(getLong(IDLE_WAIT_MS));
  }

  public Duration shardMonitorInterval() {
    return Duration.ofMillis(getLong(SHARD_MONITOR_INTERVAL_MS));
  }

  public Duration maxBackoff() {
    return Duration.ofMillis(getLong(MAX_BACKOFF_MS));
  }

  /** When the stream read was created (epoch ms), or null where the connector could not say. */
  Long streamCreatedMs() {
    return getLong(TASK_STREAM_CREATED);
  }

  public boolean deaggregate() {
    return getBoolean(DEAGGREGATE);
  }

  public OutsideShard outsideShard() {
    return OutsideShard.valueOf(getString(OUTSIDE_SHARD).toUpperCase(java.util.Locale.ROOT));
  }

  int taskIndex() {
    return getInt(TASK_INDEX);
  }

  String taskShards() {
    return getString(TASK_SHARDS);
  }

  static final class StartValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      parseStart(value == null ? null : value.toString());
    }

    @Override
    public String toString() {
      return "-2 (TRIM_HORIZON), -1 (LATEST) or an ISO-8601 instant";
    }
  }
}
