package io.pipelineconnect.common;

import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a connector config's values the way {@link AbstractConfig} does at construction, but with
 * credentials masked: AbstractConfig prints a STRING key such as {@code connection.url} verbatim,
 * and a JDBC URL may hold {@code ?password=}. Configs built with {@code doLog=false} call this.
 */
public final class ConfigLog {
  private ConfigLog() {}

  public static void logValues(AbstractConfig config) {
    Logger log = LoggerFactory.getLogger(config.getClass());
    if (!log.isInfoEnabled()) {
      return;
    }
    StringBuilder text = new StringBuilder(config.getClass().getSimpleName()).append(" values:\n");
    // Password values print as [hidden] by their own toString.
    Map<String, Object> sorted = new TreeMap<>(config.values());
    sorted.forEach(
        (key, value) ->
            text.append('\t')
                .append(key)
                .append(" = ")
                .append(Redaction.redact(String.valueOf(value)))
                .append('\n'));
    log.info(text.toString());
  }
}
