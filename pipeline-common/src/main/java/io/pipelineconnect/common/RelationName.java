package io.pipelineconnect.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A possibly schema-qualified PostgreSQL relation name (table, stream, view), parsed the way
 * PostgreSQL parses one: unquoted parts fold to lower case, double-quoted parts are kept exactly,
 * {@code ""} inside quotes is one quote.
 *
 * <p>{@link #quoted()} always renders both parts quoted, so a name taken from a topic, a message
 * key or a config value can never inject SQL.
 */
public record RelationName(Optional<String> schema, String name) {

  public RelationName {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(name, "name");
    if (name.isEmpty() || schema.map(String::isEmpty).orElse(false)) {
      throw new IllegalArgumentException("Relation and schema names cannot be empty");
    }
  }

  /** A name in the search path (no schema). */
  public static RelationName of(String name) {
    return new RelationName(Optional.empty(), name);
  }

  /** A name in the given schema. */
  public static RelationName of(String schema, String name) {
    return new RelationName(Optional.of(schema), name);
  }

  /**
   * Parses {@code name}, {@code schema.name}, {@code "Mixed Case"."dotted.name"} and the like.
   *
   * @throws IllegalArgumentException with the reason, for anything PostgreSQL would not accept as a
   *     relation name
   */
  public static RelationName parse(String text) {
    Objects.requireNonNull(text, "text");
    List<String> parts = new ArrayList<>();
    StringBuilder part = new StringBuilder();
    boolean quoted = false;
    boolean partWasQuoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
            part.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          part.append(c);
        }
      } else if (c == '"') {
        if (part.length() > 0) {
          throw new IllegalArgumentException("Unexpected quote inside a name: " + text);
        }
        quoted = true;
        partWasQuoted = true;
      } else if (c == '.') {
        parts.add(finish(part, partWasQuoted, text));
        part.setLength(0);
        partWasQuoted = false;
      } else if (partWasQuoted) {
        throw new IllegalArgumentException("Characters after a closing quote: " + text);
      } else {
        part.append(c);
      }
    }
    if (quoted) {
      throw new IllegalArgumentException("Unterminated quote in relation name: " + text);
    }
    parts.add(finish(part, partWasQuoted, text));
    return switch (parts.size()) {
      case 1 -> of(parts.get(0));
      case 2 -> of(parts.get(0), parts.get(1));
      default ->
          throw new IllegalArgumentException(
              "A relation name has at most two parts (schema.name): " + text);
    };
  }

  private static String finish(StringBuilder part, boolean wasQuoted, String text) {
    String value = wasQuoted ? part.toString() : part.toString().trim();
    if (value.isEmpty()) {
      throw new IllegalArgumentException("Empty part in relation name: '" + text + "'");
    }
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("A relation name cannot contain NUL: " + text);
    }
    return wasQuoted ? value : value.toLowerCase(Locale.ROOT);
  }

  /** The name as SQL, every part double-quoted: {@code "schema"."name"}. */
  public String quoted() {
    return schema.map(s -> Identifiers.quote(s) + ".").orElse("") + Identifiers.quote(name);
  }

  /** The name as a user would write it, for messages. */
  @Override
  public String toString() {
    return quoted();
  }
}
