package io.pipelineconnect.kinesis;

/**
 * The documentation of the Kinesis source's keys, as shown by Connect and in CONFIG.md; one
 * constant a key of {@link KinesisSourceConfig}, named as the key's constant there.
 */
final class KinesisSourceDocs {
  private KinesisSourceDocs() {}

  static final String REGION =
      "AWS region of the stream, e.g. us-east-1 (add_endpoint's region). Unset, the region of the"
          + " stream ARNs, else us-east-1; every stream ARN must lie in this region.";

  static final String URL =
      "Endpoint override for a non-AWS Kinesis, e.g. http://localhost:4567 for kinesalite"
          + " (add_endpoint's url).";

  static final String CREDENTIALS_FILE =
      "AWS credentials file to read instead of the default provider chain (add_endpoint's"
          + " credfile).";

  static final String CREDENTIALS_PROFILE = "Profile of the credentials file to use.";

  static final String ACCESS_KEY_ID = "Static access key id (with kinesis.secret.access.key).";

  static final String SECRET_ACCESS_KEY = "Static secret access key; never logged.";

  static final String ROLE_ARN =
      "IAM role to assume (through STS) with the credentials above before reading, e.g. a role"
          + " of the account that owns the stream. The session is renewed before it expires.";

  static final String ROLE_EXTERNAL_ID =
      "External id to send when assuming kinesis.role.arn, where the role's trust policy asks for"
          + " one (sts:ExternalId, the usual guard of a role another account assumes); never"
          + " logged.";

  static final String ROLE_SESSION_NAME =
      "Session name of the assumed role, as it appears in the stream owner's CloudTrail (2-64"
          + " characters from A-Z a-z 0-9 _+=,.@-).";

  static final String STS_URL =
      "Endpoint override for STS when assuming kinesis.role.arn. By default the SDK calls the"
          + " region's own STS endpoint (sts.<region>.amazonaws.com), not the global one; set it"
          + " for a VPC endpoint or a FIPS endpoint.";

  static final String CBOR =
      "Let the AWS SDK talk CBOR to Kinesis (its default). Turn off only for kinesalite, which"
          + " misreads CBOR timestamps; this sets the JVM-wide system property aws.cborEnabled.";

  static final String STREAM =
      "The Kinesis data stream to read (consume_begin's stream), by name or by ARN"
          + " (arn:aws:kinesis:<region>:<account id>:stream/<name>); or several in kinesis.streams."
          + " An ARN goes into every request next to the name, as the Kinesis Client Library sends"
          + " it: that is how a stream another account shares through a resource policy is read."
          + " Positions, ${stream} and logs use the name either way.";

  static final String STREAMS =
      "Several Kinesis data streams to read, comma-separated, by name or ARN, instead of"
          + " kinesis.stream. Each is"
          + " read into topic with ${stream} replaced by its name (without ${stream}, all into one"
          + " topic; per-key order still holds, since keys are ordered per shard). Each task reads"
          + " one stream, so tasks.max must be at least the number of streams; the rest of the"
          + " tasks go to the streams with the most shards.";

  static final String TOPIC =
      "Kafka topic the records go to (the sink then copies it into consume_begin's relation);"
          + " ${stream} in it is replaced by the stream's name.";

  static final String MARKERS_TOPIC =
      "Topic for marker records that carry positions no data record carries (a resolved LATEST"
          + " start, a shard read to its end), so a restart neither skips nor re-reads. Default:"
          + " '<topic>.kinesis-markers'.";

  static final String START_OFFSET =
      "Where a shard with no saved position starts: -2 = TRIM_HORIZON (the oldest record),"
          + " -1 = LATEST (the end, the default), or an ISO-8601 instant (AT_TIMESTAMP). A saved"
          + " position always wins; child shards of a reshard always start at TRIM_HORIZON.";

  static final String BATCH_SIZE =
      "GetRecords Limit: most records one call returns (1-10000). The default is GetRecords' own"
          + " maximum, as the KCL's: with at most 5 calls per second per shard, a limit of 1000"
          + " caps a shard at 5,000 records/s, under its 2 MiB/s for records smaller than 400 B.";

  static final String IDLE_WAIT_MS =
      "Wait before asking a caught-up shard again: one whose last page was empty, or short with"
          + " MillisBehindLatest 0 (a full page is followed by the next call at once). Kinesis"
          + " allows 5 GetRecords calls per second per shard; the task never calls a shard more"
          + " often than every 200 ms.";

  static final String SHARD_MONITOR_INTERVAL_MS =
      "How often the connector lists the stream's shards to notice splits and merges.";

  static final String MAX_BACKOFF_MS =
      "Longest backoff (with jitter) after throttling or a transient error.";

  static final String DEAGGREGATE =
      "Split KPL aggregated records (magic bytes F3 89 9A C2) into their user records, each a"
          + " Kafka record with its own partition key; an aggregate whose MD5 does not match or"
          + " that does not parse goes through whole, as KCL does. Off: every Kinesis record is"
          + " one Kafka record, aggregated or not.";

  static final String OUTSIDE_SHARD =
      "What to do with a user record of a KPL aggregate whose hash key lies outside the hash-key"
          + " range of the shard the aggregate was read from (after a reshard, an aggregate can"
          + " straddle the new shards). drop (as KCL): skip it, counted in the metric"
          + " subrecords-outside-shard-total and logged; right for the KPL, whose retrier puts"
          + " each such record again into its right shard, where it is read once. deliver: pass"
          + " it on; right for aggregators that never re-send (AWS's kinesis-aggregation"
          + " libraries), which KCL's rule makes lose data; with the KPL it delivers those"
          + " records twice.";
}
