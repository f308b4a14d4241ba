package io.pipelineconnect.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Connect worker ({@code ConnectDistributed}) in its own JVM, which a test can kill with SIGKILL
 * and start again.
 *
 * <p>An in-JVM worker can only be stopped gracefully, with a final offset commit, which hides the
 * failures crash-safety tests are about. This one dies the way a machine does: {@link #kill()}
 * gives it no chance to commit or clean up. It joins a {@link KafkaConnectCluster}'s group (or any
 * worker properties given), with the plugin on its classpath (by default this JVM's) or on a {@code
 * plugin.path}.
 */
public final class ForkedConnectWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ForkedConnectWorker.class);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Map<String, String> properties;
  private final String classpath;
  private final List<String> jvmOptions;
  private final int port;
  private final Path workDir;
  private Process process;

  private ForkedConnectWorker(Builder builder) {
    this.port = builder.port > 0 ? builder.port : Processes.freeLoopbackPort();
    this.properties = new LinkedHashMap<>(builder.properties);
    this.properties.put("listeners", "http://127.0.0.1:" + port);
    this.properties.put("rest.advertised.host.name", "127.0.0.1");
    this.properties.put("rest.advertised.port", Integer.toString(port));
    this.classpath = builder.classpath;
    this.jvmOptions = List.copyOf(builder.jvmOptions);
    try {
      this.workDir = Files.createTempDirectory(Archives.cacheRoot(), "worker-" + port + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A worker that joins the given in-JVM cluster, with this JVM's classpath. */
  public static Builder joining(KafkaConnectCluster cluster) {
    return new Builder().properties(cluster.joiningWorkerProperties());
  }

  /**
   * A worker of its own Connect cluster on the given broker: group and internal topics named after
   * {@code group}, replication factor 1, ByteArrayConverter, offsets flushed every second.
   */
  public static Builder forBroker(String bootstrapServers, String group) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("group.id", group);
    props.put("offset.storage.topic", group + "-offsets");
    props.put("config.storage.topic", group + "-configs");
    props.put("status.storage.topic", group + "-status");
    props.put("offset.storage.replication.factor", "1");
    props.put("config.storage.replication.factor", "1");
    props.put("status.storage.replication.factor", "1");
    props.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    props.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    props.put("offset.flush.interval.ms", "1000");
    return new Builder().properties(props);
  }

  /** A worker with exactly these properties (bootstrap servers, group, topics ...). */
  public static Builder withProperties(Map<String, String> properties) {
    return new Builder().properties(properties);
  }

  /** Launches the worker JVM and waits until its REST API reports it healthy. */
  public synchronized ForkedConnectWorker start() {
    if (isRunning()) {
      return this;
    }
    Path propertiesFile = workDir.resolve("worker.properties");
    Path logFile = logFile();
    try {
      List<String> lines = new ArrayList<>();
      properties.forEach((k, v) -> lines.add(k + "=" + v.replace("\\", "\\\\")));
      Files.write(propertiesFile, lines);
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmOptions);
      command.add("-cp");
      command.add(classpath);
      command.add("org.apache.kafka.connect.cli.ConnectDistributed");
      command.add(propertiesFile.toString());
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(workDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      builder.environment().put("CLASSPATH", "");
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not launch a forked Connect worker", e);
    }
    Awaitility.await("forked Connect worker " + workerId() + " healthy (log: " + logFile + ")")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .failFast("forked worker exited; its log: " + logFile, () -> !process.isAlive())
        .until(this::isHealthy);
    log.info("Forked Connect worker {} is up (pid {})", workerId(), process.pid());
    return this;
  }

  /** Kills the worker's JVM with SIGKILL: no offset commit, no leaving the group, no cleanup. */
  public synchronized void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    waitForExit();
    log.info("Forked Connect worker {} killed", workerId());
  }

  /** Stops the worker gracefully (SIGTERM: it commits offsets and leaves the group). */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!waitForExit()) {
      kill();
    }
  }

  private boolean waitForExit() {
    try {
      boolean exited = process.waitFor(60, TimeUnit.SECONDS);
      if (exited) {
        process = null;
      }
      return exited;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Whether the worker's {@code /health} endpoint answers 200 (it joined its group). */
  public boolean isHealthy() {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(restUrl().resolve("health"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The worker's REST base URL, e.g. {@code http://127.0.0.1:40123/}. */
  public URI restUrl() {
    return URI.create("http://127.0.0.1:" + port + "/");
  }

  /** The id Connect's status API shows for tasks on this worker. */
  public String workerId() {
    return "127.0.0.1:" + port;
  }

  /** The worker's combined stdout and stderr, kept across restarts. */
  public Path logFile() {
    return workDir.resolve("worker.log");
  }

  /** The pid of the running worker JVM. */
  public synchronized long pid() {
    if (process == null) {
      throw new IllegalStateException("Worker " + workerId() + " is not running");
    }
    return process.pid();
  }

  @Override
  public synchronized void close() {
    kill();
    keepLog();
    try {
      Archives.deleteRecursively(workDir);
    } catch (IOException e) {
      log.warn("Could not delete {}: {}", workDir, e.toString());
    }
  }

  /**
   * Copies the worker's log into the module's {@code target/forked-worker-logs/} before its work
   * directory goes: a test that fails after its workers closed (a timeout in a long suite) can then
   * still be read. Skipped outside a Maven module (no {@code target} in the working directory).
   */
  private void keepLog() {
    Path target = Path.of("target");
    if (!Files.isDirectory(target) || !Files.exists(logFile())) {
      return;
    }
    try {
      Path kept = Files.createDirectories(target.resolve("forked-worker-logs"));
      Files.copy(logFile(), kept.resolve(workDir.getFileName() + ".log"));
    } catch (IOException e) {
      log.warn("Could not keep {}: {}", logFile(), e.toString());
    }
  }

  public static final class Builder {
    private final Map<String, String> properties = new LinkedHashMap<>();
    private String classpath = System.getProperty("java.class.path");
    private final List<String> jvmOptions =
        new ArrayList<>(
            List.of(
                "-Xmx512m",
                "-XX:+UseSerialGC",
                // kinesalite reads timestamps in seconds; the SDK's CBOR sends milliseconds.
                "-Daws.cborEnabled=false"));
    private int port;

    public Builder properties(Map<String, String> properties) {
      this.properties.putAll(properties);
      return this;
    }

    public Builder property(String key, String value) {
      properties.put(key, value);
      return this;
    }

    /** Loads plugins from this directory instead of the classpath alone. */
    public Builder pluginPath(Path pluginPath) {
      properties.put("plugin.path", pluginPath.toAbsolutePath().toString());
      return this;
    }

    /** The worker JVM's classpath (default: this JVM's, which holds Connect and the plugin). */
    public Builder classpath(String classpath) {
      this.classpath = classpath;
      return this;
    }

    public Builder jvmOption(String option) {
      jvmOptions.add(option);
      return this;
    }

    /** A fixed REST port (default: a free one). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public ForkedConnectWorker build() {
      return new ForkedConnectWorker(this);
    }

    public ForkedConnectWorker start() {
      return build().start();
    }
  }
}
