package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelineconnect.testsupport.ForkedConnectWorker;
import io.pipelineconnect.testsupport.ForkedWorkerClusterExtension;
import io.pipelineconnect.testsupport.KafkaConnectCluster;
import io.pipelineconnect.testsupport.KinesaliteExtension;
import io.pipelineconnect.testsupport.KinesaliteServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.awaitility.Awaitility;
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

/** KIP-618: a worker reading Kinesis is SIGKILLed mid-stream; read_committed sees no duplicates. */
class KinesisExactlyOnceIT {
  @RegisterExtension static final KinesaliteExtension KINESIS = new KinesaliteExtension();

  @RegisterExtension
  static final ForkedWorkerClusterExtension CLUSTER =
      ForkedWorkerClusterExtension.configured(KafkaConnectCluster.Builder::exactlyOnceSource);

  private KafkaConnectCluster cluster;
  private ForkedConnectWorker forked;

  @BeforeEach
  void fixtures() {
    cluster = CLUSTER.cluster();
    forked = CLUSTER.forked();
  }

  @Test
  void aKilledWorkerLeavesNoDuplicates() throws Exception {
    try (KinesisClient kinesis =
        KinesisClient.builder()
            .endpointOverride(KINESIS.server().endpoint())
            .region(Region.of(KinesaliteServer.REGION))
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(
                        KinesaliteServer.ACCESS_KEY, KinesaliteServer.SECRET_KEY)))
            .httpClient(UrlConnectionHttpClient.create())
            .build()) {
      kinesis.createStream(b -> b.streamName("eos").shardCount(4));
      kinesis.waiter().waitUntilStreamExists(b -> b.streamName("eos"));
      cluster.kafka().createTopic("eos", 4);

      Map<String, String> props = new HashMap<>();
      props.put("connector.class", KinesisSourceConnector.class.getName());
      props.put("tasks.max", "4");
      props.put("exactly.once.support", "required");
      props.put("kinesis.stream", "eos");
      props.put("topic", "eos");
      props.put("start_offset", "-2");
      props.put("batchsize", "100");
      props.put("kinesis.url", KINESIS.server().endpoint().toString());
      props.put("kinesis.access.key.id", KinesaliteServer.ACCESS_KEY);
      props.put("kinesis.secret.access.key", KinesaliteServer.SECRET_KEY);
      props.put("kinesis.cbor", "false");
      props.put("kinesis.idle.wait.ms", "200");
      props.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
      props.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
      props.put("topic.creation.default.replication.factor", "1");
      props.put("topic.creation.default.partitions", "1");
      cluster.connect().configureConnector("kinesis-eos", props);
      cluster
          .connect()
          .assertions()
          .assertConnectorAndExactlyNumTasksAreRunning("kinesis-eos", 4, "not running");
      Awaitility.await("a task on the forked worker")
          .atMost(Duration.ofSeconds(60))
          .until(() -> cluster.taskWorkers("kinesis-eos").contains(forked.workerId()));

      int total = 20_000;
      put(kinesis, 0, total / 2);
      Awaitility.await("reading under way")
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions() // consume() throws until a record is there
          .until(
              () ->
                  cluster
                          .kafka()
                          .consume(1, 1000, Map.of("isolation.level", "read_committed"), "eos")
                          .count()
                      > 0);
      forked.kill();
      java.nio.file.Files.copy(
          forked.logFile(),
          java.nio.file.Path.of("/tmp/forked-eos.log"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      put(kinesis, total / 2, total);

      Map<String, Object> readCommitted = Map.of("isolation.level", "read_committed");
      Awaitility.await("all records committed")
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(2))
          .until(
              () ->
                  cluster.kafka().consumeAll(30_000, readCommitted, null, "eos").count() >= total);
      ConsumerRecords<byte[], byte[]> records =
          cluster.kafka().consumeAll(30_000, readCommitted, null, "eos");
      Set<String> distinct = new HashSet<>();
      List<String> duplicates = new ArrayList<>();
      records.forEach(
          r -> {
            String value = new String(r.value(), StandardCharsets.UTF_8);
            if (!distinct.add(value) && duplicates.size() < 10) {
              duplicates.add(
                  value
                      + " from "
                      + new String(
                          r.headers().lastHeader("kinesis.shard.id").value(),
                          StandardCharsets.UTF_8)
                      + " seq "
                      + new String(
                          r.headers().lastHeader("kinesis.sequence.number").value(),
                          StandardCharsets.UTF_8)
                      + " at partition "
                      + r.partition()
                      + " offset "
                      + r.offset());
            }
          });
      assertThat(distinct).hasSize(total);
      assertThat(duplicates).as("duplicated records").isEmpty();
      assertThat(records.count()).isEqualTo(total);
    }
  }

  private static void put(KinesisClient kinesis, int from, int to) {
    List<PutRecordsRequestEntry> batch = new ArrayList<>();
    for (int n = from; n < to; n++) {
      batch.add(
          PutRecordsRequestEntry.builder()
              .partitionKey("k" + (n % 64))
              .data(SdkBytes.fromUtf8String("r" + n))
              .build());
      if (batch.size() == 500 || n == to - 1) {
        List<PutRecordsRequestEntry> entries = List.copyOf(batch);
        kinesis.putRecords(b -> b.streamName("eos").records(entries));
        batch.clear();
      }
    }
  }
}
