package io.pipelineconnect.common;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;

/**
 * A task's own view of the Kafka cluster, for what Connect does not hand a task (a sink's partition
 * end offsets, a source's partition counts): {@code kafka.bootstrap.servers}, and any other
 * admin-client setting under the prefix {@code kafka.} (security, say). Shared by the connectors
 * that need it, so they define, validate and document it alike.
 */
public final class KafkaAdminSettings {
  public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
  public static final String PREFIX = "kafka.";

  private KafkaAdminSettings() {}

  /**
   * Adds {@code kafka.bootstrap.servers} (optional, not blank when set) to a connector's ConfigDef.
   *
   * @param purpose what the task asks the cluster, opening the key's doc: "Kafka bootstrap servers
   *     the task asks ..."
   */
  public static ConfigDef define(ConfigDef def, String purpose, String group, int orderInGroup) {
    return def.define(
        BOOTSTRAP_SERVERS,
        Type.STRING,
        null,
        Validators.optionalNonBlank(),
        Importance.MEDIUM,
        purpose
            + " Further admin-client settings (security) can be given with the prefix '"
            + PREFIX
            + "', e.g. "
            + PREFIX
            + "security.protocol.",
        group,
        orderInGroup,
        Width.LONG,
        "Kafka bootstrap servers");
  }

  /** The admin-client settings a config gives, or empty when kafka.bootstrap.servers is unset. */
  public static Optional<Map<String, Object>> from(AbstractConfig config) {
    String servers = config.getString(BOOTSTRAP_SERVERS);
    if (servers == null) {
      return Optional.empty();
    }
    Map<String, Object> settings = config.originalsWithPrefix(PREFIX);
    settings.put("bootstrap.servers", servers);
    return Optional.of(settings);
  }

  /**
   * An admin client created on first use, so a task that never needs one never connects; one per
   * task thread.
   */
  public static final class LazyAdmin implements AutoCloseable {
    private final Map<String, Object> settings;
    private Admin admin;

    public LazyAdmin(Map<String, Object> settings) {
      this.settings = settings;
    }

    public Admin get() {
      if (admin == null) {
        admin = Admin.create(settings);
      }
      return admin;
    }

    @Override
    public void close() {
      if (admin != null) {
        admin.close(Duration.ofSeconds(5));
        admin = null;
      }
    }
  }
}
