package io.pipelineconnect.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kinesalite, an in-memory implementation of the Amazon Kinesis API on Node.js, on a loopback port.
 *
 * <p>Installed by the build ({@code npm ci} in {@code test-support/}, pinned by its
 * package-lock.json). Clients must talk to it over HTTP/1.1 with CBOR off ({@code
 * -Daws.cborEnabled=false}); see test-support's README for what kinesalite does and does not do.
 */
public final class KinesaliteServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KinesaliteServer.class);
  public static final String NODE_MODULES_PROPERTY = "pipelineconnect.node.modules";

  /** Any non-empty credentials do: kinesalite checks that requests are signed, not by whom. */
  public static final String ACCESS_KEY = "test-access-key";

  public static final String SECRET_KEY = "test-secret-key";
  public static final String REGION = "us-east-1";

  private final int port;
  private final Path logFile;
  private Process process;

  private KinesaliteServer(int port) {
    this.port = port;
    try {
      this.logFile = Files.createTempFile(Archives.cacheRoot(), "kinesalite-" + port + "-", ".log");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts kinesalite on a free loopback port. */
  public static KinesaliteServer start() {
    return start(Processes.freeLoopbackPort());
  }

  /** Starts kinesalite on the given loopback port. */
  public static KinesaliteServer start(int port) {
    KinesaliteServer server = new KinesaliteServer(port);
    server.launch();
    return server;
  }

  private void launch() {
    Path cli = nodeModules().resolve("kinesalite").resolve("cli.js");
    if (!Files.isRegularFile(cli)) {
      throw new IllegalStateException(
          "kinesalite is not installed at "
              + cli
              + ": build test-support first (./mvnw -pl test-support install runs npm ci)");
    }
    List<String> command =
        List.of(
            "node",
            cli.toString(),
            "--host",
            "127.0.0.1",
            "--port",
            Integer.toString(port),
            // Streams become ACTIVE at once instead of after kinesalite's default 500 ms.
            "--createStreamMs",
            "0",
            "--deleteStreamMs",
            "0",
            "--updateStreamMs",
            "0",
            "--shardLimit",
            "100");
    try {
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(logFile.toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start kinesalite (is Node.js on the PATH?)", e);
    }
    Awaitility.await("kinesalite listening on port " + port)
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .failFast("kinesalite exited; its log: " + logFile, () -> !process.isAlive())
        .until(() -> Processes.isListening(port));
    log.info("kinesalite listening on {}", endpoint());
  }

  /** The endpoint to give an AWS SDK client as its endpoint override. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    if (process == null) {
      return;
    }
    if (!process.isAlive()) {
      // It died under a test: what it said is the only clue to why, so it goes to the test's log.
      String said;
      try {
        said = Files.readString(logFile);
      } catch (IOException e) {
        said = "(its log could not be read: " + e.getMessage() + ")";
      }
      log.warn(
          "kinesalite on port {} had exited with code {} before it was stopped; it said:\n{}",
          port,
          process.exitValue(),
          said.length() > 20_000 ? said.substring(said.length() - 20_000) : said);
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
    try {
      Files.deleteIfExists(logFile);
    } catch (IOException ignored) {
      // A leftover log file in the temp directory is harmless.
    }
  }

  /**
   * Where {@code npm ci} installed kinesalite: the system property the build sets, else the nearest
   * {@code test-support/node_modules} above the working directory.
   */
  static Path nodeModules() {
    String configured = System.getProperty(NODE_MODULES_PROPERTY);
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      for (Path candidate :
          List.of(dir.resolve("node_modules"), dir.resolve("test-support/node_modules"))) {
        if (Files.isDirectory(candidate.resolve("kinesalite"))) {
          return candidate;
        }
      }
    }
    return Path.of("test-support", "node_modules").toAbsolutePath();
  }
}
