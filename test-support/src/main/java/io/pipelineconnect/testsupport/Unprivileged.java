package io.pipelineconnect.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs server binaries that refuse root (initdb, postgres) as an unprivileged user.
 *
 * <p>These machines and CI run as root, and PostgreSQL will not start as root. When the JVM runs as
 * uid 0, commands are wrapped in {@code setpriv} (or {@code runuser}) to become {@code nobody}, and
 * the directories those commands write are handed to that user. As an ordinary user nothing is
 * wrapped or handed over.
 */
public final class Unprivileged {
  /** The user servers run as when we are root: exists on every Debian and most other systems. */
  public static final String USER = "nobody";

  private static final boolean ROOT = currentUid() == 0;

  private Unprivileged() {}

  /** Whether this JVM runs as root, so that servers must drop privileges. */
  public static boolean runningAsRoot() {
    return ROOT;
  }

  /** The command, wrapped so that it runs as {@link #USER} when we are root. */
  public static List<String> command(List<String> command) {
    if (!ROOT) {
      return command;
    }
    List<String> wrapped = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setpriv"))
        || Files.isExecutable(Path.of("/bin/setpriv"))) {
      wrapped.addAll(
          List.of("setpriv", "--reuid=" + USER, "--regid=" + group(), "--clear-groups", "--"));
    } else {
      wrapped.addAll(List.of("runuser", "-u", USER, "--"));
    }
    wrapped.addAll(command);
    return wrapped;
  }

  /**
   * Hands a directory tree to {@link #USER} when we are root, so the server can write it. A no-op
   * for an ordinary user, who already owns what it created.
   */
  public static void handOver(Path dir) {
    if (!ROOT) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
      var user = lookup.lookupPrincipalByName(USER);
      GroupPrincipal group = lookup.lookupPrincipalByGroupName(group());
      for (Path path : (Iterable<Path>) paths::iterator) {
        PosixFileAttributeView view =
            Files.getFileAttributeView(path, PosixFileAttributeView.class);
        view.setOwner(user);
        view.setGroup(group);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not hand " + dir + " over to user " + USER, e);
    }
  }

  private static String group() {
    // Debian calls nobody's group "nogroup"; other systems call it "nobody".
    try {
      return Files.readAllLines(Path.of("/etc/group")).stream()
              .anyMatch(l -> l.startsWith("nogroup:"))
          ? "nogroup"
          : "nobody";
    } catch (IOException e) {
      return "nogroup";
    }
  }

  private static int currentUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      return "root".equals(System.getProperty("user.name")) ? 0 : 1000;
    }
  }
}
