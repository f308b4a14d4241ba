package io.pipelineconnect.benchmarks;

import io.pipelineconnect.testsupport.ForkedConnectWorker;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A Connect worker in its own JVM (512 MiB heap) for the benchmarks, and REST calls to it. */
final class BenchmarkWorker {
  private BenchmarkWorker() {}

  static ForkedConnectWorker start(String bootstrapServers, String... jvmOptions) {
    ForkedConnectWorker.Builder builder =
        ForkedConnectWorker.forBroker(bootstrapServers, "benchmark").jvmOption("-Xmx512m");
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
