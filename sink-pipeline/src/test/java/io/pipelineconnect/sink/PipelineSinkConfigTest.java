package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;

class PipelineSinkConfigTest {
  private static Map<String, String> valid() {
    Map<String, String> props = new HashMap<>();
    props.put("name", "s");
    props.put("connector.class", PipelineSinkConnector.class.getName());
    props.put("topics", "t");
    props.put("tasks.max", "2");
    props.put("connection.url", "jdbc:postgresql://db/x");
    props.put("stream", "page_views");
    props.put("kafka.bootstrap.servers", "localhost:9092");
    return props;
  }

  private static List<String> errorsFor(Map<String, String> props, String key) {
    return new PipelineSinkConnector()
        .validate(props).configValues().stream()
            .filter(v -> v.name().equals(key))
            .map(ConfigValue::errorMessages)
            .findFirst()
            .orElseThrow();
  }

  /**
   * Every error validate() reports, as key: message. With no errors in the config it goes on to ask
   * the database, which these tests have not: that one finding is named on connection.url.
   */
  private static List<String> allErrors(Map<String, String> props) {
    return new PipelineSinkConnector()
        .validate(props).configValues().stream()
            .flatMap(v -> v.errorMessages().stream().map(m -> v.name() + ": " + m))
            .toList();
  }

  private static final String NO_DATABASE_HERE =
      "connection.url: Could not connect to jdbc:postgresql://db/x within 5 s";

  @Test
  void aValidConfigHasNoErrorsButTheDatabaseItCannotReach() {
    assertThat(allErrors(valid())).singleElement().asString().startsWith(NO_DATABASE_HERE);
    PipelineSinkConfig config = new PipelineSinkConfig(valid());
    assertThat(config.batchSize(false)).isEqualTo(20_000);
    assertThat(config.batchSize(true)).isEqualTo(1000);
    assertThat(config.maxBytes()).isEqualTo(32_000_000);
    assertThat(config.startOffset()).isEqualTo(PipelineSinkConfig.StartOffset.END);
    assertThat(config.offsetsTable().quoted()).isEqualTo("\"pipeline_connect\".\"sink_offsets\"");
  }

  @Test
  void aBatchSizeGivenHoldsIntoStreamsToo() {
    Map<String, String> props = valid();
    props.put("batchsize", "5000");
    PipelineSinkConfig config = new PipelineSinkConfig(props);
    assertThat(config.batchSize(false)).isEqualTo(5000);
    assertThat(config.batchSize(true)).isEqualTo(5000);
  }

  @Test
  void eachBadOptionIsReportedOnItsKey() {
    Map<String, String> props = valid();
    props.put("start_offset", "42");
    assertThat(errorsFor(props, "start_offset")).singleElement().asString().contains("-2");

    props = valid();
    props.put("parallelism", "4");
    assertThat(errorsFor(props, "parallelism")).singleElement().asString().contains("tasks.max=4");

    props = valid();
    props.put("stream.format", "raw_${topic}");
    assertThat(errorsFor(props, "stream")).singleElement().asString().contains("exactly one");

    props = valid();
    props.remove("stream");
    props.put("stream.format", "raw");
    assertThat(errorsFor(props, "stream.format")).singleElement().asString().contains("${topic}");

    props = valid();
    props.remove("kafka.bootstrap.servers");
    assertThat(errorsFor(props, "kafka.bootstrap.servers"))
        .singleElement()
        .asString()
        .contains("start_offset=-2");
    props.put("start_offset", "-2");
    assertThat(errorsFor(props, "kafka.bootstrap.servers")).isEmpty();

    props = valid();
    props.put("batchsize", "0");
    assertThat(errorsFor(props, "batchsize")).isNotEmpty();

    props = valid();
    props.put("format", "text");
    props.put("quote", "'");
    assertThat(errorsFor(props, "quote")).singleElement().asString().contains("csv");

    props = valid();
    props.put("connection.url", "postgres://db");
    assertThat(errorsFor(props, "connection.url")).isNotEmpty();
  }

  @Test
  void keyNamedTargetsNeedAnAllowListThatCompiles() {
    Map<String, String> props = valid();
    props.remove("stream");
    props.put("stream.from.key", "true");
    assertThat(errorsFor(props, "stream.from.key.allowed"))
        .singleElement()
        .asString()
        .contains("stream.from.key.allowed=");

    props.put("stream.from.key.allowed", "analytics\\.(");
    assertThat(errorsFor(props, "stream.from.key.allowed"))
        .singleElement()
        .asString()
        .contains("Not a regular expression");

    props.put("stream.from.key.allowed", "analytics\\..*");
    assertThat(allErrors(props)).singleElement().asString().startsWith(NO_DATABASE_HERE);
  }

  private static Map<String, String> upsert() {
    Map<String, String> props = valid();
    props.put("format", "json");
    props.put("insert.mode", "upsert");
    props.put("pk.mode", "record_key");
    return props;
  }

  @Test
  void managedTablesAreRefusedWhereARecordWouldChooseThemOrNoSchemaExists() {
    Map<String, String> props = valid();
    props.put("format", "json");
    props.put("auto.create", "true");
    props.put("auto.evolve", "true");
    PipelineSinkConfig config = new PipelineSinkConfig(props);
    assertThat(config.autoCreate()).isTrue();
    assertThat(config.autoEvolve()).isTrue();

    props.remove("stream");
    props.put("stream.from.key", "true");
    props.put("stream.from.key.allowed", "public\\..*");
    assertThat(errorsFor(props, "auto.create"))
        .singleElement()
        .asString()
        .contains("stream.from.key", "must not");

    props = valid();
    props.put("auto.evolve", "true");
    assertThat(errorsFor(props, "auto.evolve"))
        .singleElement()
        .asString()
        .contains("format=text", "schemas.enable=true");

    props = valid();
    props.put("format", "json");
    props.put("columns", "a,b");
    props.put("auto.evolve", "true");
    assertThat(errorsFor(props, "auto.evolve")).singleElement().asString().contains("columns");
  }

  @Test
  void metadataColumnsAndKafkaKeysAreCheckedOnTheKeyToChange() {
    Map<String, String> props = valid();
    props.put("format", "json");
    props.put("metadata.columns", "offset:src_offset, key:k");
    MetadataColumns metadata = new PipelineSinkConfig(props).metadataColumns();
    assertThat(metadata.source("src_offset")).isEqualTo(MetadataColumns.Source.OFFSET);
    assertThat(metadata.source("k")).isEqualTo(MetadataColumns.Source.KEY);
    assertThat(metadata.source("v")).isNull();

    props.put("metadata.columns", "headers:h");
    assertThat(errorsFor(props, "metadata.columns"))
        .singleElement()
        .asString()
        .contains("headers:h", "topic, partition, offset, timestamp, key");
    props.put("metadata.columns", "src_offset");
    assertThat(errorsFor(props, "metadata.columns"))
        .singleElement()
        .asString()
        .contains("source:column");
    props.put("metadata.columns", "offset:o, partition:o");
    assertThat(errorsFor(props, "metadata.columns")).singleElement().asString().contains("twice");

    props = valid();
    props.put("format", "csv");
    props.put("metadata.columns", "offset:o");
    assertThat(errorsFor(props, "metadata.columns"))
        .singleElement()
        .asString()
        .contains("format=csv", "format=json");

    props = upsert();
    props.put("pk.mode", "kafka");
    PipelineSinkConfig kafka = new PipelineSinkConfig(props);
    assertThat(kafka.writeMode().keyFields()).isEqualTo(MetadataColumns.KAFKA_KEY_DEFAULTS);
    assertThat(kafka.metadataColumns().source("__connect_partition"))
        .isEqualTo(MetadataColumns.Source.PARTITION);
    props.put("pk.fields", "t, p");
    assertThat(errorsFor(props, "pk.fields")).singleElement().asString().contains("three");
    props.put("pk.fields", "t, p, o");
    props.put("metadata.columns", "timestamp:o");
    assertThat(errorsFor(props, "metadata.columns"))
        .singleElement()
        .asString()
        .contains("pk.mode=kafka's offset column");
    props = valid();
    props.put("format", "json");
    props.put("pk.mode", "kafka");
    assertThat(errorsFor(props, "pk.mode")).singleElement().asString().contains("insert.mode");
  }

  @Test
  void writeModesThatCannotWorkAreNamedOnTheKeyToChange() {
    assertThat(new PipelineSinkConfig(upsert()).writeMode())
        .isEqualTo(
            new WriteMode(
                WriteMode.Insert.UPSERT, WriteMode.KeySource.RECORD_KEY, List.of(), false));

    Map<String, String> props = upsert();
    props.put("format", "csv");
    assertThat(errorsFor(props, "insert.mode"))
        .singleElement()
        .asString()
        .contains("format=csv", "format=json");

    props = upsert();
    props.put("pk.mode", "none");
    assertThat(errorsFor(props, "pk.mode"))
        .singleElement()
        .asString()
        .contains("record_key", "record_value");

    props = upsert();
    props.put("pk.mode", "record_value");
    props.put("delete.enabled", "true");
    assertThat(errorsFor(props, "delete.enabled"))
        .singleElement()
        .asString()
        .contains("pk.mode=record_key");

    props = valid();
    props.put("delete.enabled", "true");
    assertThat(errorsFor(props, "delete.enabled"))
        .singleElement()
        .asString()
        .contains("insert.mode=upsert");

    props = valid();
    props.put("pk.mode", "record_value");
    assertThat(errorsFor(props, "pk.mode")).singleElement().asString().contains("insert.mode");

    props = upsert();
    props.remove("stream");
    props.put("stream.from.key", "true");
    props.put("stream.from.key.allowed", "public\\..*");
    assertThat(errorsFor(props, "pk.mode")).singleElement().asString().contains("record_value");

    props = upsert();
    props.put("insert.mode", "merge");
    assertThat(errorsFor(props, "insert.mode"))
        .singleElement()
        .asString()
        .containsIgnoringCase("upsert");
  }
}
