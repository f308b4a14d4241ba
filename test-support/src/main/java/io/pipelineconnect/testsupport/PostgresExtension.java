package io.pipelineconnect.testsupport;

import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real PostgreSQL (or PipelineDB) server per test class; each test takes a fresh database with
 * {@link #createDatabase()}.
 *
 * <pre>{@code
 * @RegisterExtension static final PostgresExtension PG = PostgresExtension.postgres();
 * @RegisterExtension static final PostgresExtension PIPELINE = PostgresExtension.pipelineDb();
 * }</pre>
 *
 * <p>Where no PipelineDB distribution is found, {@link #pipelineDb()} skips the class with a
 * message that says how to provide one, except under CI ({@code CI=true}), where it fails: CI
 * always tests against the real PipelineDB.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback {
  private final Supplier<Optional<PostgresServer.Builder>> builder;
  private PostgresServer server;

  private PostgresExtension(Supplier<Optional<PostgresServer.Builder>> builder) {
    this.builder = builder;
  }

  /** PostgreSQL from zonky's binaries (the version the build pins). */
  public static PostgresExtension postgres() {
    return new PostgresExtension(() -> Optional.of(PostgresServer.builder()));
  }

  /** The real PipelineDB 1.0 from {@code PIPELINEDB_DIST} / {@code ../shared/pipelinedb/}. */
  public static PostgresExtension pipelineDb() {
    return new PostgresExtension(() -> PipelineDb.distributionArchive().map(PipelineDb::builder));
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    Optional<PostgresServer.Builder> configured = builder.get();
    if (configured.isEmpty()) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new IllegalStateException(PipelineDb.howToProvide() + " CI must test against it.");
      }
      Assumptions.abort(PipelineDb.howToProvide());
    }
    server = configured.get().start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  public PostgresServer server() {
    return server;
  }

  /** A fresh database on the class's server; returns its name. */
  public String createDatabase() {
    return server.createDatabase();
  }

  /** The pgjdbc URL of a database on the class's server. */
  public String jdbcUrl(String database) {
    return server.jdbcUrl(database);
  }
}
