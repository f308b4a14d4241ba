package io.pipelineconnect.benchmarks;

import io.pipelineconnect.testsupport.Archives;
import io.pipelineconnect.testsupport.ConnectRuntimeClasspath;
import io.pipelineconnect.testsupport.ForkedConnectWorker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/** A Connect worker in its own JVM (512 MiB heap) for the benchmarks, and REST calls to it. */
final class BenchmarkWorker {
  private BenchmarkWorker() {}

  /**
   * Starts a worker with a 512 MiB heap and the JVM's default collector for a server-class machine
   * (G1; the test workers use Serial to stay small), the worker's default offset-commit interval
   * ({@code -Dbenchmark.worker.flush.ms}, default 60000), plus the options in {@code
   * -Dbenchmark.worker.jvm} (space-separated: a flight recording, another collector ...).
   */
  static ForkedConnectWorker start(String bootstrapServers) {
    ForkedConnectWorker.Builder builder = builder(bootstrapServers);
    pluginFromArchive(builder);
    return builder.start();
  }

  /**
   * As users install it: the plugin unzipped from the Hub archive ({@code
   * -Dbenchmark.plugin.archive}, by default the one the packaging module builds) onto the worker's
   * plugin.path, the worker's classpath without it. An empty value runs the plugin from the
   * worker's classpath, a friendlier set-up whose figures are not the ones to quote.
   */
  private static void pluginFromArchive(ForkedConnectWorker.Builder builder) {
    String archive = System.getProperty("benchmark.plugin.archive", "");
    if (archive.isBlank()) {
      System.out.println("Plugin on the worker's classpath (benchmark.plugin.archive is empty)");
      return;
    }
    Path zip = Path.of(archive);
    if (!Files.isRegularFile(zip)) {
      throw new IllegalStateException(
          "No Hub archive at "
              + zip
              + ": build it first (./mvnw -B -ntp -Pbenchmark -DskipTests -pl benchmarks -am verify"
              + " builds it), or set"
              + " -Dbenchmark.plugin.archive= to run the plugin from the worker's classpath");
    }
    try {
      Path pluginPath = Files.createTempDirectory(Archives.cacheRoot(), "benchmark-plugin-path-");
      Archives.unzip(zip, pluginPath);
      Path peer = peerPlugin();
      if (peer != null) {
        // Beside ours, in its own directory: each plugin gets its own class loader.
        Files.createSymbolicLink(pluginPath.resolve(peer.getFileName()), peer);
        System.out.println("Peer plugin " + peer + " on the same plugin.path");
      }
      builder.classpath(ConnectRuntimeClasspath.withoutPlugin()).pluginPath(pluginPath);
      System.out.println("Plugin unzipped from " + zip + " onto the worker's plugin.path");
    } catch (IOException e) {
      throw new UncheckedIOException("Could not unzip " + zip, e);
    }
  }

  /**
   * The peer's plugin directory ({@code -Dbenchmark.peer.plugin}, by default Debezium's JDBC sink
   * as the benchmark profile unpacks it), or null when there is none to run.
   */
  static Path peerPlugin() {
    String dir = System.getProperty("benchmark.peer.plugin", "");
    if (dir.isBlank()) {
      return null;
    }
    Path path = Path.of(dir).toAbsolutePath();
    if (!Files.isDirectory(path)) {
      throw new IllegalStateException(
          "No peer plugin at " + path + ": set -Dbenchmark.peer.plugin= to run without it");
    }
    return path;
  }

  private static ForkedConnectWorker.Builder builder(String bootstrapServers) {
    ForkedConnectWorker.Builder builder =
        ForkedConnectWorker.forBroker(bootstrapServers, "benchmark")
            .jvmOption("-Xmx512m")
            .jvmOption("-XX:-UseSerialGC")
            .jvmOption("-XX:+UseG1GC")
            // As users run it: the worker's default offset-commit interval (60 s), not the test
            // harness's 1 s, which hid that a burst's partial batch waited for the commit tick.
            .property(
                "offset.flush.interval.ms",
                System.getProperty("benchmark.worker.flush.ms", "60000"));
    for (String option : System.getProperty("benchmark.worker.jvm", "").trim().split("\\s+")) {
      if (!option.isEmpty()) {
        builder.jvmOption(option);
      }
    }
    return builder;
  }

  static String get(ForkedConnectWorker worker, String path)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(worker.restUrl().resolve(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() >= 300) {
      throw new IllegalStateException("GET " + path + ": " + response.body());
    }
    return response.body();
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
