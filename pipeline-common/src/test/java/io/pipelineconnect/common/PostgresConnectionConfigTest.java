package io.pipelineconnect.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class PostgresConnectionConfigTest {
  private static final ConfigDef DEF = PostgresConnectionConfig.define(new ConfigDef());

  private static PostgresConnectionConfig parse(Map<String, String> props) {
    AbstractConfig config = new AbstractConfig(DEF, props);
    return PostgresConnectionConfig.from(config.values(), config.originals());
  }

  @Test
  void readsUrlUserAndDriverPropertiesButNeverShowsThePassword() {
    PostgresConnectionConfig config =
        parse(
            Map.of(
                "connection.url", "jdbc:postgresql://db:5432/analytics",
                "connection.user", "loader",
                "connection.password", "s3cret",
                "connection.properties.sslmode", "require"));
    assertThat(config.url()).isEqualTo("jdbc:postgresql://db:5432/analytics");
    assertThat(config.user()).isEqualTo("loader");
    assertThat(config.driverProperties()).containsExactly(Map.entry("sslmode", "require"));
    assertThat(config.toString()).doesNotContain("s3cret").contains("loader", "sslmode");
  }

  @Test
  void userDefaultsToPostgres() {
    assertThat(parse(Map.of("connection.url", "jdbc:postgresql://db/x")).user())
        .isEqualTo("postgres");
  }

  @Test
  void rejectsANonPostgresUrlNamingTheKey() {
    assertThatThrownBy(() -> parse(Map.of("connection.url", "jdbc:mysql://db/x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("connection.url")
        .hasMessageContaining("jdbc:postgresql://host:5432/database");
  }

  @Test
  void rejectsThePasswordThroughThePassthrough() {
    assertThatThrownBy(
            () ->
                parse(
                    Map.of(
                        "connection.url", "jdbc:postgresql://db/x",
                        "connection.properties.password", "s3cret")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("connection.password")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void credentialsInTheUrlAreMaskedInItsDescriptionAndInValidationErrors() {
    PostgresConnectionConfig config =
        parse(
            Map.of(
                "connection.url",
                "jdbc:postgresql://db/x?ssl=true&password=s3cret&sslpassword=k3y&ApplicationName=a"));
    assertThat(config.toString())
        .doesNotContain("s3cret", "k3y")
        .contains("password=****", "sslpassword=****", "ApplicationName=a");
    assertThatThrownBy(() -> parse(Map.of("connection.url", "jdbc:mysql://db/x?password=s3cret")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("connection.url")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void warnsOfARemoteDatabaseWithoutVerifiedTls() {
    assertThat(
            parse(Map.of("connection.url", "jdbc:postgresql://db.example.com/x"))
                .plaintextWarning())
        .get()
        .asString()
        .contains("db.example.com", "sslmode=verify-full");
    assertThat(
            parse(Map.of("connection.url", "jdbc:postgresql://db.example.com/x?sslmode=disable"))
                .plaintextWarning())
        .get()
        .asString()
        .contains("sslmode=disable");
    assertThat(
            parse(
                    Map.of(
                        "connection.url", "jdbc:postgresql://db.example.com/x",
                        "connection.properties.sslmode", "verify-full"))
                .plaintextWarning())
        .isEmpty();
    assertThat(
            parse(Map.of("connection.url", "jdbc:postgresql://db.example.com/x?sslmode=require"))
                .plaintextWarning())
        .isEmpty();
    assertThat(
            parse(Map.of("connection.url", "jdbc:postgresql://127.0.0.1:5432/x"))
                .plaintextWarning())
        .isEmpty();
    assertThat(parse(Map.of("connection.url", "jdbc:postgresql://[::1]/x")).plaintextWarning())
        .isEmpty();
    assertThat(parse(Map.of("connection.url", "jdbc:postgresql:x")).plaintextWarning()).isEmpty();
  }
}
