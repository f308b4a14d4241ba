package io.pipelineconnect.emitter;

import io.pipelineconnect.common.KafkaAdminSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.connect.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many partitions a topic has, asked of Kafka with an admin client, so a message naming a
 * partition its topic lacks can be marked failed instead of failing the task on every restart.
 *
 * <p>Counts are cached; a partition beyond the cached count asks again (topics gain partitions), at
 * most once per {@link #REFRESH} per topic. A topic Kafka does not know yet (it may be created
 * automatically on the first send) is not judged.
 */
final class TopicPartitionCounts implements MessageScreen.KafkaTopics, AutoCloseable {
  static final Duration REFRESH = Duration.ofSeconds(10);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  static final Duration UNREACHABLE_PAUSE = Duration.ofSeconds(60);
  private static final Logger log = LoggerFactory.getLogger(TopicPartitionCounts.class);
  private long unreachableUntilNanos = Long.MIN_VALUE;

  private final Map<String, Known> counts = new HashMap<>();
  private final KafkaAdminSettings.LazyAdmin admin;

  private record Known(int partitions, long askedNanos) {}

  private record Missing(long sinceNanos, long askedNanos) {}

  static final Duration MISSING_RECHECK = Duration.ofSeconds(1);
  private final Map<String, Missing> missingSince = new HashMap<>();

  TopicPartitionCounts(Map<String, Object> adminSettings) {
    this.admin = new KafkaAdminSettings.LazyAdmin(adminSettings);
  }

  /**
   * How long Kafka has been seen not to know the topic, or empty if it has the topic now. A missing
   * topic is asked about again at most once per {@link #MISSING_RECHECK}.
   */
  @Override
  public Optional<Duration> missingFor(String topic) {
    if (counts.containsKey(topic)) {
      return Optional.empty();
    }
    long now = System.nanoTime();
    if (now < unreachableUntilNanos) {
      return Optional.empty(); // cannot tell: the message goes to the producer as before
    }
    Missing missing = missingSince.get(topic);
    if (missing == null || now - missing.askedNanos() > MISSING_RECHECK.toNanos()) {
      OptionalInt asked;
      try {
        asked = ask(topic);
      } catch (RetriableException e) {
        // kafka.bootstrap.servers unreachable or wrong: judging nothing beats stalling every
        // bucket on a describe timeout. Asked again after UNREACHABLE_PAUSE.
        unreachableUntilNanos = System.nanoTime() + UNREACHABLE_PAUSE.toNanos();
        log.warn(
            "Cannot ask Kafka (kafka.bootstrap.servers) whether topic {} exists, so messages are"
                + " sent without that check for the next {} s: {}",
            topic,
            UNREACHABLE_PAUSE.toSeconds(),
            e.getMessage());
        return Optional.empty();
      }
      if (asked.isPresent()) {
        missingSince.remove(topic);
        counts.put(topic, new Known(asked.getAsInt(), now));
        return Optional.empty();
      }
      missing = new Missing(missing == null ? now : missing.sinceNanos(), now);
      missingSince.put(topic, missing);
    }
    return Optional.of(Duration.ofNanos(now - missing.sinceNanos()));
  }

  /** Why the partition cannot be produced to, if it cannot; empty when it exists or is unknown. */
  @Override
  public Optional<String> problem(String topic, int partition) {
    Known known = counts.get(topic);
    if (known == null
        || (partition >= known.partitions()
            && System.nanoTime() - known.askedNanos() > REFRESH.toNanos())) {
      OptionalInt asked = ask(topic);
      if (asked.isEmpty()) {
        return Optional.empty();
      }
      known = new Known(asked.getAsInt(), System.nanoTime());
      counts.put(topic, known);
    }
    if (partition < known.partitions()) {
      return Optional.empty();
    }
    return Optional.of(
        "partition "
            + partition
            + " does not exist: topic "
            + topic
            + " has "
            + known.partitions()
            + " partition"
            + (known.partitions() == 1 ? "" : "s"));
  }

  private OptionalInt ask(String topic) {
    try {
      TopicDescription description =
          admin
              .get()
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .get(topic);
      return OptionalInt.of(description.partitions().size());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return OptionalInt.empty();
      }
      throw new RetriableException("Could not describe topic " + topic + ": " + e.getCause(), e);
    } catch (TimeoutException e) {
      throw new RetriableException("Timed out describing topic " + topic, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetriableException("Interrupted while describing topic " + topic, e);
    }
  }

  @Override
  public void close() {
    admin.close();
  }
}
