package io.pipelineconnect.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {
  @Test
  void masksSecretParametersAndAuthorityPasswords() {
    assertThat(Redaction.redact("jdbc:postgresql://h/db?user=u&password=p1&x=y"))
        .isEqualTo("jdbc:postgresql://h/db?user=u&password=****&x=y");
    assertThat(Redaction.redact("jdbc:postgresql://h/db?PASSWORD=p1"))
        .isEqualTo("jdbc:postgresql://h/db?PASSWORD=****");
    assertThat(Redaction.redact("Could not open jdbc:postgresql://h/db?sslpassword=k&a=1: down"))
        .isEqualTo("Could not open jdbc:postgresql://h/db?sslpassword=****&a=1: down");
    assertThat(Redaction.redact("postgresql://user:pw@host:5432/db"))
        .isEqualTo("postgresql://user:****@host:5432/db");
    assertThat(Redaction.redact("jdbc:postgresql://host:5432/db?ssl=true"))
        .isEqualTo("jdbc:postgresql://host:5432/db?ssl=true");
    assertThat(Redaction.redact(null)).isNull();
  }
}
