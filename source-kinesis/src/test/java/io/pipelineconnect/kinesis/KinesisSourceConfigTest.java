package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Region names and credentials files are checked at validation, not by the SDK at task start. */
class KinesisSourceConfigTest {
  @Test
  void regionNamesOfEveryPartitionPassAndMadeUpOnesAreRefused() {
    for (String region :
        new String[] {
          "us-east-1",
          "eu-central-2",
          "ap-southeast-3",
          "us-gov-west-1",
          "cn-north-1",
          "us-isob-east-1",
          "il-central-1"
        }) {
      assertThatCode(() -> KinesisSourceConfig.regionName().ensureValid("kinesis.region", region))
          .as(region)
          .doesNotThrowAnyException();
    }
    for (String region : new String[] {"mars-central-9", "us east 1", "US-EAST-1", "us-east", ""}) {
      assertThatThrownBy(
              () -> KinesisSourceConfig.regionName().ensureValid("kinesis.region", region))
          .as(region)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("kinesis.region")
          .hasMessageContaining("us-east-1");
    }
  }

  @Test
  void aCredentialsFileMustBeThereAndReadable(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("credentials"), "[default]\n");
    assertThatCode(
            () ->
                KinesisSourceConfig.readableFile()
                    .ensureValid("kinesis.credentials.file", file.toString()))
        .doesNotThrowAnyException();
    assertThatCode(
            () -> KinesisSourceConfig.readableFile().ensureValid("kinesis.credentials.file", null))
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () ->
                KinesisSourceConfig.readableFile()
                    .ensureValid("kinesis.credentials.file", dir.resolve("missing").toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("No readable file there");
    assertThatThrownBy(
            () ->
                KinesisSourceConfig.readableFile()
                    .ensureValid("kinesis.credentials.file", dir.toString()))
        .isInstanceOf(ConfigException.class);
  }

  private static Map<String, String> minimal() {
    Map<String, String> props = new HashMap<>();
    props.put("kinesis.stream", "clicks");
    props.put("topic", "clicks");
    return props;
  }

  @Test
  void anExternalIdWithoutARoleIsRefusedWithoutEchoingIt() {
    Map<String, String> props = minimal();
    props.put("kinesis.role.external.id", "s3cret-shared-id");
    assertThatThrownBy(() -> new KinesisSourceConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kinesis.role.external.id")
        .hasMessageContaining("kinesis.role.arn")
        .hasMessageNotContaining("s3cret-shared-id");
    props.put("kinesis.role.arn", "arn:aws:iam::123456789012:role/reader");
    assertThatCode(() -> new KinesisSourceConfig(props)).doesNotThrowAnyException();
  }

  @Test
  void anStsEndpointWithoutARoleIsRefused() {
    Map<String, String> props = minimal();
    props.put("kinesis.sts.url", "http://localhost:1");
    assertThatThrownBy(() -> new KinesisSourceConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kinesis.sts.url");
  }

  @Test
  void sessionNamesFollowStsRules() {
    for (String name : new String[] {"pipeline-connect", "ab", "a_b+c=d,e.f@g-h", "x".repeat(64)}) {
      assertThatCode(
              () ->
                  KinesisSourceConfig.sessionName().ensureValid("kinesis.role.session.name", name))
          .as(name)
          .doesNotThrowAnyException();
    }
    for (String name : new String[] {"a", "x".repeat(65), "has space", "slash/no", "tö", ""}) {
      assertThatThrownBy(
              () ->
                  KinesisSourceConfig.sessionName().ensureValid("kinesis.role.session.name", name))
          .as(name)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("kinesis.role.session.name");
    }
  }

  @Test
  void exactlyOneOfStreamAndStreamsIsNamed() {
    Map<String, String> props = minimal();
    props.remove("kinesis.stream");
    assertThatThrownBy(() -> new KinesisSourceConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kinesis.stream")
        .hasMessageContaining("kinesis.streams");
    props.put("kinesis.streams", "a,b");
    assertThatCode(() -> new KinesisSourceConfig(props)).doesNotThrowAnyException();
    props.put("kinesis.stream", "c");
    assertThatThrownBy(() -> new KinesisSourceConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not both");
    props.remove("kinesis.stream");
    props.put("kinesis.streams", "a,b,a");
    assertThatThrownBy(() -> new KinesisSourceConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("named twice");
    props.put("kinesis.streams", "a,no/slash");
    assertThatThrownBy(() -> new KinesisSourceConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'no/slash' is neither a stream name");
  }

  @Test
  void aStreamArnGivesTheStreamsNameAndRegionAndReachesTheTasksAsGiven() {
    String arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
    Map<String, String> props = minimal();
    props.put("kinesis.stream", arn);
    props.put("topic", "raw.${stream}");
    KinesisSourceConfig config = new KinesisSourceConfig(props);
    assertThat(config.stream()).isEqualTo("orders");
    assertThat(config.streams()).containsExactly("orders");
    assertThat(config.streamRef().arn()).isEqualTo(arn);
    assertThat(config.region()).as("from the ARN").isEqualTo("eu-west-1");
    assertThat(config.topic()).isEqualTo("raw.orders");
    assertThat(config.forStream("orders")).containsEntry("kinesis.stream", arn);

    props.put("kinesis.region", "eu-west-1");
    assertThat(new KinesisSourceConfig(props).region()).isEqualTo("eu-west-1");
    props.put("kinesis.region", "us-east-1");
    assertThatThrownBy(() -> new KinesisSourceConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kinesis.stream")
        .hasMessageContaining(
            "region eu-west-1 but the connector reads us-east-1 (kinesis.region)");

    props.remove("kinesis.region");
    props.remove("kinesis.stream");
    props.put("kinesis.streams", "clicks,arn:aws-cn:kinesis:cn-north-1:123456789012:stream/views");
    KinesisSourceConfig mixed = new KinesisSourceConfig(props);
    assertThat(mixed.streams()).containsExactly("clicks", "views");
    assertThat(mixed.region()).isEqualTo("cn-north-1");
    assertThat(mixed.streamRefs().get(0).arn()).isNull();

    props.put("kinesis.streams", "orders," + arn);
    assertThatThrownBy(() -> new KinesisSourceConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("named twice");
    props.put("kinesis.streams", arn + ",arn:aws:kinesis:us-west-2:123456789012:stream/views");
    assertThatThrownBy(() -> new KinesisSourceConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("region us-west-2 but the connector reads eu-west-1");
    for (String bad :
        new String[] {
          "arn:aws:kinesis:eu-west-1:12345:stream/orders",
          "arn:aws:sqs:eu-west-1:123456789012:orders",
          "arn:aws:kinesis:eu-west-1:123456789012:stream/",
          "arn:aws:kinesis:mars-central-9x:123456789012:stream/orders"
        }) {
      props.put("kinesis.streams", bad);
      assertThatThrownBy(() -> new KinesisSourceConfig(props))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("kinesis.streams");
    }
  }

  @Test
  void eachStreamsConfigNamesItAndFillsTheTopicTemplates() {
    Map<String, String> props = minimal();
    props.remove("kinesis.stream");
    props.put("kinesis.streams", "eu,us");
    props.put("topic", "clicks.${stream}");
    props.put("kinesis.markers.topic", "marks.${stream}");
    KinesisSourceConfig connector = new KinesisSourceConfig(props);
    assertThat(connector.streams()).containsExactly("eu", "us");
    assertThat(connector.streamsKey()).isEqualTo("kinesis.streams");

    KinesisSourceConfig us = new KinesisSourceConfig(connector.forStream("us"));
    assertThat(us.stream()).isEqualTo("us");
    assertThat(us.streams()).containsExactly("us");
    assertThat(us.topic()).isEqualTo("clicks.us");
    assertThat(us.markersTopic()).isEqualTo("marks.us");

    props.remove("kinesis.markers.topic");
    KinesisSourceConfig eu =
        new KinesisSourceConfig(new KinesisSourceConfig(props).forStream("eu"));
    assertThat(eu.markersTopic()).isEqualTo("clicks.eu.kinesis-markers");
  }
}
