package io.pipelineconnect.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Small helpers for running the server binaries and finding ports for them. */
public final class Processes {
  private Processes() {}

  /**
   * Runs a command to completion and returns its output (stdout and stderr together).
   *
   * @throws IllegalStateException with the command's output when it fails or times out
   */
  public static String run(
      List<String> command, Path workDir, Map<String, String> env, Duration timeout) {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    if (workDir != null) {
      builder.directory(workDir.toFile());
    }
    builder.environment().putAll(env);
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      // Read output on this thread; the commands we run print little and then exit.
      var output = new java.io.ByteArrayOutputStream();
      Thread reader =
          new Thread(
              () -> {
                try {
                  process.getInputStream().transferTo(output);
                } catch (IOException ignored) {
                  // The process died; what was read is reported below.
                }
              },
              "output-of-" + Path.of(command.get(0)).getFileName());
      reader.setDaemon(true);
      reader.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        reader.join(1000);
        throw new IllegalStateException(
            "Timed out after " + timeout + ": " + String.join(" ", command) + "\n" + text(output));
      }
      reader.join(5000);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "Exit code "
                + process.exitValue()
                + " from: "
                + String.join(" ", command)
                + "\n"
                + text(output));
      }
      return text(output);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while running " + command.get(0), e);
    }
  }

  private static String text(java.io.ByteArrayOutputStream output) {
    return output.toString(StandardCharsets.UTF_8);
  }

  /** A TCP port on the loopback interface that is free right now. */
  public static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free loopback port", e);
    }
  }

  /** Whether something accepts TCP connections on the loopback port. */
  public static boolean isListening(int port) {
    try (var socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
