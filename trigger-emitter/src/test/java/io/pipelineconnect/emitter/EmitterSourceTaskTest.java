package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import javax.management.ObjectName;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The task against a database that never answers (nothing listens on port 1). */
class EmitterSourceTaskTest {
  private final EmitterSourceTask task = new EmitterSourceTask();

  /** Offsets are never read: nothing is owned without a database. */
  private static final OffsetStorageReader NO_OFFSETS =
      new OffsetStorageReader() {
        @Override
        public <T> Map<String, Object> offset(Map<String, T> partition) {
          throw new AssertionError("offsets read");
        }

        @Override
        public <T> Map<Map<String, T>, Map<String, Object>> offsets(
            Collection<Map<String, T>> partitions) {
          throw new AssertionError("offsets read");
        }
      };

  private static final SourceTaskContext CONTEXT =
      new SourceTaskContext() {
        @Override
        public Map<String, String> configs() {
          return Map.of();
        }

        @Override
        public OffsetStorageReader offsetStorageReader() {
          return NO_OFFSETS;
        }

        @Override
        public PluginMetrics pluginMetrics() {
          return null; // a worker without plugin metrics: the task registers its own
        }
      };

  private void start(String name, int maxRetries) {
    Map<String, String> props = new HashMap<>();
    props.put("name", name);
    props.put("connection.url", "jdbc:postgresql://127.0.0.1:1/outbox");
    props.put("connection.user", "relay");
    props.put("max.retries", String.valueOf(maxRetries));
    props.put("retry.backoff.ms", "0");
    props.put(EmitterConfig.TASK_BUCKETS, "3,4");
    task.initialize(CONTEXT);
    task.start(props);
  }

  @AfterEach
  void stop() {
    task.stop();
  }

  @Test
  void anUnreachableDatabaseIsRetriedMaxRetriesTimesThenFailsTheTaskNamingIt() {
    start("emitter-unreachable", 2);
    assertThatThrownBy(task::poll).isInstanceOf(RetriableException.class);
    assertThatThrownBy(task::poll).isInstanceOf(RetriableException.class);
    assertThatThrownBy(task::poll)
        .isInstanceOf(ConnectException.class)
        .isNotInstanceOf(RetriableException.class)
        .hasMessageStartingWith(
            "Could not read the outbox in PostgreSQL jdbc:postgresql://127.0.0.1:1/outbox as relay"
                + " after 2 retries: ");
  }

  @Test
  void aCommitBeforeAnyBucketIsOwnedTouchesNeitherOffsetsNorTheDatabase() {
    start("emitter-commit-early", 0);
    task.commit();
  }

  @Test
  void theBucketsOwnedAreATaskMetric() throws Exception {
    start("emitter-owned-metric", 0);
    ObjectName name =
        new ObjectName("kafka.connect:type=plugins,connector=emitter-owned-metric,task=3");
    assertThat(
            ManagementFactory.getPlatformMBeanServer()
                .getAttribute(name, EmitterTaskMetrics.BUCKETS_OWNED))
        .isEqualTo(0);
  }
}
