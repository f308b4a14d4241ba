package io.pipelineconnect.packaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Which process listens on a local TCP port, read from Linux's /proc (the kernel's socket table,
 * then each process's open files): so the quickstart can say what is in the way, not just that
 * something is.
 */
final class ListeningProcesses {
  /** TCP state 0A: LISTEN. */
  private static final String LISTEN = "0A";

  private ListeningProcesses() {}

  static Optional<ProcessHandle> holderOf(int port) {
    Set<String> sockets = listeningSocketInodes(port);
    if (sockets.isEmpty()) {
      return Optional.empty();
    }
    try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
      return processes
          .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .filter(p -> holdsAny(p, sockets))
          .findFirst()
          .flatMap(p -> ProcessHandle.of(Long.parseLong(p.getFileName().toString())));
    } catch (IOException | RuntimeException notLinux) {
      return Optional.empty();
    }
  }

  private static Set<String> listeningSocketInodes(int port) {
    Set<String> inodes = new HashSet<>();
    String hexPort = String.format(Locale.ROOT, ":%04X", port);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] fields = line.trim().split("\\s+");
          // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout
          // inode
          if (fields.length > 9 && fields[1].endsWith(hexPort) && fields[3].equals(LISTEN)) {
            inodes.add("socket:[" + fields[9] + "]");
          }
        }
      } catch (IOException | RuntimeException unreadable) {
        // No such table (no IPv6) or not Linux: nothing found there.
      }
    }
    return inodes;
  }

  private static boolean holdsAny(Path process, Set<String> sockets) {
    try (Stream<Path> fds = Files.list(process.resolve("fd"))) {
      return fds.anyMatch(
          fd -> {
            try {
              return sockets.contains(Files.readSymbolicLink(fd).toString());
            } catch (IOException | RuntimeException gone) {
              return false;
            }
          });
    } catch (IOException | RuntimeException noAccess) {
      return false;
    }
  }
}
