package io.pipelineconnect.packaging;

import io.pipelineconnect.testsupport.Archives;
import io.pipelineconnect.testsupport.Processes;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Keeps the quickstart from outliving its user: Maven runs it as a child JVM, and a signal to Maven
 * alone (a supervisor, an IDE's stop button, {@code timeout}) ended Maven and left the quickstart,
 * the worker, kinesalite and PostgreSQL holding their ports. So the quickstart exits when its
 * parent does (its shutdown hook stops what it started), records its pid, and at start stops an
 * earlier run still alive or names what holds a port it needs.
 */
final class QuickstartLifecycle {
  private static final Path PID_FILE =
      Path.of(System.getProperty("java.io.tmpdir"), "pipeline-connect-quickstart.pid");

  private QuickstartLifecycle() {}

  /**
   * Exits this JVM once the process that started it (Maven) is gone, and from then on prints to the
   * terminal itself: Maven, which relayed this process's output, cannot anymore.
   */
  static void exitWithParent(BooleanSupplier stopping) {
    ProcessHandle.current()
        .parent()
        .ifPresent(
            parent ->
                parent
                    .onExit()
                    .thenRun(
                        () -> {
                          terminal().ifPresent(System::setOut);
                          if (stopping.getAsBoolean()) {
                            return; // Ctrl-C reached both: the hook is stopping everything
                          }
                          System.out.println(
                              "\nMaven (pid "
                                  + parent.pid()
                                  + ") is gone: stopping the quickstart.");
                          System.exit(0); // runs the shutdown hook: nothing is left running
                        }));
  }

  /** The controlling terminal, where the user still looks, if this process has one. */
  static Optional<PrintStream> terminal() {
    try {
      return Optional.of(
          new PrintStream(
              Files.newOutputStream(Path.of("/dev/tty")), true, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException none) {
      return Optional.empty();
    }
  }

  /**
   * Stops an earlier quickstart that is still running (its pid file names a live quickstart), then
   * clears the ports: a server an earlier run left behind (the quickstart itself was killed, so its
   * shutdown hook never ran) is stopped; a port held by anything else is named with its process.
   */
  static void clearEarlierRun(int... ports) throws IOException, InterruptedException {
    if (Files.exists(PID_FILE)) {
      long pid = Long.parseLong(Files.readString(PID_FILE).trim());
      Optional<ProcessHandle> earlier = ProcessHandle.of(pid);
      if (earlier.isPresent() && isQuickstart(earlier.get())) {
        System.out.println(
            "An earlier quickstart (pid " + pid + ") is still running: stopping it first ...");
        stop(earlier.get(), 60);
      }
    }
    List<String> inTheWay = new ArrayList<>();
    for (int port : ports) {
      if (isFree(port)) {
        continue;
      }
      Optional<ProcessHandle> holder = ListeningProcesses.holderOf(port);
      String command = holder.map(QuickstartLifecycle::commandLine).orElse("");
      if (holder.isPresent() && isOurs(command)) {
        System.out.println(
            "Stopping what an earlier quickstart left on port "
                + port
                + " (pid "
                + holder.get().pid()
                + ") ...");
        stop(holder.get(), 20);
      }
      if (!isFree(port)) {
        inTheWay.add(
            "port "
                + port
                + " is held by "
                + holder
                    .map(h -> "pid " + h.pid() + " (" + abbreviate(commandLine(h)) + ")")
                    .orElse("a process this user cannot see"));
      }
    }
    if (!inTheWay.isEmpty()) {
      throw new IllegalStateException(
          "The quickstart needs ports "
              + java.util.Arrays.toString(ports)
              + ", but "
              + String.join("; ", inTheWay)
              + ". Stop it (kill <pid>) and start again.");
    }
    Files.writeString(PID_FILE, Long.toString(ProcessHandle.current().pid()));
  }

  /** SIGTERM, so it shuts down in order; SIGKILL if it is still there after the grace period. */
  private static void stop(ProcessHandle process, int graceSeconds) throws InterruptedException {
    process.destroy();
    try {
      process.onExit().get(graceSeconds, TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      process.destroyForcibly();
      TimeUnit.SECONDS.sleep(1);
    }
  }

  /**
   * The servers the quickstart starts, and only those: PostgreSQL runs from binaries unpacked into
   * the project's cache directory, kinesalite from a launcher script there, and the forked Connect
   * worker from a properties file there. A worker of the user's own, even one with this plugin on
   * its plugin.path, names none of them, so it is named to the user, never stopped.
   */
  static boolean isOurs(String command) {
    return command.contains(Archives.cacheRoot() + "/");
  }

  private static String commandLine(ProcessHandle process) {
    return process.info().commandLine().orElse(process.info().command().orElse("?"));
  }

  private static String abbreviate(String text) {
    return text.length() <= 120 ? text : text.substring(0, 117) + "...";
  }

  /** Forgets this run's pid, if the file still names it. */
  static void forgetRun() {
    try {
      if (Files.exists(PID_FILE)
          && Files.readString(PID_FILE)
              .trim()
              .equals(Long.toString(ProcessHandle.current().pid()))) {
        Files.delete(PID_FILE);
      }
    } catch (IOException | RuntimeException ignored) {
      // A stale file is checked against a live quickstart before it is acted on.
    }
  }

  private static boolean isQuickstart(ProcessHandle process) {
    return process
            .info()
            .arguments()
            .map(args -> String.join(" ", args))
            .orElse("")
            .contains(Quickstart.class.getName())
        && process.pid() != ProcessHandle.current().pid();
  }

  /**
   * Nothing accepts connections on the loopback port (a server on 127.0.0.1 alone would take the
   * quickstart's local connections from one on all addresses), and it can be bound.
   */
  private static boolean isFree(int port) {
    if (Processes.isListening(port)) {
      return false;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
