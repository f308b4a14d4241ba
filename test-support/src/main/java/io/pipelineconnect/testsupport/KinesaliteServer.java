package io.pipelineconnect.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
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

  /** The script that runs kinesalite; the quickstart knows its servers by this name. */
  public static final String LAUNCHER = "kinesalite-server.js";

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
    Path modules = nodeModules();
    if (!Files.isRegularFile(modules.resolve("kinesalite").resolve("index.js"))) {
      throw new IllegalStateException(
          "kinesalite is not installed in "
              + modules
              + ": build test-support first (./mvnw -pl test-support install runs npm ci)");
    }
    List<String> command = List.of("node", launcher().toString(), Integer.toString(port));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("NODE_PATH", modules.toString());
    try {
      process = builder.redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
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

  /** What kinesalite has printed so far. */
  String output() throws IOException {
    return Files.readString(logFile);
  }

  boolean isAlive() {
    return process != null && process.isAlive();
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
    try {
      long hungUp =
          Files.readAllLines(logFile).stream().filter(l -> l.contains("mid-request")).count();
      if (hungUp > 0) {
        log.info(
            "kinesalite on port {} outlived {} client(s) hanging up mid-request", port, hungUp);
      }
    } catch (IOException ignored) {
      // Only a diagnostic.
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
   * Our launcher of kinesalite (see kinesalite-server.js for why not kinesalite's own cli.js),
   * copied out of this jar into the cache directory, where {@code node} can read it.
   */
  static Path launcher() {
    Path script = Archives.cacheRoot().resolve(LAUNCHER);
    try (InputStream in = KinesaliteServer.class.getResourceAsStream(LAUNCHER)) {
      if (in == null) {
        throw new IllegalStateException(LAUNCHER + " is missing from test-support's jar");
      }
      byte[] content = in.readAllBytes();
      if (!Files.isRegularFile(script) || !Arrays.equals(Files.readAllBytes(script), content)) {
        // Written beside and moved: a concurrent start never runs a half-written script.
        Path partial = Files.createTempFile(script.getParent(), LAUNCHER, ".partial");
        Files.write(partial, content);
        Files.move(
            partial, script, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      return script;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write " + script, e);
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
