package io.pipelineconnect.testsupport;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * Unpacks the server distributions (xz-compressed tarballs) once into a shared cache directory.
 *
 * <p>The cache lives under {@code java.io.tmpdir} rather than {@code target/}: when we run as root
 * the servers run as an unprivileged user, who must be able to reach the binaries, and a clone
 * under {@code /root} is not traversable by anyone else.
 */
public final class Archives {
  private static final Set<PosixFilePermission> WORLD_READABLE_DIR =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private Archives() {}

  /** The shared cache directory of this project's unpacked binaries and server data. */
  public static Path cacheRoot() {
    // One per user: a cache made by root is not writable by an ordinary user, and vice versa.
    Path root =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "pipeline-connect-" + System.getProperty("user.name"));
    try {
      Files.createDirectories(root);
      Files.setPosixFilePermissions(root, WORLD_READABLE_DIR);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create " + root, e);
    }
    return root;
  }

  /**
   * Unpacks a {@code .txz} stream into {@code cacheRoot()/name}, unless a complete unpack is
   * already there. Safe against concurrent JVMs doing the same (a file lock serialises them).
   */
  @SuppressWarnings("try") // the FileLock is held for the try block's span, never read
  public static Path unpackOnce(String name, StreamSource archive) {
    Path target = cacheRoot().resolve(name);
    Path done = target.resolve(".unpacked");
    try (FileChannel lockFile =
            FileChannel.open(
                cacheRoot().resolve(name + ".lock"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock ignored = lockFile.lock()) {
      if (Files.exists(done)) {
        return target;
      }
      deleteRecursively(target);
      Files.createDirectories(target);
      try (InputStream in = archive.open()) {
        untarXz(in, target);
      }
      makeTraversable(target);
      Files.createFile(done);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not unpack " + name + " into " + target, e);
    }
  }

  /** Opens the archive's bytes; called only when the archive must actually be unpacked. */
  @FunctionalInterface
  public interface StreamSource {
    InputStream open() throws IOException;
  }

  static void untarXz(InputStream compressed, Path target) throws IOException {
    try (TarArchiveInputStream tar =
        new TarArchiveInputStream(
            new XZCompressorInputStream(new BufferedInputStream(compressed, 1 << 16)))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Path out = target.resolve(entry.getName()).normalize();
        if (!out.startsWith(target)) {
          throw new IOException("Archive entry escapes the target directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(out);
        } else if (entry.isSymbolicLink()) {
          Files.createDirectories(out.getParent());
          Files.deleteIfExists(out);
          Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
        } else if (entry.isLink()) {
          Files.createDirectories(out.getParent());
          Files.deleteIfExists(out);
          Files.createLink(out, target.resolve(entry.getLinkName()).normalize());
        } else {
          Files.createDirectories(out.getParent());
          Files.copy(tar, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          // Keep the executable bits (bin/postgres ...) and make everything readable by others.
          int mode = entry.getMode() | 0444;
          Files.setPosixFilePermissions(out, permissions(mode));
        }
      }
    }
  }

  private static void makeTraversable(Path root) throws IOException {
    try (var dirs = Files.walk(root)) {
      for (Path dir : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
        Files.setPosixFilePermissions(dir, WORLD_READABLE_DIR);
      }
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    StringBuilder s = new StringBuilder();
    String rwx = "rwx";
    for (int shift = 6; shift >= 0; shift -= 3) {
      for (int bit = 0; bit < 3; bit++) {
        s.append((mode >> (shift + 2 - bit) & 1) == 1 ? rwx.charAt(bit) : '-');
      }
    }
    return PosixFilePermissions.fromString(s.toString());
  }

  /** Deletes a directory tree if it exists. */
  /** Unpacks a zip archive (a Confluent Hub component) into {@code target}. */
  public static void unzip(Path archive, Path target) throws IOException {
    try (InputStream in = Files.newInputStream(archive);
        java.util.zip.ZipInputStream zip = new java.util.zip.ZipInputStream(in)) {
      java.util.zip.ZipEntry entry;
      while ((entry = zip.getNextEntry()) != null) {
        Path out = target.resolve(entry.getName()).normalize();
        if (!out.startsWith(target)) {
          throw new IOException("Archive entry outside the target: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(out);
        } else {
          Files.createDirectories(out.getParent());
          Files.copy(zip, out);
        }
      }
    }
  }

  public static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
