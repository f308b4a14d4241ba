package io.pipelineconnect.emitter;

import java.util.HashMap;
import java.util.Map;

/** The emitter config the integration tests start from; each adds what it tests. */
final class EmitterTestConfigs {
  private EmitterTestConfigs() {}

  /** The connector on the database, its raw bytes passed through, with this many tasks. */
  static Map<String, String> emitter(String jdbcUrl, String user, int tasks) {
    Map<String, String> props = new HashMap<>();
    props.put("connector.class", EmitterSourceConnector.class.getName());
    props.put("tasks.max", Integer.toString(tasks));
    props.put("connection.url", jdbcUrl);
    props.put("connection.user", user);
    props.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    props.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    return props;
  }
}
