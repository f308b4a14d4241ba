package io.pipelineconnect.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The real PipelineDB 1.0 (on PostgreSQL 11.2) that the sink's stream tests write into.
 *
 * <p>The distribution is a relocatable {@code .tar.xz} found through the {@code PIPELINEDB_DIST}
 * environment variable, else the {@code pipelineconnect.pipelinedb.dist} system property (the build
 * points it at {@code ../shared/pipelinedb/}). It is started with the same root-safe launcher as
 * PostgreSQL, with PipelineDB preloaded and its extension created in every test database.
 */
public final class PipelineDb {
  public static final String DIST_ENV = "PIPELINEDB_DIST";
  public static final String DIST_PROPERTY = "pipelineconnect.pipelinedb.dist";

  private PipelineDb() {}

  /** Where the distribution archive is, if this machine has one. */
  public static Optional<Path> distributionArchive() {
    String configured = System.getenv(DIST_ENV);
    if (configured == null || configured.isBlank()) {
      configured = System.getProperty(DIST_PROPERTY);
    }
    if (configured == null || configured.isBlank()) {
      return Optional.empty();
    }
    Path path = Path.of(configured);
    return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
  }

  /** What to tell a user whose machine has no distribution. */
  public static String howToProvide() {
    return "No PipelineDB distribution found. Set "
        + DIST_ENV
        + " to a PipelineDB 1.0 .tar.xz (e.g. ../shared/pipelinedb/"
        + "pipelinedb-1.0.0-pg11.2-linux-x86_64.tar.xz) or the system property "
        + DIST_PROPERTY
        + ".";
  }

  /** A server builder for the given PipelineDB distribution archive. */
  public static PostgresServer.Builder builder(Path archive) {
    return PostgresServer.builder(PostgresDistribution.fromTarXz(archive))
        .setting("shared_preload_libraries", "'pipelinedb'")
        .setting("max_worker_processes", "128")
        .databaseSetupSql("CREATE EXTENSION IF NOT EXISTS pipelinedb");
  }
}
