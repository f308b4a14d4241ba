package io.pipelineconnect.sink;

import io.pipelineconnect.common.KafkaAdminSettings;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.RetriableException;

/**
 * Resolves where partitions without a saved offset start, by asking Kafka for their first or next
 * offset. Without admin settings (start_offset=-2 and no bootstrap servers) the beginning is offset
 * 0, which the consumer moves up to the log start when older data was deleted.
 */
final class StartOffsets implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private final Optional<Map<String, Object>> adminSettings;
  private final Optional<KafkaAdminSettings.LazyAdmin> admin;

  StartOffsets(Optional<Map<String, Object>> adminSettings) {
    this.adminSettings = adminSettings;
    this.admin = adminSettings.map(KafkaAdminSettings.LazyAdmin::new);
  }

  /** Offsets of the partitions' first (earliest) or next (latest) records. */
  Map<TopicPartition, Long> resolve(Collection<TopicPartition> partitions, boolean earliest) {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    if (partitions.isEmpty()) {
      return offsets;
    }
    if (adminSettings.isEmpty()) {
      if (!earliest) {
        throw new IllegalStateException("kafka.bootstrap.servers is needed to find the end");
      }
      partitions.forEach(p -> offsets.put(p, 0L));
      return offsets;
    }
    Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
    partitions.forEach(p -> specs.put(p, earliest ? OffsetSpec.earliest() : OffsetSpec.latest()));
    try {
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result =
          admin.get().get().listOffsets(specs).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      result.forEach((p, info) -> offsets.put(p, info.offset()));
      return offsets;
    } catch (ExecutionException | TimeoutException e) {
      throw new RetriableException("Could not list offsets of " + partitions + " from Kafka", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetriableException("Interrupted while listing offsets", e);
    }
  }

  /** Every partition the topics have now. */
  Set<TopicPartition> partitionsOf(Collection<String> topics) {
    Set<TopicPartition> partitions = new HashSet<>();
    if (topics.isEmpty()) {
      return partitions;
    }
    if (adminSettings.isEmpty()) {
      throw new IllegalStateException("kafka.bootstrap.servers is needed to list partitions");
    }
    try {
      Map<String, TopicDescription> described =
          admin
              .get()
              .get()
              .describeTopics(topics)
              .allTopicNames()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      described.forEach(
          (topic, description) ->
              description
                  .partitions()
                  .forEach(p -> partitions.add(new TopicPartition(topic, p.partition()))));
      return partitions;
    } catch (ExecutionException | TimeoutException e) {
      throw new RetriableException("Could not describe topics " + topics + " in Kafka", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetriableException("Interrupted while describing topics", e);
    }
  }

  @Override
  public void close() {
    admin.ifPresent(KafkaAdminSettings.LazyAdmin::close);
  }
}
