package io.pipelineconnect.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * kinesalite answers the AWS SDK v2 the way the Kinesis source will use it: over HTTP/1.1 with CBOR
 * off (the build passes {@code -Daws.cborEnabled=false}).
 */
class KinesaliteIT {
  @RegisterExtension static final KinesaliteExtension KINESIS = new KinesaliteExtension();

  @Test
  void createsAStreamAndReadsBackWhatWasPut() {
    assertThat(System.getProperty("aws.cborEnabled")).isEqualTo("false");
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
      kinesis.createStream(b -> b.streamName("smoke").shardCount(2));
      kinesis.waiter().waitUntilStreamExists(b -> b.streamName("smoke"));
      Instant before = Instant.now().minusSeconds(5);
      kinesis.putRecord(
          b -> b.streamName("smoke").partitionKey("k").data(SdkBytes.fromUtf8String("hello")));

      List<String> shards =
          kinesis.listShards(b -> b.streamName("smoke")).shards().stream()
              .map(s -> s.shardId())
              .toList();
      assertThat(shards).hasSize(2);
      List<Record> records =
          shards.stream()
              .flatMap(
                  shard -> {
                    String iterator =
                        kinesis
                            .getShardIterator(
                                b ->
                                    b.streamName("smoke")
                                        .shardId(shard)
                                        .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                            .shardIterator();
                    return kinesis.getRecords(b -> b.shardIterator(iterator)).records().stream();
                  })
              .toList();
      assertThat(records).hasSize(1);
      assertThat(records.get(0).data().asUtf8String()).isEqualTo("hello");
      assertThat(records.get(0).partitionKey()).isEqualTo("k");
      // With CBOR off, arrival times are real, not in 1970.
      assertThat(records.get(0).approximateArrivalTimestamp()).isAfter(before);
    }
  }
}
