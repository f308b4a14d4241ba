package io.pipelineconnect.kinesis;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** Where a shard without a saved position starts: start_offset, parsed. */
sealed interface StartPosition {
  record TrimHorizon() implements StartPosition {}

  record Latest() implements StartPosition {}

  record AtTimestamp(Instant timestamp) implements StartPosition {}

  static StartPosition parse(String value) {
    String v = value == null ? "-1" : value.trim();
    if (v.equals("-1") || v.isEmpty()) {
      return new StartPosition.Latest();
    }
    if (v.equals("-2")) {
      return new StartPosition.TrimHorizon();
    }
    try {
      return new StartPosition.AtTimestamp(Instant.parse(v));
    } catch (DateTimeParseException e) {
      throw new ConfigException(
          KinesisSourceConfig.START_OFFSET,
          value,
          "Use -2 (TRIM_HORIZON, the oldest record), -1 (LATEST) or an ISO-8601 instant such as"
              + " 2026-01-31T12:00:00Z (AT_TIMESTAMP)");
    }
  }

  /** Accepts what {@link #parse} does. */
  final class Validator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      parse(value == null ? null : value.toString());
    }

    @Override
    public String toString() {
      return "-2 (TRIM_HORIZON), -1 (LATEST) or an ISO-8601 instant";
    }
  }
}
