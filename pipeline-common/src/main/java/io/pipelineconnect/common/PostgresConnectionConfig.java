package io.pipelineconnect.common;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The PostgreSQL connection settings every connector shares, as a config fragment: {@link
 * #define(ConfigDef)} adds the keys to a connector's ConfigDef, and {@link #from(Map)} reads them
 * into typed values.
 *
 * <p>Keys: {@code connection.url}, {@code connection.user}, {@code connection.password} (never
 * logged), and any {@code connection.properties.<name>} passed to pgjdbc as property {@code name}
 * (e.g. {@code connection.properties.sslmode=require}).
 */
public final class PostgresConnectionConfig {
  public static final String GROUP = "Connection";

  public static final String URL = "connection.url";
  public static final String URL_DOC =
      "JDBC URL of the PostgreSQL or PipelineDB database, e.g."
          + " jdbc:postgresql://db.example.com:5432/analytics";

  public static final String USER = "connection.user";
  public static final String USER_DOC = "Database user to connect as.";
  public static final String USER_DEFAULT = "postgres";

  public static final String PASSWORD = "connection.password";
  public static final String PASSWORD_DOC = "Password of the database user; never logged.";

  public static final String PROPERTIES_PREFIX = "connection.properties.";
  public static final String PROPERTIES_DOC =
      "Any key starting with '"
          + PROPERTIES_PREFIX
          + "' is passed to the PostgreSQL JDBC driver without the prefix, e.g. "
          + PROPERTIES_PREFIX
          + "sslmode=verify-full or "
          + PROPERTIES_PREFIX
          + "connectTimeout=10. Defaults that keep a half-open connection from holding locks:"
          + " tcpKeepAlive=true, connectTimeout=10, socketTimeout=300 and options='-c"
          + " tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3 -c"
          + " lock_timeout=30000' (set options yourself to change or drop them, e.g. behind a"
          + " connection pooler that refuses startup options).";

  private static final String URL_PREFIX = "jdbc:postgresql:";

  /**
   * What a half-open connection (a worker gone without closing its socket) must not be allowed to
   * do: keep its row locks (the sink's offsets) or advisory locks (the emitter's buckets) until the
   * server notices, by default about two hours, while the replacement task waits. The server probes
   * an idle client after 30 s and drops it after three unanswered probes 10 s apart; a lock wait
   * gives up after 30 s (the task retries with backoff); the driver gives up on a connect after 10
   * s and on a reply after 5 minutes. Each is overridden by the same pgjdbc property under
   * connection.properties. (options, tcpKeepAlive, connectTimeout, socketTimeout).
   */
  static final Map<String, String> SESSION_DEFAULTS =
      Map.of(
          "tcpKeepAlive", "true",
          "connectTimeout", "10",
          "socketTimeout", "300",
          "options",
              "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10"
                  + " -c tcp_keepalives_count=3 -c lock_timeout=30000");

  private static final Pattern URL_SSLMODE = Pattern.compile("[?&]sslmode=([^&]*)");
  private static final Pattern URL_HOST =
      Pattern.compile("^jdbc:postgresql://(\\[[^\\]]*\\]|[^:/?,]*)");
  private static final Set<String> SECURE_SSL_MODES = Set.of("require", "verify-ca", "verify-full");
  private static final Set<String> LOOPBACK_HOSTS =
      Set.of("localhost", "127.0.0.1", "[::1]", "::1");

  private final String url;
  private final String user;
  private final Password password;
  private final Map<String, String> driverProperties;

  private PostgresConnectionConfig(
      String url, String user, Password password, Map<String, String> driverProperties) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.driverProperties = Collections.unmodifiableMap(new TreeMap<>(driverProperties));
  }

  /** Adds the connection keys to a connector's ConfigDef, in the {@value #GROUP} group. */
  public static ConfigDef define(ConfigDef configDef) {
    int order = 0;
    return configDef
        .define(
            URL,
            Type.STRING,
            ConfigDef.NO_DEFAULT_VALUE,
            new JdbcUrlValidator(),
            Importance.HIGH,
            URL_DOC,
            GROUP,
            ++order,
            Width.LONG,
            "JDBC URL")
        .define(
            USER,
            Type.STRING,
            USER_DEFAULT,
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            USER_DOC,
            GROUP,
            ++order,
            Width.MEDIUM,
            "User")
        .define(
            PASSWORD,
            Type.PASSWORD,
            null,
            Importance.HIGH,
            PASSWORD_DOC,
            GROUP,
            ++order,
            Width.MEDIUM,
            "Password");
  }

  /**
   * Reads the connection settings from a connector's parsed values ({@code
   * AbstractConfig.values()}) and its originals (for the {@code connection.properties.}
   * passthrough).
   */
  public static PostgresConnectionConfig from(
      Map<String, ?> parsedValues, Map<String, ?> originals) {
    Map<String, String> driverProperties = new TreeMap<>();
    originals.forEach(
        (key, value) -> {
          if (key.startsWith(PROPERTIES_PREFIX) && value != null) {
            String property = key.substring(PROPERTIES_PREFIX.length());
            if (property.isEmpty()) {
              throw new ConfigException(key, value, "Name the pgjdbc property after the prefix");
            }
            if (property.toLowerCase(Locale.ROOT).equals("password")
                || property.toLowerCase(Locale.ROOT).equals("user")) {
              throw new ConfigException(
                  key, "[hidden]", "Set the " + property + " with connection." + property);
            }
            driverProperties.put(property, value.toString());
          }
        });
    return new PostgresConnectionConfig(
        (String) parsedValues.get(URL),
        (String) parsedValues.get(USER),
        (Password) parsedValues.get(PASSWORD),
        driverProperties);
  }

  /** Opens a new connection with these settings. */
  public Connection open() throws SQLException {
    return open(Map.of());
  }

  /**
   * Opens a new connection for a connector's {@code validate()}, which Connect's REST call waits
   * for: at most a few seconds to connect and log in, whatever connection.properties say.
   */
  public Connection openForCheck() throws SQLException {
    return open(Map.of("connectTimeout", "5", "loginTimeout", "5", "socketTimeout", "30"));
  }

  private Connection open(Map<String, String> overrides) throws SQLException {
    Properties properties = new Properties();
    properties.putAll(driverProperties);
    properties.putAll(overrides);
    properties.setProperty("user", user);
    if (password != null && password.value() != null) {
      properties.setProperty("password", password.value());
    }
    // Name our sessions so a DBA sees in pg_stat_activity who they are.
    properties.putIfAbsent("ApplicationName", "pipeline-connect");
    SESSION_DEFAULTS.forEach(properties::putIfAbsent);
    return DriverManager.getConnection(url, properties);
  }

  /**
   * A warning when the database is not on this host and nothing asks for TLS: pgjdbc's default
   * sslmode, prefer, checks no certificate and falls back to plaintext without a word.
   */
  public Optional<String> plaintextWarning() {
    String sslMode = driverProperties.get("sslmode");
    Matcher inUrl = URL_SSLMODE.matcher(url);
    if (sslMode == null && inUrl.find()) {
      sslMode = inUrl.group(1);
    }
    if (sslMode != null && SECURE_SSL_MODES.contains(sslMode.toLowerCase(Locale.ROOT))) {
      return Optional.empty();
    }
    Matcher host = URL_HOST.matcher(url);
    String hostName = host.find() ? host.group(1) : "localhost";
    if (hostName.isEmpty() || LOOPBACK_HOSTS.contains(hostName.toLowerCase(Locale.ROOT))) {
      return Optional.empty();
    }
    return Optional.of(
        "Connecting to "
            + hostName
            + " with sslmode="
            + (sslMode == null ? "prefer (the default)" : sslMode)
            + ": the server's certificate is not checked and the session may be plaintext. Set "
            + PROPERTIES_PREFIX
            + "sslmode=verify-full (and "
            + PROPERTIES_PREFIX
            + "sslrootcert=<CA file>) to encrypt and verify");
  }

  public String url() {
    return url;
  }

  public String user() {
    return user;
  }

  /** The pgjdbc properties given through {@code connection.properties.*}. */
  public Map<String, String> driverProperties() {
    return driverProperties;
  }

  /** The URL with any credential in it masked, for logs and messages. */
  public String redactedUrl() {
    return Redaction.redact(url);
  }

  /** For logs: URL (credentials masked), user and driver property names; never the password. */
  @Override
  public String toString() {
    return "PostgreSQL "
        + redactedUrl()
        + " as "
        + user
        + (driverProperties.isEmpty() ? "" : " with " + driverProperties.keySet());
  }

  /** Accepts only {@code jdbc:postgresql:} URLs, with a message that shows the expected form. */
  static final class JdbcUrlValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (value == null || !value.toString().startsWith(URL_PREFIX)) {
        throw new ConfigException(
            name,
            value == null ? null : Redaction.redact(value.toString()),
            "Expected a PostgreSQL JDBC URL such as jdbc:postgresql://host:5432/database");
      }
    }

    @Override
    public String toString() {
      return URL_PREFIX + "//host:port/database";
    }
  }
}
