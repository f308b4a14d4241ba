package io.pipelineconnect.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.SourceConnector;

/** A test connector whose tasks each emit a numbered record every 50 ms; nothing else. */
public class TickSourceConnector extends SourceConnector {
  static final String TOPIC = "topic";
  private Map<String, String> config;

  @Override
  public void start(Map<String, String> props) {
    config = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return TickSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>();
    for (int i = 0; i < maxTasks; i++) {
      configs.add(Map.of(TOPIC, config.get(TOPIC), "task.id", Integer.toString(i)));
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return new ConfigDef()
        .define(TOPIC, ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "Topic to write ticks to");
  }

  @Override
  public String version() {
    return "test";
  }
}
