package io.pipelineconnect.common;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;

/**
 * The checks of {@code Connector.validate()} that span keys: run the connector's config constructor
 * (where such rules live) once the per-key checks passed, and attach its error, and the {@code
 * parallelism} ↔ {@code tasks.max} rule, to the key to fix, so Connect's validate endpoint shows it
 * there.
 */
public final class CrossFieldValidation {
  /** Kafka's ConfigException message: "Invalid value V for configuration NAME: why". */
  private static final Pattern KEY_IN_MESSAGE = Pattern.compile("for configuration (\\S+?):");

  private CrossFieldValidation() {}

  /**
   * @param result the per-key result of {@code super.validate(...)}, amended in place
   * @param parse the connector's config constructor
   * @param fallbackKey where an error naming no known key is attached
   */
  public static Config apply(
      Config result,
      Map<String, String> connectorConfig,
      Function<Map<String, String>, ?> parse,
      String fallbackKey) {
    if (result.configValues().stream().allMatch(v -> v.errorMessages().isEmpty())) {
      try {
        parse.apply(connectorConfig);
      } catch (ConfigException e) {
        String key = keyOf(e).orElse(fallbackKey);
        valueOf(result, key).addErrorMessage(e.getMessage());
      }
    }
    TaskParallelism.mismatch(connectorConfig)
        .ifPresent(
            message -> valueOf(result, TaskParallelism.PARALLELISM).addErrorMessage(message));
    return result;
  }

  private static ConfigValue valueOf(Config result, String key) {
    for (ConfigValue value : result.configValues()) {
      if (value.name().equals(key)) {
        return value;
      }
    }
    // A key Connect owns (errors.tolerance, for instance): report it all the same.
    ConfigValue added = new ConfigValue(key);
    result.configValues().add(added);
    return added;
  }

  static Optional<String> keyOf(ConfigException e) {
    Matcher matcher = KEY_IN_MESSAGE.matcher(String.valueOf(e.getMessage()));
    return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
  }
}
