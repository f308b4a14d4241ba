package io.pipelineconnect.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server on a loopback port, for tests and the quickstart.
 *
 * <p>Started with the distribution's own {@code initdb} and {@code pg_ctl}. When this JVM runs as
 * root, those run as an unprivileged user (PostgreSQL refuses root; see {@link Unprivileged}). The
 * server can be stopped and started again on the same data directory and port, which is what the
 * reliability tests need. Authentication is {@code trust} for the superuser {@code postgres}: this
 * is a test server on loopback.
 */
public final class PostgresServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);
  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);
  private static final Map<String, String> C_LOCALE = Map.of("LC_ALL", "C", "LANG", "C");

  public static final String SUPERUSER = "postgres";

  private final PostgresDistribution distribution;
  private final Map<String, String> settings;
  private final List<String> databaseSetupSql;
  private final Path serverDir;
  private final Path dataDir;
  private final Path logFile;
  private final int port;
  private final AtomicInteger databaseCounter = new AtomicInteger();
  private Thread shutdownHook;
  private boolean initialized;

  private PostgresServer(Builder builder) {
    this.distribution = builder.distribution;
    this.settings = new LinkedHashMap<>(builder.settings);
    this.databaseSetupSql = List.copyOf(builder.databaseSetupSql);
    this.port = builder.port > 0 ? builder.port : Processes.freeLoopbackPort();
    try {
      this.serverDir =
          Files.createTempDirectory(
              Archives.cacheRoot(),
              "server-" + port + "-",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.dataDir = serverDir.resolve("data");
    this.logFile = serverDir.resolve("postgres.log");
  }

  /** A server from zonky's PostgreSQL binaries (the version the build pins). */
  public static Builder builder() {
    return new Builder(PostgresDistribution.zonky());
  }

  /** A server from the given distribution. */
  public static Builder builder(PostgresDistribution distribution) {
    return new Builder(distribution);
  }

  /** Initialises the data directory on first use and starts the server; waits until it accepts. */
  public synchronized PostgresServer start() {
    if (!initialized) {
      initDb();
      initialized = true;
    }
    pgCtl("start", "-l", logFile.toString(), "-w", "-t", "120");
    shutdownHook = new Thread(this::stopImmediately, "stop-postgres-" + port);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    log.info("PostgreSQL ({}) listening on 127.0.0.1:{}", distribution.name(), port);
    return this;
  }

  /** Stops the server (fast shutdown: clients are disconnected, data is kept). */
  public synchronized void stop() {
    if (shutdownHook == null) {
      return;
    }
    pgCtl("stop", "-m", "fast", "-w", "-t", "120");
    removeShutdownHook();
    log.info("PostgreSQL on port {} stopped", port);
  }

  /** Stops and starts the server on the same data directory and port. */
  public synchronized void restart() {
    stop();
    start();
  }

  public boolean isRunning() {
    return shutdownHook != null;
  }

  /** Stops the server and removes its data directory. */
  @Override
  public synchronized void close() {
    try {
      if (shutdownHook != null) {
        stopImmediately();
        removeShutdownHook();
      }
    } finally {
      try {
        Archives.deleteRecursively(serverDir);
      } catch (IOException e) {
        log.warn("Could not delete {}: {}", serverDir, e.toString());
      }
    }
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  public String user() {
    return SUPERUSER;
  }

  public PostgresDistribution distribution() {
    return distribution;
  }

  /** The server's log file, useful in failure messages. */
  public Path logFile() {
    return logFile;
  }

  /** The pgjdbc URL of a database on this server. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://" + host() + ":" + port + "/" + database;
  }

  /** A new connection as the given role (authentication is trust), to test what it may do. */
  public Connection connectAs(String database, String role) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), role, "");
  }

  /**
   * Makes this role give its password over TCP (scram-sha-256), where every other role keeps trust
   * authentication: a rule put before initdb's trust rules, then a configuration reload. Rules are
   * read per connection, so the next login of the role is asked for its password.
   */
  public void requirePassword(String role) {
    Path hba = dataDir.resolve("pg_hba.conf");
    try {
      List<String> lines = new ArrayList<>();
      lines.add("host all " + role + " 127.0.0.1/32 scram-sha-256");
      lines.addAll(Files.readAllLines(hba));
      Files.write(hba, lines);
      try (Connection admin = connect("postgres");
          Statement statement = admin.createStatement()) {
        statement.execute("SELECT pg_reload_conf()");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not change " + hba, e);
    } catch (SQLException e) {
      throw new IllegalStateException("Could not reload the configuration", e);
    }
  }

  /** A new connection, as the superuser, to a database on this server. */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), SUPERUSER, "");
  }

  /** Runs the statements in turn on one connection, as the superuser, each committed alone. */
  public void execute(String database, String... statements) throws SQLException {
    try (Connection connection = connect(database);
        Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  /** A query's first column of its first row as a long, 0 if it has no rows (a count, say). */
  public long queryLong(String database, String sql) {
    try (Connection connection = connect(database);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : 0;
    } catch (SQLException e) {
      throw new IllegalStateException("Query failed: " + sql, e);
    }
  }

  /**
   * Creates a fresh, empty database (with the setup SQL of this server's builder applied) and
   * returns its name. Tests take one each, so they never see each other's tables.
   */
  public String createDatabase() {
    String name = "test_" + databaseCounter.incrementAndGet();
    try (Connection admin = connect("postgres");
        Statement statement = admin.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("Could not create database " + name + " on port " + port, e);
    }
    if (!databaseSetupSql.isEmpty()) {
      try (Connection db = connect(name);
          Statement statement = db.createStatement()) {
        for (String sql : databaseSetupSql) {
          statement.execute(sql);
        }
      } catch (SQLException e) {
        throw new IllegalStateException("Could not set up database " + name, e);
      }
    }
    return name;
  }

  private void initDb() {
    try {
      Files.createDirectories(dataDir);
      Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
      Files.setPosixFilePermissions(serverDir, PosixFilePermissions.fromString("rwx------"));
      Unprivileged.handOver(serverDir);
      Processes.run(
          Unprivileged.command(
              List.of(
                  distribution.program("initdb"),
                  "-D",
                  dataDir.toString(),
                  "-U",
                  SUPERUSER,
                  "--auth=trust",
                  "-E",
                  "UTF8",
                  "--locale=C",
                  "--no-sync")),
          serverDir,
          C_LOCALE,
          COMMAND_TIMEOUT);
      List<String> lines = new ArrayList<>();
      lines.add("");
      lines.add("# pipeline-connect test server");
      lines.add("listen_addresses = '127.0.0.1'");
      lines.add("port = " + port);
      // TCP only: no socket file in /tmp or /var/run to clash with, or to need permissions for.
      lines.add("unix_socket_directories = ''");
      settings.forEach((key, value) -> lines.add(key + " = " + value));
      Files.write(dataDir.resolve("postgresql.conf"), lines, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not initialise " + dataDir, e);
    }
  }

  private void pgCtl(String action, String... options) {
    List<String> command =
        new ArrayList<>(List.of(distribution.program("pg_ctl"), action, "-D", dataDir.toString()));
    command.addAll(List.of(options));
    try {
      Processes.run(Unprivileged.command(command), serverDir, C_LOCALE, COMMAND_TIMEOUT);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + "\nServer log:\n" + tailOfLog(), e);
    }
  }

  private void stopImmediately() {
    try {
      pgCtl("stop", "-m", "immediate", "-w", "-t", "60");
    } catch (RuntimeException e) {
      log.warn("Could not stop PostgreSQL on port {}: {}", port, e.getMessage());
    }
  }

  private void removeShutdownHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // Called from within the hook's own shutdown: nothing to remove.
    }
    shutdownHook = null;
  }

  private String tailOfLog() {
    try {
      List<String> lines = Files.readAllLines(logFile);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log at " + logFile + ")";
    }
  }

  /**
   * Settings for a server; {@link #build()} prepares it, {@link PostgresServer#start()} starts it.
   */
  public static final class Builder {
    private final PostgresDistribution distribution;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final List<String> databaseSetupSql = new ArrayList<>();
    private int port;

    private Builder(PostgresDistribution distribution) {
      this.distribution = distribution;
      // A test server: durability against OS crashes is not needed, speed is. A stopped or
      // killed postgres still keeps every committed row, which is what restart tests check.
      settings.put("fsync", "off");
      settings.put("synchronous_commit", "off");
      settings.put("full_page_writes", "off");
      settings.put("max_connections", "200");
    }

    /** A {@code postgresql.conf} setting; the value is written as given (quote strings). */
    public Builder setting(String key, String value) {
      settings.put(key, value);
      return this;
    }

    /** SQL run in every database that {@link PostgresServer#createDatabase()} creates. */
    public Builder databaseSetupSql(String sql) {
      databaseSetupSql.add(sql);
      return this;
    }

    /** A fixed port instead of a free one (the quickstart's well-known port, for example). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public PostgresServer build() {
      return new PostgresServer(this);
    }

    /** Builds and starts the server. */
    public PostgresServer start() {
      return build().start();
    }
  }
}
