package io.pipelineconnect.common;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;

/**
 * Renders a connector's ConfigDef as a Markdown reference, grouped as Connect UIs group it. The
 * connector modules check their checked-in reference against it, so the docs cannot go stale.
 */
public final class ConfigDocs {
  private ConfigDocs() {}

  public static String markdown(String title, ConfigDef def) {
    return markdown(title, def, "", Map.of());
  }

  /**
   * @param preamble Markdown printed before the connector's own options: what Connect's framework
   *     options ({@code topics}, {@code tasks.max}, converters, {@code errors.*}) mean for this
   *     connector, which its ConfigDef cannot say
   * @param defaultNotes what to print instead of "unset" in the default column, per key: for
   *     options that are optional one by one but required as a group
   */
  public static String markdown(
      String title, ConfigDef def, String preamble, Map<String, String> defaultNotes) {
    Map<String, List<ConfigDef.ConfigKey>> groups = new LinkedHashMap<>();
    for (String group : def.groups()) {
      groups.put(group, new ArrayList<>());
    }
    for (ConfigDef.ConfigKey key : def.configKeys().values()) {
      if (key.internalConfig) {
        continue; // task-only keys the connector sets itself
      }
      groups
          .computeIfAbsent(key.group == null ? "Other" : key.group, g -> new ArrayList<>())
          .add(key);
    }
    StringBuilder out = new StringBuilder();
    out.append("# ").append(title).append("\n\n");
    out.append("Generated from the connector's ConfigDef; do not edit by hand.\n");
    if (!preamble.isEmpty()) {
      out.append('\n').append(preamble.strip()).append('\n');
    }
    for (Map.Entry<String, List<ConfigDef.ConfigKey>> group : groups.entrySet()) {
      if (group.getValue().isEmpty()) {
        continue;
      }
      group.getValue().sort(Comparator.comparingInt(k -> k.orderInGroup));
      out.append("\n## ").append(group.getKey()).append("\n\n");
      out.append("| key | type | default | valid values | importance | description |\n");
      out.append("|---|---|---|---|---|---|\n");
      for (ConfigDef.ConfigKey key : group.getValue()) {
        out.append("| `")
            .append(key.name)
            .append("` | ")
            .append(key.type.name().toLowerCase(java.util.Locale.ROOT))
            .append(" | ")
            .append(defaultNotes.getOrDefault(key.name, defaultOf(key)))
            .append(" | ")
            .append(cell(key.validator == null ? "" : key.validator.toString()))
            .append(" | ")
            .append(key.importance.name().toLowerCase(java.util.Locale.ROOT))
            .append(" | ")
            .append(cell(key.documentation))
            .append(" |\n");
      }
    }
    return out.toString();
  }

  private static String defaultOf(ConfigDef.ConfigKey key) {
    if (!key.hasDefault()) {
      return "(required)";
    }
    Object value = key.defaultValue;
    if (value == null) {
      return "unset";
    }
    if (value instanceof Password) {
      return "[hidden]";
    }
    if (value instanceof List<?> list) {
      return list.isEmpty()
          ? "empty"
          : "`" + String.join(",", list.stream().map(String::valueOf).toList()) + "`";
    }
    return "`" + cell(String.valueOf(value)) + "`";
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
