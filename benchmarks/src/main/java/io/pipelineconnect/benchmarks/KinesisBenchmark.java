package io.pipelineconnect.benchmarks;

import io.pipelineconnect.kinesis.KinesisSourceConnector;
import io.pipelineconnect.testsupport.ForkedConnectWorker;
import io.pipelineconnect.testsupport.KinesaliteServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
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
        String stream = "bench-" + shards;
        kinesis.createStream(b -> b.streamName(stream).shardCount(shards));
        kinesis.waiter().waitUntilStreamExists(b -> b.streamName(stream));
        put(kinesis, stream, records);
      }
      double bare1 = bareLoop(kinesis, "bench-1", records);
      double bare4 = bareLoop(kinesis, "bench-4", records);

      EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, new Properties());
      kafka.start();
      try (ForkedConnectWorker worker = BenchmarkWorker.start(kafka.bootstrapServers())) {
        double connector1 = connector(kafka, worker, kinesalite, "bench-1", records, 1);
        double connector4 = connector(kafka, worker, kinesalite, "bench-4", records, 4);
        System.out.println();
        System.out.printf(
            Locale.ROOT,
            "Kinesis benchmark: %,d records of ~100 bytes per stream, kinesalite%n",
            records);
        System.out.printf(
            Locale.ROOT,
            "  1 shard : bare GetRecords loop %,10.0f rec/s | connector into Kafka %,10.0f rec/s | ratio %.2f%n",
            bare1,
            connector1,
            connector1 / bare1);
        System.out.printf(
            Locale.ROOT,
            "  4 shards: bare GetRecords loop %,10.0f rec/s | connector into Kafka %,10.0f rec/s | ratio %.2f%n",
            bare4,
            connector4,
            connector4 / bare4);
      } finally {
        kafka.stop();
      }
    }
    System.exit(0);
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

  /** Reads every shard from TRIM_HORIZON with GetRecords (Limit 10000) until all records came. */
  private static double bareLoop(KinesisClient kinesis, String stream, int records) {
    long start = System.nanoTime();
    int read = 0;
    for (Shard shard : kinesis.listShards(b -> b.streamName(stream)).shards()) {
      String iterator =
          kinesis
              .getShardIterator(
                  b ->
                      b.streamName(stream)
                          .shardId(shard.shardId())
                          .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
              .shardIterator();
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

  private static double connector(
      EmbeddedKafkaCluster kafka,
      ForkedConnectWorker worker,
      KinesaliteServer kinesalite,
      String stream,
      int records,
      int tasks)
      throws Exception {
    String topic = "out-" + stream;
    kafka.createTopic(topic, 4);
    String config =
        "{\"connector.class\": \""
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
    long start = System.nanoTime();
    BenchmarkWorker.put(worker, "connectors/kinesis-" + stream + "/config", config);
    while (true) {
      long total = 0;
      for (int p = 0; p < 4; p++) {
        total += kafka.endOffset(new TopicPartition(topic, p));
      }
      if (total >= records) {
        break;
      }
      Thread.sleep(20);
    }
    return records / ((System.nanoTime() - start) / 1e9);
  }
}
