package io.pipelineconnect.common;

import java.util.Objects;

/** Quoting of PostgreSQL identifiers and literals for the few statements we build as text. */
public final class Identifiers {
  private Identifiers() {}

  /**
   * Quotes an identifier: wraps it in double quotes and doubles any double quote inside, so that
   * {@code a"; drop table x; --} stays one harmless identifier.
   *
   * @throws IllegalArgumentException for an empty identifier or one containing NUL, which
   *     PostgreSQL cannot represent
   */
  public static String quote(String identifier) {
    Objects.requireNonNull(identifier, "identifier");
    if (identifier.isEmpty()) {
      throw new IllegalArgumentException("An identifier cannot be empty");
    }
    if (identifier.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("An identifier cannot contain NUL");
    }
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /**
   * Quotes a string literal so that it means the same whatever {@code standard_conforming_strings}
   * says: single quotes doubled, and where a backslash occurs, the escape-string form {@code
   * E'...'} with backslashes doubled.
   */
  public static String quoteLiteral(String value) {
    Objects.requireNonNull(value, "value");
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("A string literal cannot contain NUL");
    }
    String body = value.replace("'", "''");
    if (body.indexOf('\\') >= 0) {
      return "E'" + body.replace("\\", "\\\\") + '\'';
    }
    return '\'' + body + '\'';
  }
}
