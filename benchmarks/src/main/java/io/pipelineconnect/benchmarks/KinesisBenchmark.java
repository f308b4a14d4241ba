package io.pipelineconnect.benchmarks;

import io.pipelineconnect.kinesis.KinesisSourceConnector;
import io.pipelineconnect.testsupport.ForkedConnectWorker;
import io.pipelineconnect.testsupport.KinesaliteServer;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * The Kinesis source against a bare GetRecords loop over the same kinesalite streams, in the same
 * run: records/s from one shard and from four, into Kafka. Prints figures; asserts nothing.
 *
 * <p>Each shard count is measured twice: cold, a new connector on a loaded stream, from its
 * creation until every record is in Kafka (connector start, task start and topic creation
 * included); and warm, a connector that is running but paused while its stream is loaded, from
 * resume until every record is in Kafka: the path a running connector takes for a burst, and the
 * one comparable to the bare loop, which has no start-up to pay.
 *
 * <p>The split scenario: 2 shards split into 4 under a running connector with {@code tasks.max=4};
 * once the parents' ends are saved and the children spread over the 4 tasks, the stream is loaded
 * while the connector is paused and read after resume, against the bare loop over a stream split
 * the same way.
 */
public final class KinesisBenchmark {
  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 40_000;
    try (KinesaliteServer kinesalite = KinesaliteServer.start();
        KinesisClient kinesis =
            KinesisClient.builder()
                .endpointOverride(kinesalite.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(
                    StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                .httpClient(UrlConnectionHttpClient.create())
                .build()) {
      for (int shards : new int[] {1, 4}) {
        for (String stream : List.of("bench-" + shards, "warm-" + shards)) {
          kinesis.createStream(b -> b.streamName(stream).shardCount(shards));
          kinesis.waiter().waitUntilStreamExists(b -> b.streamName(stream));
        }
        put(kinesis, "bench-" + shards, records);
      }
      for (String stream : List.of("bare-split", "split")) {
        kinesis.createStream(b -> b.streamName(stream).shardCount(2));
        kinesis.waiter().waitUntilStreamExists(b -> b.streamName(stream));
      }
      splitEveryOpenShard(kinesis, "bare-split");
      put(kinesis, "bare-split", records);
      double bare1 = bareLoop(kinesis, "bench-1", records);
      double bare4 = bareLoop(kinesis, "bench-4", records);
      double paced1 = pacedLoop(kinesis, "bench-1", records);
      double paced4 = pacedLoop(kinesis, "bench-4", records);
      double bareSplit = bareLoop(kinesis, "bare-split", records);
      double pacedSplit = pacedLoop(kinesis, "bare-split", records);

      EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, new Properties());
      kafka.start();
      try (ForkedConnectWorker worker = BenchmarkWorker.start(kafka.bootstrapServers())) {
        double connector1 = connector(kafka, worker, kinesalite, "bench-1", records, 1);
        double connector4 = connector(kafka, worker, kinesalite, "bench-4", records, 4);
        double warm1 = warm(kafka, worker, kinesalite, kinesis, "warm-1", records, 1);
        double warm4 = warm(kafka, worker, kinesalite, kinesis, "warm-4", records, 4);
        double split = afterSplit(kafka, worker, kinesalite, kinesis, "split", records);
        // The same loaded streams again, cold, with the connector's default batchsize and idle
        // wait instead of the tuned ones above.
        double defaults1 = connector(kafka, worker, kinesalite, "bench-1", records, 1, false);
        double defaults4 = connector(kafka, worker, kinesalite, "bench-4", records, 4, false);
        System.out.println();
        System.out.printf(
            Locale.ROOT,
            "Kinesis benchmark: %,d records of ~100 bytes per stream, kinesalite%n",
            records);
        print("1 shard ", bare1, paced1, connector1, warm1);
        print("4 shards", bare4, paced4, connector4, warm4);
        System.out.printf(
            Locale.ROOT,
            "  2 shards split into 4, tasks.max=4, warm after the children spread: bare loop"
                + " %,8.0f rec/s, paced loop %,8.0f rec/s | connector %,8.0f rec/s (%.2f of bare,"
                + " %.2f of paced)%n",
            bareSplit,
            pacedSplit,
            split,
            split / bareSplit,
            split / pacedSplit);
        System.out.printf(
            Locale.ROOT,
            "  defaults (batchsize, kinesis.idle.wait.ms unset), cold: 1 shard %,8.0f rec/s (%.2f"
                + " of tuned cold), 4 shards %,8.0f rec/s (%.2f of tuned cold)%n",
            defaults1,
            defaults1 / connector1,
            defaults4,
            defaults4 / connector4);
        System.out.println(
            "  (the paced loop keeps Kinesis's per-shard limits, as the connector does: 5 calls/s"
                + " and 2 MiB/s; the bare loop ignores them)");
      } finally {
        kafka.stop();
      }
    }
    System.exit(0);
  }

  private static void print(
      String shards, double bare, double paced, double connector, double warm) {
    System.out.printf(
        Locale.ROOT,
        "  %s: bare GetRecords loop %,8.0f rec/s, paced loop %,8.0f rec/s | connector cold"
            + " %,8.0f rec/s (%.2f of bare, %.2f of paced) | warm %,8.0f rec/s (%.2f of bare,"
            + " %.2f of paced)%n",
        shards,
        bare,
        paced,
        connector,
        connector / bare,
        connector / paced,
        warm,
        warm / bare,
        warm / paced);
  }

  private static void put(KinesisClient kinesis, String stream, int records) {
    List<PutRecordsRequestEntry> batch = new ArrayList<>();
    String padding = "x".repeat(80);
    for (int n = 0; n < records; n++) {
      batch.add(
          PutRecordsRequestEntry.builder()
              .partitionKey("k" + n)
              .data(SdkBytes.fromUtf8String(n + ":" + padding))
              .build());
      if (batch.size() == 500 || n == records - 1) {
        List<PutRecordsRequestEntry> entries = List.copyOf(batch);
        kinesis.putRecords(b -> b.streamName(stream).records(entries));
        batch.clear();
      }
    }
  }

  private static String trimHorizon(KinesisClient kinesis, String stream, Shard shard) {
    return kinesis
        .getShardIterator(
            b ->
                b.streamName(stream)
                    .shardId(shard.shardId())
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
        .shardIterator();
  }

  /** Reads every shard from TRIM_HORIZON with GetRecords (Limit 10000) until all records came. */
  private static double bareLoop(KinesisClient kinesis, String stream, int records) {
    long start = System.nanoTime();
    int read = 0;
    for (Shard shard : kinesis.listShards(b -> b.streamName(stream)).shards()) {
      String iterator = trimHorizon(kinesis, stream, shard);
      while (iterator != null) {
        String current = iterator;
        GetRecordsResponse response =
            kinesis.getRecords(b -> b.shardIterator(current).limit(10_000));
        read += response.records().size();
        if (response.records().isEmpty()) {
          break;
        }
        iterator = response.nextShardIterator();
      }
    }
    if (read != records) {
      throw new IllegalStateException("bare loop read " + read);
    }
    return records / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * Reads every shard from TRIM_HORIZON as fast as Kinesis's per-shard limits allow, the shards in
   * turn: a shard is asked at most every 200 ms, and after a page of B bytes not before B / 2 MiB/s
   * have passed since the call began. The best any reader that respects those limits can do.
   */
  private static double pacedLoop(KinesisClient kinesis, String stream, int records)
      throws InterruptedException {
    long start = System.nanoTime();
    Map<String, String> iterators = new LinkedHashMap<>();
    Map<String, Long> nextCallAt = new HashMap<>();
    for (Shard shard : kinesis.listShards(b -> b.streamName(stream)).shards()) {
      iterators.put(shard.shardId(), trimHorizon(kinesis, stream, shard));
      nextCallAt.put(shard.shardId(), 0L);
    }
    int read = 0;
    while (!iterators.isEmpty()) {
      String shard = null;
      for (String candidate : iterators.keySet()) {
        if (shard == null || nextCallAt.get(candidate) < nextCallAt.get(shard)) {
          shard = candidate;
        }
      }
      long wait = nextCallAt.get(shard) - System.currentTimeMillis();
      if (wait > 0) {
        Thread.sleep(wait);
      }
      long calledAt = System.currentTimeMillis();
      String iterator = iterators.get(shard);
      GetRecordsResponse response =
          kinesis.getRecords(b -> b.shardIterator(iterator).limit(10_000));
      long bytes = 0;
      for (var record : response.records()) {
        bytes += record.data().asByteBuffer().remaining();
      }
      read += response.records().size();
      if (response.records().isEmpty() || response.nextShardIterator() == null) {
        iterators.remove(shard);
      } else {
        iterators.put(shard, response.nextShardIterator());
        nextCallAt.put(shard, calledAt + Math.max(200, bytes * 1000 / (2L * 1024 * 1024)));
      }
    }
    if (read != records) {
      throw new IllegalStateException("paced loop read " + read);
    }
    return records / ((System.nanoTime() - start) / 1e9);
  }

  private static double connector(
      EmbeddedKafkaCluster kafka,
      ForkedConnectWorker worker,
      KinesaliteServer kinesalite,
      String stream,
      int records,
      int tasks)
      throws Exception {
    return connector(kafka, worker, kinesalite, stream, records, tasks, true);
  }

  /**
   * @param tuned batchsize 10000 and a 200 ms idle wait, or the connector's defaults
   */
  private static double connector(
      EmbeddedKafkaCluster kafka,
      ForkedConnectWorker worker,
      KinesaliteServer kinesalite,
      String stream,
      int records,
      int tasks,
      boolean tuned)
      throws Exception {
    String name = (tuned ? "" : "defaults-") + stream;
    String topic = "out-" + name;
    kafka.createTopic(topic, 4);
    long start = System.nanoTime();
    String config = connectorConfig(kinesalite, stream, topic, tasks);
    if (!tuned) {
      config =
          config
              .replace(" \"batchsize\": \"10000\",", "")
              .replace(" \"kinesis.idle.wait.ms\": \"200\",", "");
      if (config.contains("batchsize") || config.contains("idle.wait")) {
        throw new IllegalStateException("the defaults run still sets a tuned key: " + config);
      }
    }
    BenchmarkWorker.put(worker, "connectors/kinesis-" + name + "/config", config);
    awaitRecords(kafka, topic, records);
    return records / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * A running connector, paused while its empty stream is loaded, then resumed: records/s from
   * resume until every record is in Kafka.
   */
  private static double warm(
      EmbeddedKafkaCluster kafka,
      ForkedConnectWorker worker,
      KinesaliteServer kinesalite,
      KinesisClient kinesis,
      String stream,
      int records,
      int tasks)
      throws Exception {
    String topic = "out-" + stream;
    String connector = "connectors/kinesis-" + stream;
    kafka.createTopic(topic, 4);
    BenchmarkWorker.put(
        worker, connector + "/config", connectorConfig(kinesalite, stream, topic, tasks));
    int warmUps = warmUpEachOpenShard(kinesis, stream);
    awaitRecords(kafka, topic, warmUps);
    return pauseLoadResume(kafka, worker, kinesis, connector, stream, topic, records, warmUps);
  }

  /**
   * A connector with {@code tasks.max=4} reads a 2-shard stream whose shards are then split in two;
   * once the monitor has seen the parents' saved ends and handed the 4 children to 4 tasks, the
   * stream is loaded while paused and read after resume, as in {@link #warm}.
   */
  private static double afterSplit(
      EmbeddedKafkaCluster kafka,
      ForkedConnectWorker worker,
      KinesaliteServer kinesalite,
      KinesisClient kinesis,
      String stream,
      int records)
      throws Exception {
    String topic = "out-" + stream;
    String connector = "connectors/kinesis-" + stream;
    kafka.createTopic(topic, 4);
    BenchmarkWorker.put(
        worker, connector + "/config", connectorConfig(kinesalite, stream, topic, 4));
    int warmUps = warmUpEachOpenShard(kinesis, stream);
    awaitRecords(kafka, topic, warmUps);
    splitEveryOpenShard(kinesis, stream);
    // The parents' SHARD_END is saved with the worker's offset flush (60 s by default), and the
    // monitor (every 30 s) then spreads the children.
    long deadline = System.currentTimeMillis() + 5 * 60_000;
    while (taskCount(BenchmarkWorker.get(worker, connector + "/tasks")) != 4) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(
            "the children of the split were not spread over 4 tasks within 5 minutes: "
                + BenchmarkWorker.get(worker, connector + "/tasks"));
      }
      Thread.sleep(500);
    }
    warmUps += warmUpEachOpenShard(kinesis, stream);
    awaitRecords(kafka, topic, warmUps);
    return pauseLoadResume(kafka, worker, kinesis, connector, stream, topic, records, warmUps);
  }

  /** The number of tasks in a {@code GET /connectors/<name>/tasks} answer. */
  private static int taskCount(String tasksJson) {
    return tasksJson.split("\"task\"\\s*:", -1).length - 1;
  }

  /** One record per open shard, so each shard's reader has an iterator in hand: how many. */
  private static int warmUpEachOpenShard(KinesisClient kinesis, String stream) {
    int count = 0;
    for (Shard shard : kinesis.listShards(b -> b.streamName(stream)).shards()) {
      if (shard.sequenceNumberRange().endingSequenceNumber() != null) {
        continue;
      }
      kinesis.putRecord(
          b ->
              b.streamName(stream)
                  .explicitHashKey(shard.hashKeyRange().startingHashKey())
                  .partitionKey("warm-up")
                  .data(SdkBytes.fromUtf8String("warm-up")));
      count++;
    }
    return count;
  }

  /** Splits each open shard at the middle of its hash keys. */
  private static void splitEveryOpenShard(KinesisClient kinesis, String stream) {
    for (Shard shard : kinesis.listShards(b -> b.streamName(stream)).shards()) {
      if (shard.sequenceNumberRange().endingSequenceNumber() != null) {
        continue;
      }
      BigInteger start = new BigInteger(shard.hashKeyRange().startingHashKey());
      BigInteger end = new BigInteger(shard.hashKeyRange().endingHashKey());
      String middle = start.add(end).shiftRight(1).toString();
      kinesis.splitShard(
          b -> b.streamName(stream).shardToSplit(shard.shardId()).newStartingHashKey(middle));
      kinesis.waiter().waitUntilStreamExists(b -> b.streamName(stream));
    }
  }

  /** Pauses the connector, loads the stream, resumes: records/s until all are in Kafka. */
  private static double pauseLoadResume(
      EmbeddedKafkaCluster kafka,
      ForkedConnectWorker worker,
      KinesisClient kinesis,
      String connector,
      String stream,
      String topic,
      int records,
      int alreadyIn)
      throws Exception {
    BenchmarkWorker.put(worker, connector + "/pause", "");
    while (true) {
      String status = BenchmarkWorker.get(worker, connector + "/status");
      if (status.contains("PAUSED") && !status.contains("RUNNING")) {
        break;
      }
      Thread.sleep(20);
    }
    put(kinesis, stream, records);
    long start = System.nanoTime();
    BenchmarkWorker.put(worker, connector + "/resume", "");
    awaitRecords(kafka, topic, alreadyIn + records);
    return records / ((System.nanoTime() - start) / 1e9);
  }

  private static String connectorConfig(
      KinesaliteServer kinesalite, String stream, String topic, int tasks) {
    return "{\"connector.class\": \""
        + KinesisSourceConnector.class.getName()
        + "\", \"tasks.max\": \""
        + tasks
        + "\","
        + " \"kinesis.stream\": \""
        + stream
        + "\", \"topic\": \""
        + topic
        + "\", \"start_offset\": \"-2\","
        + " \"batchsize\": \"10000\", \"kinesis.url\": \""
        + kinesalite.endpoint()
        + "\","
        + " \"kinesis.access.key.id\": \"a\", \"kinesis.secret.access.key\": \"b\", \"kinesis.cbor\": \"false\","
        + " \"kinesis.idle.wait.ms\": \"200\", \"topic.creation.default.replication.factor\": \"1\","
        + " \"topic.creation.default.partitions\": \"1\"}";
  }

  /**
   * Waits until the topic's four partitions hold {@code records}. One admin client asks: the test
   * kit's endOffset() makes a new one per call, which every 20 ms would take the CPU the run is
   * measuring.
   */
  private static void awaitRecords(EmbeddedKafkaCluster kafka, String topic, long records)
      throws Exception {
    Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
    for (int p = 0; p < 4; p++) {
      ends.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    try (Admin admin = kafka.createAdminClient()) {
      while (true) {
        long total = 0;
        for (var end : admin.listOffsets(ends).all().get().values()) {
          total += end.offset();
        }
        if (total >= records) {
          return;
        }
        Thread.sleep(20);
      }
    }
  }
}
