package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.testsupport.ConnectClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.KinesaliteExtension;
import io.pipelineconnect.testsupport.KinesaliteServer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import javax.management.AttributeNotFoundException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** The Kinesis source through a real Connect cluster (two workers), reading kinesalite. */
class KinesisSourceIT {
  @RegisterExtension
  static final ConnectClusterExtension CONNECT = ConnectClusterExtension.withWorkers(2);

  @RegisterExtension static final KinesaliteExtension KINESIS = new KinesaliteExtension();

  private KafkaConnectCluster cluster;
  private KinesisClient kinesis;

  @BeforeEach
  void client() {
    cluster = CONNECT.cluster();
    kinesis =
        KinesisClient.builder()
            .endpointOverride(KINESIS.server().endpoint())
            .region(Region.of(KinesaliteServer.REGION))
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(
                        KinesaliteServer.ACCESS_KEY, KinesaliteServer.SECRET_KEY)))
            .httpClient(UrlConnectionHttpClient.create())
            .build();
  }

  @AfterEach
  void closeClient() {
    kinesis.close();
  }

  private void createStream(String name, int shards) {
    kinesis.createStream(b -> b.streamName(name).shardCount(shards));
    kinesis.waiter().waitUntilStreamExists(b -> b.streamName(name));
  }

  /** Puts values "key:n" for n in [from, to), keys cycling over {@code keys} partition keys. */
  private void put(String stream, int from, int to, int keys) {
    List<PutRecordsRequestEntry> batch = new ArrayList<>();
    for (int n = from; n < to; n++) {
      String key = "k" + (n % keys);
      batch.add(
          PutRecordsRequestEntry.builder()
              .partitionKey(key)
              .data(SdkBytes.fromUtf8String(key + ":" + n))
              .build());
      if (batch.size() == 500 || n == to - 1) {
        List<PutRecordsRequestEntry> entries = List.copyOf(batch);
        var response = kinesis.putRecords(b -> b.streamName(stream).records(entries));
        assertThat(response.failedRecordCount()).isZero();
        batch.clear();
      }
    }
  }

  private Map<String, String> sourceConfig(String stream, String topic, String start) {
    Map<String, String> props = new HashMap<>();
    props.put("connector.class", KinesisSourceConnector.class.getName());
    props.put("tasks.max", "2");
    props.put("kinesis.stream", stream);
    props.put("topic", topic);
    props.put("start_offset", start);
    props.put("kinesis.region", KinesaliteServer.REGION);
    props.put("kinesis.url", KINESIS.server().endpoint().toString());
    props.put("kinesis.access.key.id", KinesaliteServer.ACCESS_KEY);
    props.put("kinesis.secret.access.key", KinesaliteServer.SECRET_KEY);
    props.put("kinesis.cbor", "false");
    props.put("kinesis.idle.wait.ms", "200");
    props.put("kinesis.shard.monitor.interval.ms", "1000");
    props.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    props.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    props.put("topic.creation.default.replication.factor", "1");
    props.put("topic.creation.default.partitions", "4");
    return props;
  }

  private List<String> values(String topic, int atLeast) {
    ConsumerRecords<byte[], byte[]> records = cluster.kafka().consume(atLeast, 120_000, topic);
    List<String> values = new ArrayList<>();
    records.forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
    return values;
  }

  private List<ConsumerRecord<byte[], byte[]>> all(String topic) throws Exception {
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    cluster.kafka().consumeAll(30_000, topic).forEach(all::add);
    return all;
  }

  @Test
  void trimHorizonReadsEveryRecordAndARestartNeitherLosesNorRepeats() throws Exception {
    createStream("orders", 4);
    put("orders", 0, 50_000, 100);
    cluster.connect().configureConnector("kinesis-orders", sourceConfig("orders", "orders", "-2"));
    values("orders", 50_000);

    cluster.connect().restartConnectorAndTasks("kinesis-orders", false, true, false);
    put("orders", 50_000, 52_000, 100);
    Awaitility.await("all 52,000 in Kafka")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> all("orders").size() >= 52_000);

    List<ConsumerRecord<byte[], byte[]>> records = all("orders");
    assertThat(records).hasSize(52_000);
    Set<String> distinct = new HashSet<>();
    Map<String, Integer> lastPerKey = new HashMap<>();
    records.sort(
        java.util.Comparator.comparingInt((ConsumerRecord<byte[], byte[]> r) -> r.partition())
            .thenComparingLong(ConsumerRecord::offset));
    for (ConsumerRecord<byte[], byte[]> record : records) {
      String value = new String(record.value(), StandardCharsets.UTF_8);
      distinct.add(value);
      String key = new String(record.key(), StandardCharsets.UTF_8);
      int n = Integer.parseInt(value.substring(value.indexOf(':') + 1));
      assertThat(n).as("order of key " + key).isGreaterThan(lastPerKey.getOrDefault(key, -1));
      lastPerKey.put(key, n);
      assertThat(header(record, "kinesis.stream")).isEqualTo("orders");
      assertThat(header(record, "kinesis.shard.id")).startsWith("shardId-");
      assertThat(record.timestamp())
          .isGreaterThan(Instant.parse("2020-01-01T00:00:00Z").toEpochMilli());
    }
    assertThat(distinct).hasSize(52_000);
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
    Header header = record.headers().lastHeader(key);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /**
   * GET /offsets shows each shard's position (it once showed null: the partition keys were stored
   * in an order Connect's own lookup does not produce), PATCH moves a shard, a malformed PATCH is
   * refused, and DELETE starts the shard over.
   */
  @Test
  void theRestOffsetsApiShowsMovesAndResetsShardPositions() throws Exception {
    createStream("moved", 1);
    put("moved", 0, 10, 1);
    // Made here: reading a topic the connector has not created yet throws instead of waiting.
    cluster.kafka().createTopic("moved", 1);
    cluster.connect().configureConnector("kinesis-moved", sourceConfig("moved", "moved", "-2"));
    Awaitility.await("10 records")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> all("moved").size() >= 10);
    List<ConsumerRecord<byte[], byte[]>> first = all("moved");
    String lastSequence = header(first.get(9), "kinesis.sequence.number");
    String fifthSequence = header(first.get(4), "kinesis.sequence.number");
    Awaitility.await("the shard's position shown by GET /offsets")
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(
            () -> {
              var offsets = cluster.connect().connectorOffsets("kinesis-moved").offsets();
              return offsets.size() == 1
                  && offsets.get(0).offset() != null
                  && lastSequence.equals(offsets.get(0).offset().get("sequence"));
            });
    String shard = header(first.get(0), "kinesis.shard.id");

    cluster.connect().stopConnector("kinesis-moved");
    cluster.connect().assertions().assertConnectorIsStopped("kinesis-moved", "not stopped");
    Map<String, Object> partition = new java.util.LinkedHashMap<>();
    partition.put("stream", "moved");
    partition.put("shard", shard);
    assertThatThrownBy(
            () ->
                cluster
                    .connect()
                    .alterSourceConnectorOffset(
                        "kinesis-moved", partition, Map.of("sequence", "not-a-number")))
        .hasMessageContaining("sequence must be a Kinesis sequence number");
    cluster
        .connect()
        .alterSourceConnectorOffset("kinesis-moved", partition, Map.of("sequence", fifthSequence));
    cluster.connect().resumeConnector("kinesis-moved");
    Awaitility.await("records 5 to 9 read again")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> all("moved").size() >= 15);

    cluster.connect().stopConnector("kinesis-moved");
    cluster.connect().assertions().assertConnectorIsStopped("kinesis-moved", "not stopped");
    cluster.connect().resetConnectorOffsets("kinesis-moved");
    cluster.connect().resumeConnector("kinesis-moved");
    Awaitility.await("the whole shard read again")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> all("moved").size() >= 25);
    assertThat(all("moved")).hasSize(25);
  }

  @Test
  void latestStartSurvivesARestartWithRecordsWrittenWhileStopped() throws Exception {
    createStream("clicks", 2);
    put("clicks", 0, 10, 4); // before the connector: never read at LATEST
    cluster.connect().configureConnector("kinesis-clicks", sourceConfig("clicks", "clicks", "-1"));
    // Each shard's resolved LATEST is saved through a marker record.
    Awaitility.await("LATEST resolved on both shards")
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions() // consume() throws until both markers are there
        .until(() -> cluster.kafka().consume(2, 1000, "clicks.kinesis-markers").count() >= 2);
    Awaitility.await("resolved positions committed as source offsets")
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> cluster.connect().connectorOffsets("kinesis-clicks").offsets().size() == 2);
    cluster.connect().stopConnector("kinesis-clicks");
    cluster.connect().assertions().assertConnectorIsStopped("kinesis-clicks", "not stopped");
    put("clicks", 100, 110, 4); // while stopped: must be read after the restart
    cluster.connect().resumeConnector("kinesis-clicks");
    put("clicks", 200, 210, 4);

    Awaitility.await("20 records")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> all("clicks").size() >= 20);
    Set<Integer> numbers =
        all("clicks").stream()
            .map(r -> new String(r.value(), StandardCharsets.UTF_8))
            .map(v -> Integer.parseInt(v.substring(v.indexOf(':') + 1)))
            .collect(Collectors.toSet());
    assertThat(numbers).hasSize(20).allMatch(n -> n >= 100);
  }

  /** Lets the clock move on, so records before and after an instant have distinct arrival times. */
  private static void awaitClockPast(Instant instant) {
    Awaitility.await("clock past " + instant)
        .pollInterval(Duration.ofMillis(50))
        .atMost(Duration.ofSeconds(5))
        .until(() -> Instant.now().isAfter(instant));
  }

  @Test
  void atTimestampStartsAtTheFirstRecordArrivedSinceThatInstant() throws Exception {
    createStream("events", 1);
    put("events", 0, 5, 1);
    Instant from = Instant.now().plusSeconds(1);
    awaitClockPast(from.plusSeconds(1));
    put("events", 5, 10, 1);
    cluster
        .connect()
        .configureConnector("kinesis-events", sourceConfig("events", "events", from.toString()));
    assertThat(values("events", 5)).containsExactly("k0:5", "k0:6", "k0:7", "k0:8", "k0:9");
  }

  @Test
  void aSplitDuringReadingKeepsPerKeyOrderAndLosesNothing() throws Exception {
    createStream("resharded", 1);
    put("resharded", 0, 3000, 20);
    cluster
        .connect()
        .configureConnector("kinesis-split", sourceConfig("resharded", "resharded", "-2"));
    values("resharded", 1000);
    Shard only = kinesis.listShards(b -> b.streamName("resharded")).shards().get(0);
    java.math.BigInteger middle =
        new java.math.BigInteger(only.hashKeyRange().endingHashKey()).shiftRight(1);
    kinesis.splitShard(
        b ->
            b.streamName("resharded")
                .shardToSplit(only.shardId())
                .newStartingHashKey(middle.toString()));
    kinesis.waiter().waitUntilStreamExists(b -> b.streamName("resharded"));
    put("resharded", 3000, 6000, 20);

    Awaitility.await("6,000 records")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> all("resharded").size() >= 6000);
    List<ConsumerRecord<byte[], byte[]>> records = all("resharded");
    assertThat(records).hasSize(6000);
    assertPerKeyOrder(records);
  }

  @Test
  void aMergeDuringReadingKeepsPerKeyOrderAndLosesNothing() throws Exception {
    createStream("merged", 2);
    put("merged", 0, 3000, 20);
    cluster.connect().configureConnector("kinesis-merge", sourceConfig("merged", "merged", "-2"));
    values("merged", 1000);
    List<Shard> shards = kinesis.listShards(b -> b.streamName("merged")).shards();
    kinesis.mergeShards(
        b ->
            b.streamName("merged")
                .shardToMerge(shards.get(0).shardId())
                .adjacentShardToMerge(shards.get(1).shardId()));
    kinesis.waiter().waitUntilStreamExists(b -> b.streamName("merged"));
    put("merged", 3000, 6000, 20);

    Awaitility.await("6,000 records")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> all("merged").size() >= 6000);
    List<ConsumerRecord<byte[], byte[]>> records = all("merged");
    assertThat(records).hasSize(6000);
    assertPerKeyOrder(records);
  }

  /**
   * Splitting is how Kinesis users scale up: once a parent's SHARD_END is saved, its children part
   * from it and from each other, so after 2 shards split into 4 and then 8, each of 4 tasks reads
   * its own shards (KCL spreads leases the same way), and every key's records stay in order.
   */
  @Test
  void splitsSpreadTheChildrenOverEveryTaskAndKeepPerKeyOrder() throws Exception {
    createStream("spread", 2);
    Map<String, String> props = sourceConfig("spread", "spread", "-2");
    props.put("tasks.max", "4");
    cluster.connect().configureConnector("kinesis-spread", props);
    put("spread", 0, 2000, 80);
    awaitRecords("spread", 2000);

    splitEveryOpenShard("spread");
    put("spread", 2000, 4000, 80);
    // Before the parents' ends are saved, each parent's task holds its two children: [2, 2].
    awaitOnlyOpenShardsPerTask("kinesis-spread", List.of(1, 1, 1, 1));

    splitEveryOpenShard("spread");
    put("spread", 4000, 6000, 80);
    awaitOnlyOpenShardsPerTask("kinesis-spread", List.of(2, 2, 2, 2));
    put("spread", 6000, 8000, 80);

    awaitRecords("spread", 8000);
    List<ConsumerRecord<byte[], byte[]>> records = all("spread");
    assertThat(records).hasSize(8000);
    assertThat(
            records.stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .collect(Collectors.toSet()))
        .hasSize(8000);
    assertPerKeyOrder(records);
    Awaitility.await("each of the 4 tasks delivered records after the last spread")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              Map<ObjectName, Object> totals =
                  pluginMetric("kinesis-spread", "task=*", "records-total");
              assertThat(totals).hasSize(4);
              assertThat(totals.values()).allSatisfy(v -> assertThat((Double) v).isPositive());
            });
  }

  /**
   * One connector reads two streams, each into its own topic from the {@code ${stream}} template,
   * each task one stream: the stream with more shards gets the spare task. Every record lands in
   * its stream's topic, in per-key order, and the REST offsets show both streams' shards.
   */
  @Test
  void severalStreamsEachGoToTheirOwnTopicAndShareTheTasks() throws Exception {
    createStream("clicks-eu", 2);
    createStream("clicks-us", 1);
    Map<String, String> props = sourceConfig("unused", "clicks.${stream}", "-2");
    props.remove("kinesis.stream");
    props.put("kinesis.streams", "clicks-eu,clicks-us");
    props.put("tasks.max", "3");
    props.put("name", "kinesis-two-streams");
    assertThat(kinesisErrors(props)).isEmpty();
    props.put("tasks.max", "1");
    assertThat(kinesisErrors(props)).containsOnlyKeys("tasks.max");
    assertThat(kinesisErrors(props).get("tasks.max")).contains("at least 2");
    props.put("tasks.max", "3");
    props.remove("name");

    cluster.connect().configureConnector("kinesis-two-streams", props);
    put("clicks-eu", 0, 3000, 60);
    put("clicks-us", 10_000, 11_000, 20);
    awaitRecords("clicks.clicks-eu", 3000);
    awaitRecords("clicks.clicks-us", 1000);

    List<ConsumerRecord<byte[], byte[]>> eu = all("clicks.clicks-eu");
    List<ConsumerRecord<byte[], byte[]>> us = all("clicks.clicks-us");
    assertThat(eu)
        .hasSize(3000)
        .allSatisfy(r -> assertThat(header(r, "kinesis.stream")).isEqualTo("clicks-eu"));
    assertThat(us)
        .hasSize(1000)
        .allSatisfy(r -> assertThat(header(r, "kinesis.stream")).isEqualTo("clicks-us"));
    assertPerKeyOrder(eu);
    assertPerKeyOrder(us);
    assertThat(
            cluster.connect().taskConfigs("kinesis-two-streams").stream()
                .map(
                    t ->
                        t.config().get("kinesis.stream")
                            + ":"
                            + ShardInfo.decodeAll(t.config().get(KinesisSourceConfig.TASK_SHARDS))
                                .size())
                .sorted()
                .toList())
        .containsExactly("clicks-eu:1", "clicks-eu:1", "clicks-us:1");
    Awaitility.await("both streams' positions saved")
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        cluster.connect().connectorOffsets("kinesis-two-streams").offsets().stream()
                            .map(o -> String.valueOf(o.partition().get("stream")))
                            .collect(Collectors.toSet()))
                    .containsExactlyInAnyOrder("clicks-eu", "clicks-us"));
  }

  /**
   * A stream given by ARN is read as by name: the region comes from the ARN, the positions are
   * keyed by the name (so GET offsets shows {"stream": "shared"}), and validation asks Kinesis
   * about it and refuses an ARN of a region the connector does not read. kinesalite answers by the
   * name sent next to the ARN; that the ARN is in each request is checked in ShardReaderTest and
   * KinesisTaskFaultsTest.
   */
  @Test
  void aStreamGivenByArnIsReadLikeANamedOne() throws Exception {
    createStream("shared", 2);
    put("shared", 0, 200, 8);
    String arn = "arn:aws:kinesis:" + KinesaliteServer.REGION + ":123456789012:stream/shared";
    Map<String, String> props = sourceConfig("unused", "by-arn.${stream}", "-2");
    props.put("kinesis.stream", arn);
    props.remove("kinesis.region");
    props.put("name", "kinesis-by-arn");
    assertThat(kinesisErrors(props)).isEmpty();
    Map<String, String> elsewhere = new HashMap<>(props);
    elsewhere.put("kinesis.region", "eu-west-1");
    assertThat(kinesisErrors(elsewhere)).containsOnlyKeys("kinesis.stream");
    assertThat(kinesisErrors(elsewhere).get("kinesis.stream"))
        .contains("region us-east-1 but the connector reads eu-west-1 (kinesis.region)");
    Map<String, String> missing = new HashMap<>(props);
    missing.put("kinesis.stream", arn.replace("/shared", "/not-shared"));
    assertThat(kinesisErrors(missing).get("kinesis.stream"))
        .contains("Stream " + arn.replace("/shared", "/not-shared") + " does not exist");

    cluster.connect().configureConnector("kinesis-by-arn", props);
    awaitRecords("by-arn.shared", 200);
    List<ConsumerRecord<byte[], byte[]>> records = all("by-arn.shared");
    assertThat(records).hasSize(200);
    assertPerKeyOrder(records);
    Awaitility.await("both shards' positions under the stream's name")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () ->
                assertThat(cluster.connect().connectorOffsets("kinesis-by-arn").offsets())
                    .filteredOn(o -> o.offset() != null && o.offset().get("sequence") != null)
                    .extracting(o -> String.valueOf(o.partition().get("stream")))
                    .containsExactly("shared", "shared"));
  }

  private void awaitRecords(String topic, int count) {
    Awaitility.await(count + " records in " + topic)
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> all(topic).size() >= count);
  }

  /** Splits each open shard of the stream at the middle of its hash keys. */
  private void splitEveryOpenShard(String stream) {
    for (Shard shard : kinesis.listShards(b -> b.streamName(stream)).shards()) {
      if (shard.sequenceNumberRange().endingSequenceNumber() != null) {
        continue;
      }
      java.math.BigInteger start = new java.math.BigInteger(shard.hashKeyRange().startingHashKey());
      java.math.BigInteger end = new java.math.BigInteger(shard.hashKeyRange().endingHashKey());
      String middle = start.add(end).shiftRight(1).toString();
      kinesis.splitShard(
          b -> b.streamName(stream).shardToSplit(shard.shardId()).newStartingHashKey(middle));
      kinesis.waiter().waitUntilStreamExists(b -> b.streamName(stream));
    }
  }

  /** Awaits task configs in which every task holds only open shards, this many each. */
  private void awaitOnlyOpenShardsPerTask(String connector, List<Integer> counts) {
    Awaitility.await("tasks holding only open shards, " + counts + " of them")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              List<List<ShardInfo>> perTask =
                  cluster.connect().taskConfigs(connector).stream()
                      .map(
                          t -> ShardInfo.decodeAll(t.config().get(KinesisSourceConfig.TASK_SHARDS)))
                      .toList();
              assertThat(perTask)
                  .allSatisfy(shards -> assertThat(shards).noneMatch(ShardInfo::closed));
              assertThat(perTask.stream().map(List::size).sorted().toList()).isEqualTo(counts);
            });
  }

  private static void assertPerKeyOrder(List<ConsumerRecord<byte[], byte[]>> records) {
    records.sort(
        java.util.Comparator.comparingInt((ConsumerRecord<byte[], byte[]> r) -> r.partition())
            .thenComparingLong(ConsumerRecord::offset));
    Map<String, Integer> last = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      String value = new String(record.value(), StandardCharsets.UTF_8);
      String key = value.substring(0, value.indexOf(':'));
      int n = Integer.parseInt(value.substring(value.indexOf(':') + 1));
      assertThat(n).as("order of " + key).isGreaterThan(last.getOrDefault(key, -1));
      last.put(key, n);
    }
  }

  /**
   * Puts aggregates [from, to) of 25 user records "u{n%7}:{n}" each, one PutRecord per aggregate.
   */
  private void putAggregates(String stream, int from, int to) {
    for (int a = from; a < to; a++) {
      KplAggregates aggregate = new KplAggregates();
      for (int n = a * 25; n < (a + 1) * 25; n++) {
        aggregate.add("u" + (n % 7), "u" + (n % 7) + ":" + n);
      }
      String key = "agg-" + a;
      kinesis.putRecord(
          b ->
              b.streamName(stream)
                  .partitionKey(key)
                  .data(SdkBytes.fromByteArray(aggregate.build())));
    }
  }

  @Test
  void kplAggregatesAreSplitIntoUserRecordsExactlyOnceAcrossARestart() throws Exception {
    createStream("kpl", 2);
    putAggregates("kpl", 0, 40);
    kinesis.putRecord(
        b -> b.streamName("kpl").partitionKey("plain").data(SdkBytes.fromUtf8String("plain:1")));
    byte[] corrupt = new KplAggregates().add("u0", "never split").build();
    corrupt[corrupt.length - 1] ^= 1;
    kinesis.putRecord(
        b -> b.streamName("kpl").partitionKey("corrupt").data(SdkBytes.fromByteArray(corrupt)));
    Map<String, String> props = sourceConfig("kpl", "kpl", "-2");
    // These aggregates mix keys of both shards, as no KPL would (it aggregates per shard): deliver
    // them all. aKplAggregateStraddlingASplit... covers the filter.
    props.put("kinesis.deaggregate.outside.shard", "deliver");
    cluster.connect().configureConnector("kinesis-kpl", props);
    values("kpl", 1002);

    cluster.connect().restartConnectorAndTasks("kinesis-kpl", false, true, false);
    putAggregates("kpl", 40, 50);
    Awaitility.await("1,252 records in Kafka")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> all("kpl").size() >= 1252);

    List<ConsumerRecord<byte[], byte[]>> records = all("kpl");
    assertThat(records).hasSize(1252);
    Map<String, String> keyByValue = new HashMap<>();
    ConsumerRecord<byte[], byte[]> passedThrough = null;
    for (ConsumerRecord<byte[], byte[]> record : records) {
      String key = new String(record.key(), StandardCharsets.UTF_8);
      if (key.equals("corrupt")) {
        passedThrough = record;
        continue;
      }
      String value = new String(record.value(), StandardCharsets.UTF_8);
      assertThat(keyByValue.put(value, key)).as("first delivery of " + value).isNull();
    }
    assertThat(passedThrough).as("the corrupt aggregate, whole").isNotNull();
    assertThat(passedThrough.value()).isEqualTo(corrupt);
    assertThat(header(passedThrough, "kinesis.sub.sequence.number")).isNull();
    assertThat(keyByValue).hasSize(1251).containsEntry("plain:1", "plain");
    for (int n = 0; n < 1250; n++) {
      assertThat(keyByValue).containsEntry("u" + (n % 7) + ":" + n, "u" + (n % 7));
    }
    assertThat(records)
        .filteredOn(r -> new String(r.key(), StandardCharsets.UTF_8).startsWith("u"))
        .allSatisfy(r -> assertThat(header(r, "kinesis.sub.sequence.number")).isNotNull());
  }

  private static java.math.BigInteger hashKeyOf(String partitionKey) {
    return new java.math.BigInteger(
        1, KplAggregates.md5(partitionKey.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * After a split, an aggregate put into the lower child holds user records whose hash keys lie in
   * the upper child (as the KPL writes it when its shard map is stale; its retrier then puts those
   * again into the upper child). By default they are dropped, counted and logged, as KCL does; with
   * deliver, every user record goes through.
   */
  @Test
  void aKplAggregateStraddlingASplitDropsTheUserRecordsOutsideItsShardUnlessToldToDeliver()
      throws Exception {
    createStream("straddle", 1);
    Shard parent = kinesis.listShards(b -> b.streamName("straddle")).shards().get(0);
    java.math.BigInteger middle =
        new java.math.BigInteger(parent.hashKeyRange().endingHashKey()).shiftRight(1);
    kinesis.splitShard(
        b ->
            b.streamName("straddle")
                .shardToSplit(parent.shardId())
                .newStartingHashKey(middle.toString()));
    kinesis.waiter().waitUntilStreamExists(b -> b.streamName("straddle"));
    KplAggregates aggregate = new KplAggregates();
    Set<String> lower = new HashSet<>();
    Set<String> upper = new HashSet<>();
    for (int n = 0; n < 40; n++) {
      String key = "s" + n;
      aggregate.add(key, key);
      (hashKeyOf(key).compareTo(middle) < 0 ? lower : upper).add(key);
    }
    assertThat(lower).isNotEmpty();
    assertThat(upper).isNotEmpty();
    kinesis.putRecord(
        b ->
            b.streamName("straddle")
                .partitionKey("aggregate")
                .explicitHashKey("1")
                .data(SdkBytes.fromByteArray(aggregate.build())));
    // The KPL's retrier: what landed in the wrong shard is put again into its own.
    for (String key : upper) {
      kinesis.putRecord(
          b -> b.streamName("straddle").partitionKey(key).data(SdkBytes.fromUtf8String(key)));
    }

    // The count lives in the task instance. Once the parent's SHARD_END is saved, the connector
    // spreads the children over both tasks, Connect restarts the tasks whose config changed, and
    // the restarted instance resumes after the aggregate with a count of zero. So the metric is
    // scraped from the start, every 50 ms as a dashboard would, and the highest sum seen is kept.
    AtomicReference<Double> highestCount = new AtomicReference<>(0.0);
    ScheduledExecutorService scraper = Executors.newSingleThreadScheduledExecutor();
    scraper.scheduleWithFixedDelay(
        () -> {
          try {
            double sum =
                pluginMetric("kinesis-straddle-drop", "task=*", "subrecords-outside-shard-total")
                    .values()
                    .stream()
                    .mapToDouble(v -> (Double) v)
                    .sum();
            highestCount.accumulateAndGet(sum, Math::max);
          } catch (Exception e) {
            // a bean unregistered between query and read, as a task restarts: the next scrape
          }
        },
        0,
        50,
        TimeUnit.MILLISECONDS);
    try {
      Map<String, String> dropping = sourceConfig("straddle", "straddle-drop", "-2");
      cluster.connect().configureConnector("kinesis-straddle-drop", dropping);
      Map<String, String> delivering = sourceConfig("straddle", "straddle-deliver", "-2");
      delivering.put("kinesis.deaggregate.outside.shard", "deliver");
      cluster.connect().configureConnector("kinesis-straddle-deliver", delivering);

      List<String> dropped = values("straddle-drop", 40);
      assertThat(dropped).hasSize(40).doesNotHaveDuplicates();
      Awaitility.await("the dropped user records counted")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> highestCount.get() >= upper.size());
      List<String> delivered = values("straddle-deliver", 40 + upper.size());
      assertThat(delivered).hasSize(40 + upper.size());
      assertThat(new HashSet<>(delivered)).hasSize(40);
      assertThat(all("straddle-drop")).hasSize(40);
      assertThat(highestCount.get())
          .as("each dropped record counted once")
          .isEqualTo((double) upper.size());
    } finally {
      scraper.shutdownNow();
    }
  }

  /**
   * A stream deleted and created again under the same name reuses its shard ids: the saved
   * positions of the old one must not be applied to it (a SHARD_END would skip the new shard, a
   * sequence number fail forever). The task fails and says how to start over.
   */
  @Test
  void aStreamDeletedAndCreatedAgainIsNotReadWithTheOldStreamsPositions() throws Exception {
    createStream("reborn", 1);
    put("reborn", 0, 10, 2);
    cluster.connect().configureConnector("kinesis-reborn", sourceConfig("reborn", "reborn", "-2"));
    values("reborn", 10);
    // Let Connect commit the positions of those ten before stopping (commit interval 10 s here).
    Awaitility.await("positions committed")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                cluster.connect().connectorOffsets("kinesis-reborn").offsets().stream()
                    .anyMatch(o -> o.offset() != null && o.offset().get("sequence") != null));
    cluster.connect().stopConnector("kinesis-reborn");
    cluster.connect().assertions().assertConnectorIsStopped("kinesis-reborn", "not stopped");
    kinesis.deleteStream(b -> b.streamName("reborn"));
    kinesis.waiter().waitUntilStreamNotExists(b -> b.streamName("reborn"));
    // kinesalite keeps creation times in whole seconds: create the new stream in a later one.
    long deletedInSecond = Instant.now().getEpochSecond();
    Awaitility.await("the next second")
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> Instant.now().getEpochSecond() > deletedInSecond);
    createStream("reborn", 1);
    put("reborn", 10, 20, 2);
    cluster.connect().resumeConnector("kinesis-reborn");
    cluster
        .connect()
        .assertions()
        .assertConnectorIsRunningAndTasksHaveFailed("kinesis-reborn", 1, "task did not fail");
    String trace = cluster.connect().connectorStatus("kinesis-reborn").tasks().get(0).trace();
    assertThat(trace)
        .contains("was deleted and created again", "DELETE /connectors/<name>/offsets");
    assertThat(all("reborn")).hasSize(10);
  }

  /** The values of one attribute of the connector's plugin-metrics MBeans, by MBean. */
  private static Map<ObjectName, Object> pluginMetric(String connector, String pattern, String name)
      throws Exception {
    MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    Map<ObjectName, Object> values = new HashMap<>();
    for (ObjectName bean :
        jmx.queryNames(
            new ObjectName("kafka.connect:type=plugins,connector=" + connector + "," + pattern),
            null)) {
      try {
        values.put(bean, jmx.getAttribute(bean, name));
      } catch (AttributeNotFoundException e) {
        // a bean of the same connector with other metrics
      }
    }
    return values;
  }

  @Test
  void metricsShowRecordsPerSecondAndMillisBehindLatestPerShard() throws Exception {
    createStream("metered", 2);
    put("metered", 0, 3000, 10);
    cluster
        .connect()
        .configureConnector("kinesis-metered", sourceConfig("metered", "metered", "-2"));
    values("metered", 3000);

    // The worker (in this JVM) reports its tasks' plugin metrics through JMX.
    Awaitility.await("records-total of both tasks adds up to 3,000")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                pluginMetric("kinesis-metered", "task=*", "records-total").values().stream()
                        .mapToDouble(v -> (Double) v)
                        .sum()
                    == 3000.0);
    Map<ObjectName, Object> rates = pluginMetric("kinesis-metered", "task=*", "records-rate");
    assertThat(rates).hasSize(2);
    assertThat(rates.values().stream().mapToDouble(v -> (Double) v).sum()).isPositive();
    Awaitility.await("both shards caught up")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              Map<ObjectName, Object> behind =
                  pluginMetric("kinesis-metered", "shard=*,*", "millis-behind-latest");
              assertThat(behind.keySet())
                  .extracting(bean -> bean.getKeyProperty("shard"))
                  .containsExactlyInAnyOrder("shardId-000000000000", "shardId-000000000001");
              assertThat(behind.values()).containsOnly(0L);
            });
  }

  @Test
  void validationThroughRestNamesEachBadKey() {
    Map<String, String> props = sourceConfig("x", "y", "yesterday");
    props.put("name", "validate-kinesis");
    props.put("batchsize", "20000");
    props.put("parallelism", "5");
    props.remove("kinesis.secret.access.key");
    var result =
        cluster
            .connect()
            .validateConnectorConfig(KinesisSourceConnector.class.getSimpleName(), props);
    Map<String, List<String>> errors =
        result.configs().stream()
            .filter(c -> !c.configValue().errors().isEmpty())
            .collect(Collectors.toMap(c -> c.configValue().name(), c -> c.configValue().errors()));
    assertThat(errors).containsKeys("start_offset", "batchsize", "parallelism");
    assertThat(errors.get("start_offset").get(0)).contains("AT_TIMESTAMP");
    assertThat(errors.get("parallelism").get(0)).contains("set tasks.max=5");
  }

  /**
   * Once the config holds together, validation asks Kinesis: a stream that is not there is named on
   * kinesis.stream, an endpoint out of reach on kinesis.url; an existing stream validates.
   */
  @Test
  void validationAsksKinesisForTheStreamAndNamesTheKeyToChange() {
    Map<String, String> props = sourceConfig("not-there", "t", "-2");
    props.put("name", "validate-live-kinesis");
    assertThat(kinesisErrors(props)).containsOnlyKeys("kinesis.stream");
    assertThat(kinesisErrors(props).get("kinesis.stream"))
        .contains("Stream not-there does not exist in region us-east-1", "create it");

    createStream("there", 1);
    props.put("kinesis.stream", "there");
    assertThat(kinesisErrors(props)).isEmpty();

    props.put("kinesis.url", "http://127.0.0.1:1");
    assertThat(kinesisErrors(props)).containsOnlyKeys("kinesis.url");
    assertThat(kinesisErrors(props).get("kinesis.url")).contains("Could not reach Kinesis");
  }

  private Map<String, String> kinesisErrors(Map<String, String> props) {
    return cluster
        .connect()
        .validateConnectorConfig(KinesisSourceConnector.class.getSimpleName(), props)
        .configs()
        .stream()
        .filter(c -> !c.configValue().errors().isEmpty())
        .collect(
            Collectors.toMap(
                c -> c.configValue().name(), c -> String.join(" | ", c.configValue().errors())));
  }
}
