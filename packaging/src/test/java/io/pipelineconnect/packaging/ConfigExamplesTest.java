package io.pipelineconnect.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Connector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every example in config-examples/ passes its connector's validate() without an error, but for the
 * database it cannot reach here.
 */
class ConfigExamplesTest {
  static Path examples() {
    return Path.of(System.getProperty("pipelineconnect.config.examples", "../config-examples"));
  }

  static Stream<Path> exampleFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> list = Files.list(examples())) {
      list.filter(p -> p.toString().endsWith(".properties") || p.toString().endsWith(".json"))
          .sorted()
          .forEach(files::add);
    }
    assertThat(files).as("examples in " + examples()).hasSizeGreaterThanOrEqualTo(8);
    return files.stream();
  }

  static Map<String, String> load(Path file) throws IOException {
    Map<String, String> config = new HashMap<>();
    if (file.toString().endsWith(".json")) {
      JsonNode root = new ObjectMapper().readTree(file.toFile());
      assertThat(root.has("name")).as(file + " has a name").isTrue();
      root.get("config").properties().forEach(e -> config.put(e.getKey(), e.getValue().asText()));
      config.put("name", root.get("name").asText());
    } else {
      Properties properties = new Properties();
      try (Reader reader = Files.newBufferedReader(file)) {
        properties.load(reader);
      }
      properties.forEach((k, v) -> config.put(k.toString(), v.toString()));
    }
    return config;
  }

  /** The one finding expected here: the example's database or Kinesis endpoint is not running. */
  private static boolean unreachableHere(String key, String message) {
    return (key.equals("connection.url") && message.startsWith("Could not connect to"))
        || (key.equals("kinesis.url") && message.startsWith("Could not reach Kinesis"));
  }

  @ParameterizedTest
  @MethodSource("exampleFiles")
  void validatesWithoutErrors(Path file) throws Exception {
    Map<String, String> config = load(file);
    Connector connector =
        (Connector)
            Class.forName(config.get("connector.class")).getDeclaredConstructor().newInstance();
    List<String> errors = new ArrayList<>();
    for (ConfigValue value : connector.validate(config).configValues()) {
      value.errorMessages().stream()
          // validate() then asks the database or Kinesis, and the examples' hosts are the user's,
          // not here (the quickstart runs four of them against real servers).
          .filter(m -> !unreachableHere(value.name(), m))
          .forEach(m -> errors.add(value.name() + ": " + m));
    }
    assertThat(errors).as(file.getFileName().toString()).isEmpty();
  }
}
