package io.pipelineconnect.benchmarks;

import io.pipelineconnect.testsupport.ForkedConnectWorker;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** A Connect worker in its own JVM (512 MiB heap) for the benchmarks, and REST calls to it. */
final class BenchmarkWorker {
  private BenchmarkWorker() {}

  static ForkedConnectWorker start(String bootstrapServers, String... jvmOptions) {
    Map<String, String> worker = new LinkedHashMap<>();
    worker.put("bootstrap.servers", bootstrapServers);
    worker.put("group.id", "benchmark");
    worker.put("offset.storage.topic", "benchmark-offsets");
    worker.put("config.storage.topic", "benchmark-configs");
    worker.put("status.storage.topic", "benchmark-status");
    worker.put("offset.storage.replication.factor", "1");
    worker.put("config.storage.replication.factor", "1");
    worker.put("status.storage.replication.factor", "1");
    worker.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    worker.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    worker.put("offset.flush.interval.ms", "1000");
    ForkedConnectWorker.Builder builder =
        ForkedConnectWorker.withProperties(worker).jvmOption("-Xmx512m");
    for (String option : jvmOptions) {
      builder.jvmOption(option);
    }
    return builder.start();
  }

  static void put(ForkedConnectWorker worker, String path, String json)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(worker.restUrl().resolve(path))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(json))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() >= 300) {
      throw new IllegalStateException("PUT " + path + ": " + response.body());
    }
  }
}
