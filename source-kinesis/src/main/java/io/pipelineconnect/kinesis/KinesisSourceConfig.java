package io.pipelineconnect.kinesis;

import io.pipelineconnect.common.TaskParallelism;
import io.pipelineconnect.common.Validators;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
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

  // Each key's documentation is in KinesisSourceDocs, under the same name.
  public static final String REGION = "kinesis.region";
  public static final String URL = "kinesis.url";
  public static final String CREDENTIALS_FILE = "kinesis.credentials.file";
  public static final String CREDENTIALS_PROFILE = "kinesis.credentials.profile";
  public static final String ACCESS_KEY_ID = "kinesis.access.key.id";
  public static final String SECRET_ACCESS_KEY = "kinesis.secret.access.key";
  public static final String ROLE_ARN = "kinesis.role.arn";
  public static final String ROLE_EXTERNAL_ID = "kinesis.role.external.id";
  public static final String ROLE_SESSION_NAME = "kinesis.role.session.name";
  public static final String STS_URL = "kinesis.sts.url";
  public static final String CBOR = "kinesis.cbor";
  public static final String STREAM = "kinesis.stream";
  public static final String STREAMS = "kinesis.streams";
  public static final String TOPIC = "topic";
  public static final String MARKERS_TOPIC = "kinesis.markers.topic";
  public static final String START_OFFSET = "start_offset";
  public static final String BATCH_SIZE = "batchsize";
  public static final String IDLE_WAIT_MS = "kinesis.idle.wait.ms";
  public static final String SHARD_MONITOR_INTERVAL_MS = "kinesis.shard.monitor.interval.ms";
  public static final String MAX_BACKOFF_MS = "kinesis.max.backoff.ms";
  public static final String DEAGGREGATE = "kinesis.deaggregate";
  public static final String OUTSIDE_SHARD = "kinesis.deaggregate.outside.shard";

  /** What to do with a KPL sub-record whose hash key is outside its shard's range. */
  public enum OutsideShard {
    DROP,
    DELIVER
  }

  /**
   * Task-only: the shards of this task, comma-separated, each as {@link ShardInfo#encode()} writes
   * it ({@code id|closed[|#start:end]|parent|parent}).
   */
  static final String TASK_SHARDS = "kinesis.task.shards";

  /**
   * Task-only: when the stream was created (epoch ms, from DescribeStreamSummary), saved with every
   * position so positions of a deleted stream are never applied to a new one of the same name.
   */
  static final String TASK_STREAM_CREATED = "kinesis.task.stream.created";

  /** Task-only: the task's index among the connector's tasks (names its metrics on old workers). */
  static final String TASK_INDEX = "kinesis.task.index";

  /**
   * For CONFIG.md: what Connect's own options mean for this connector. Not in the ConfigDef: the
   * worker owns them.
   */
  public static final String FRAMEWORK_OPTIONS_DOC =
      """
      ## Kafka Connect's own options that matter here

      | key | what to set |
      |---|---|
      | `tasks.max` | How many tasks share the stream's shards. |
      | `key.converter`, `value.converter` | `ByteArrayConverter`: a record's data and partition key are passed through as bytes (KPL aggregates are split first with `kinesis.deaggregate`). |
      | `topic.creation.default.replication.factor`, `topic.creation.default.partitions` | Let the worker create `topic` on first use (`-1` takes the broker's defaults); without them the topic must exist. |
      | `exactly.once.support` | `required`, on distributed workers with `exactly.once.source.support=enabled` (KIP-618): each record lands in Kafka exactly once. Otherwise at least once. |
      """;

  /**
   * The shape of every AWS region name (us-east-1, eu-central-2, us-gov-west-1, cn-north-1,
   * us-isob-east-1), declared before CONFIG_DEF, whose default it checks: a typo such as "us east
   * 1" or an invented "mars-central-9" would otherwise surface only as an SDK error when the task
   * starts.
   */
  private static final Pattern REGION_NAME =
      Pattern.compile("[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d{1,2}");

  /** What {@code topic} and {@code kinesis.markers.topic} may hold for the stream's name. */
  static final String STREAM_PLACEHOLDER = "${stream}";

  /** STS's rule for RoleSessionName (AssumeRole API reference). */
  private static final Pattern SESSION_NAME = Pattern.compile("[\\w+=,.@-]{2,64}");

  public static final ConfigDef CONFIG_DEF = configDef();

  private final StartPosition startPosition;
  private final List<StreamRef> streamRefs;
  private final String region;

  public KinesisSourceConfig(Map<String, String> props) {
    super(CONFIG_DEF, props);
    startPosition = StartPosition.parse(getString(START_OFFSET));
    List<String> given = getString(STREAM) != null ? List.of(getString(STREAM)) : getList(STREAMS);
    streamRefs = given.stream().map(StreamRef::parse).toList();
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
    boolean one = getString(STREAM) != null;
    boolean several = !getList(STREAMS).isEmpty();
    if (one == several) {
      throw new ConfigException(
          several ? STREAMS : STREAM,
          several ? getList(STREAMS).toString() : null,
          several
              ? "Set kinesis.stream or kinesis.streams, not both"
              : "Name the stream to read in kinesis.stream, or several in kinesis.streams");
    }
    if (streamRefs.stream().map(StreamRef::name).distinct().count() != streamRefs.size()) {
      throw new ConfigException(
          STREAMS,
          getList(STREAMS).toString(),
          "A stream is named twice (by name or by ARN): name each once");
    }
    region = regionOf(streamRefs);
    if (getString(ROLE_ARN) == null && getPassword(ROLE_EXTERNAL_ID) != null) {
      // The value is a shared secret of the role's trust policy: never echo it.
      throw new ConfigException(
          ROLE_EXTERNAL_ID,
          "[hidden]",
          "An external id is sent only when assuming a role: set kinesis.role.arn too, or unset"
              + " kinesis.role.external.id");
    }
    if (getString(ROLE_ARN) == null && getString(STS_URL) != null) {
      throw new ConfigException(
          STS_URL,
          getString(STS_URL),
          "STS is called only to assume a role: set kinesis.role.arn too, or unset"
              + " kinesis.sts.url");
    }
  }

  /**
   * The region the client talks to: kinesis.region where set, else that of the stream ARNs, else
   * the default. A client reads one region, so every ARN must lie in it.
   */
  private String regionOf(List<StreamRef> streams) {
    boolean regionSet = originals().get(REGION) != null;
    String chosen = regionSet ? getString(REGION) : null;
    for (StreamRef stream : streams) {
      if (stream.region() == null) {
        continue;
      }
      if (!REGION_NAME.matcher(stream.region()).matches()) {
        throw new ConfigException(
            streamsKey(),
            stream.given(),
            "'" + stream.region() + "' in the stream's ARN is not an AWS region name");
      }
      if (chosen == null) {
        chosen = stream.region();
      } else if (!chosen.equals(stream.region())) {
        throw new ConfigException(
            streamsKey(),
            stream.given(),
            "The stream's ARN is in region "
                + stream.region()
                + " but the connector reads "
                + chosen
                + (regionSet ? " (kinesis.region)" : " (another stream's ARN)")
                + ": one connector reads one region; set kinesis.region to the streams' region,"
                + " or read the other region with a second connector");
      }
    }
    return chosen != null ? chosen : getString(REGION);
  }

  /** Unset, or one or more Kinesis streams by name or ARN (a string or a list). */
  static ConfigDef.Validator streamNames() {
    return ConfigDef.LambdaValidator.with(
        (name, value) -> {
          if (value == null) {
            return;
          }
          List<?> names = value instanceof List<?> list ? list : List.of(value);
          for (Object stream : names) {
            if (StreamRef.parse(stream.toString()) == null) {
              throw new ConfigException(
                  name, value, "'" + stream + "' is neither " + StreamRef.RULE);
            }
          }
        },
        () ->
            "stream names (1-128 characters from a-z A-Z 0-9 _ . -) or stream ARNs"
                + " (arn:aws:kinesis:<region>:<account id>:stream/<name>)");
  }

  static ConfigDef.Validator sessionName() {
    return ConfigDef.LambdaValidator.with(
        (name, value) -> {
          if (value == null || !SESSION_NAME.matcher(value.toString()).matches()) {
            throw new ConfigException(
                name,
                value,
                "STS takes a session name of 2 to 64 characters, each a letter, digit or one of"
                    + " _+=,.@-");
          }
        },
        () -> "2-64 characters from [A-Za-z0-9_+=,.@-]");
  }

  static ConfigDef.Validator regionName() {
    return ConfigDef.LambdaValidator.with(
        (name, value) -> {
          if (value == null || !REGION_NAME.matcher(value.toString()).matches()) {
            throw new ConfigException(
                name,
                value,
                "Not an AWS region name: expected one such as us-east-1 or eu-central-1 (with"
                    + " kinesis.url, kinesalite takes any of them)");
          }
        },
        () -> "an AWS region name, e.g. us-east-1");
  }

  /** Unset, or a file this worker can read: checked where the task will run, at validation. */
  static ConfigDef.Validator readableFile() {
    return ConfigDef.LambdaValidator.with(
        (name, value) -> {
          if (value == null) {
            return;
          }
          Path file = Path.of(value.toString());
          if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new ConfigException(
                name,
                value,
                "No readable file there on this worker: every worker that may run the task needs"
                    + " it, or leave it unset for the default credentials chain");
          }
        },
        () -> "unset, or a readable file");
  }

  private static ConfigDef configDef() {
    ConfigDef def = new ConfigDef();
    int order = 0;
    def.define(
            REGION,
            Type.STRING,
            "us-east-1",
            regionName(),
            Importance.HIGH,
            KinesisSourceDocs.REGION,
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
            KinesisSourceDocs.URL,
            ENDPOINT_GROUP,
            ++order,
            Width.LONG,
            "Endpoint URL")
        .define(
            CREDENTIALS_FILE,
            Type.STRING,
            null,
            readableFile(),
            Importance.MEDIUM,
            KinesisSourceDocs.CREDENTIALS_FILE,
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
            KinesisSourceDocs.CREDENTIALS_PROFILE,
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
            KinesisSourceDocs.ACCESS_KEY_ID,
            ENDPOINT_GROUP,
            ++order,
            Width.MEDIUM,
            "Access key id")
        .define(
            SECRET_ACCESS_KEY,
            Type.PASSWORD,
            null,
            Importance.MEDIUM,
            KinesisSourceDocs.SECRET_ACCESS_KEY,
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
            KinesisSourceDocs.ROLE_ARN,
            ENDPOINT_GROUP,
            ++order,
            Width.LONG,
            "Role ARN")
        .define(
            ROLE_EXTERNAL_ID,
            Type.PASSWORD,
            null,
            Importance.LOW,
            KinesisSourceDocs.ROLE_EXTERNAL_ID,
            ENDPOINT_GROUP,
            ++order,
            Width.MEDIUM,
            "Role external id")
        .define(
            ROLE_SESSION_NAME,
            Type.STRING,
            "pipeline-connect",
            sessionName(),
            Importance.LOW,
            KinesisSourceDocs.ROLE_SESSION_NAME,
            ENDPOINT_GROUP,
            ++order,
            Width.MEDIUM,
            "Role session name")
        .define(
            STS_URL,
            Type.STRING,
            null,
            Validators.optionalHttpUrl(),
            Importance.LOW,
            KinesisSourceDocs.STS_URL,
            ENDPOINT_GROUP,
            ++order,
            Width.LONG,
            "STS endpoint URL")
        .define(
            CBOR,
            Type.BOOLEAN,
            true,
            Importance.LOW,
            KinesisSourceDocs.CBOR,
            ENDPOINT_GROUP,
            ++order,
            Width.SHORT,
            "CBOR");
    order = 0;
    def.define(
            STREAM,
            Type.STRING,
            null,
            streamNames(),
            Importance.HIGH,
            KinesisSourceDocs.STREAM,
            STREAM_GROUP,
            ++order,
            Width.MEDIUM,
            "Kinesis stream")
        .define(
            STREAMS,
            Type.LIST,
            "",
            streamNames(),
            Importance.MEDIUM,
            KinesisSourceDocs.STREAMS,
            STREAM_GROUP,
            ++order,
            Width.LONG,
            "Kinesis streams")
        .define(
            TOPIC,
            Type.STRING,
            ConfigDef.NO_DEFAULT_VALUE,
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            KinesisSourceDocs.TOPIC,
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
            KinesisSourceDocs.MARKERS_TOPIC,
            STREAM_GROUP,
            ++order,
            Width.MEDIUM,
            "Markers topic")
        .define(
            START_OFFSET,
            Type.STRING,
            "-1",
            new StartPosition.Validator(),
            Importance.MEDIUM,
            KinesisSourceDocs.START_OFFSET,
            STREAM_GROUP,
            ++order,
            Width.MEDIUM,
            "Start offset");
    order = 0;
    def.define(
            BATCH_SIZE,
            Type.INT,
            10_000,
            ConfigDef.Range.between(1, 10_000),
            Importance.MEDIUM,
            KinesisSourceDocs.BATCH_SIZE,
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
            KinesisSourceDocs.IDLE_WAIT_MS,
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
            KinesisSourceDocs.SHARD_MONITOR_INTERVAL_MS,
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
            KinesisSourceDocs.MAX_BACKOFF_MS,
            READ_GROUP,
            ++order,
            Width.SHORT,
            "Max backoff (ms)")
        .define(
            DEAGGREGATE,
            Type.BOOLEAN,
            true,
            Importance.MEDIUM,
            KinesisSourceDocs.DEAGGREGATE,
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
            KinesisSourceDocs.OUTSIDE_SHARD,
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

  public Optional<String> endpointUrl() {
    return Optional.ofNullable(getString(URL));
  }

  /** kinesis.region where set, else the region of the stream ARNs, else us-east-1. */
  public String region() {
    return region;
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

  public Optional<Password> roleExternalId() {
    return Optional.ofNullable(getPassword(ROLE_EXTERNAL_ID));
  }

  public String roleSessionName() {
    return getString(ROLE_SESSION_NAME);
  }

  public Optional<String> stsUrl() {
    return Optional.ofNullable(getString(STS_URL));
  }

  public boolean cbor() {
    return getBoolean(CBOR);
  }

  /**
   * The name of the stream a task reads: each task config names one (see {@link #forStream}). On a
   * connector config with {@code kinesis.streams}, null.
   */
  public String stream() {
    return getString(STREAM) == null ? null : streamRefs.get(0).name();
  }

  /** The stream a task reads, as the user gave it (by name or ARN); null as for stream(). */
  StreamRef streamRef() {
    return getString(STREAM) == null ? null : streamRefs.get(0);
  }

  /** The names of every stream the connector reads: {@code kinesis.stream}, or the list. */
  public List<String> streams() {
    return streamRefs.stream().map(StreamRef::name).toList();
  }

  /** Every stream the connector reads, as the user gave them. */
  List<StreamRef> streamRefs() {
    return streamRefs;
  }

  /** The key the user named the streams under: where a finding about one of them belongs. */
  public String streamsKey() {
    return getString(STREAM) != null ? STREAM : STREAMS;
  }

  /**
   * The config of one of the streams, by name, as its tasks get it: {@code kinesis.stream} set to
   * it as the user gave it, and {@code ${stream}} in the topics replaced by its name.
   */
  public Map<String, String> forStream(String stream) {
    StreamRef ref =
        streamRefs.stream()
            .filter(s -> s.name().equals(stream))
            .findFirst()
            .orElseThrow(
                () -> new IllegalArgumentException("Not a stream of this config: " + stream));
    Map<String, String> props = new HashMap<>(originalsStrings());
    props.remove(STREAMS);
    props.put(STREAM, ref.given());
    props.put(TOPIC, getString(TOPIC).replace(STREAM_PLACEHOLDER, stream));
    if (getString(MARKERS_TOPIC) != null) {
      props.put(MARKERS_TOPIC, getString(MARKERS_TOPIC).replace(STREAM_PLACEHOLDER, stream));
    }
    return props;
  }

  /** The topic of this config's stream ({@code ${stream}} replaced where a task config has it). */
  public String topic() {
    String topic = getString(TOPIC);
    return stream() == null ? topic : topic.replace(STREAM_PLACEHOLDER, stream());
  }

  public String markersTopic() {
    String markers = getString(MARKERS_TOPIC);
    if (markers == null) {
      return topic() + ".kinesis-markers";
    }
    return stream() == null ? markers : markers.replace(STREAM_PLACEHOLDER, stream());
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
    return OutsideShard.valueOf(getString(OUTSIDE_SHARD).toUpperCase(Locale.ROOT));
  }

  int taskIndex() {
    return getInt(TASK_INDEX);
  }

  String taskShards() {
    return getString(TASK_SHARDS);
  }
}
