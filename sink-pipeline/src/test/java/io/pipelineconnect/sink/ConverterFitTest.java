package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;

class ConverterFitTest {
  private static final String BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter";
  private static final String JSON = "org.apache.kafka.connect.json.JsonConverter";

  private static List<String> formatErrors(String format, String converter, String... more) {
    Map<String, String> props = new HashMap<>();
    props.put("connector.class", PipelineSinkConnector.class.getName());
    props.put("topics", "t");
    props.put("connection.url", "jdbc:postgresql://db/x");
    props.put("stream", "page_views");
    props.put("format", format);
    if (converter != null) {
      props.put("value.converter", converter);
    }
    for (int i = 0; i < more.length; i += 2) {
      props.put(more[i], more[i + 1]);
    }
    return new PipelineSinkConnector()
        .validate(props).configValues().stream()
            .filter(v -> v.name().equals("format"))
            .map(ConfigValue::errorMessages)
            .findFirst()
            .orElseThrow();
  }

  @Test
  void pairsThatCannotWorkAreNamedOnFormatWithTheFix() {
    assertThat(formatErrors("csv", JSON))
        .singleElement()
        .asString()
        .contains("format=csv", "value.converter=" + BYTES);
    assertThat(formatErrors("text", "io.confluent.connect.avro.AvroConverter")).hasSize(1);
    assertThat(formatErrors("binary", JSON, "value.converter.schemas.enable", "false"))
        .singleElement()
        .asString()
        .contains("value.converter.schemas.enable=true");
  }

  @Test
  void pairsThatWorkAndConvertersNotNamedOrUnknownPass() {
    assertThat(formatErrors("text", BYTES)).isEmpty();
    assertThat(formatErrors("csv", "org.apache.kafka.connect.storage.StringConverter")).isEmpty();
    assertThat(formatErrors("json", BYTES)).isEmpty();
    assertThat(formatErrors("json", JSON)).isEmpty();
    assertThat(formatErrors("binary", JSON)).isEmpty();
    assertThat(formatErrors("binary", null)).isEmpty();
    // JsonConverter's envelopes read from bytes or text: typed by their schemas.
    assertThat(formatErrors("binary", BYTES)).isEmpty();
    assertThat(formatErrors("binary", "org.apache.kafka.connect.storage.StringConverter"))
        .isEmpty();
    assertThat(formatErrors("text", "com.example.MyConverter")).isEmpty();
  }
}
