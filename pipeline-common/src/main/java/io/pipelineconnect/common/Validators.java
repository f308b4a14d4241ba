package io.pipelineconnect.common;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** Small validators for optional keys, each with a message that says what is expected. */
public final class Validators {
  private static final Pattern ROLE_ARN = Pattern.compile("arn:aws[a-z-]*:iam::\\d{12}:role/.+");

  private Validators() {}

  /** Unset, or a string that is not blank. */
  public static ConfigDef.Validator optionalNonBlank() {
    return ConfigDef.LambdaValidator.with(
        (name, value) -> {
          if (value != null && value.toString().isBlank()) {
            throw new ConfigException(name, value, "Leave it unset or give a value");
          }
        },
        () -> "unset, or a non-blank string");
  }

  /** Unset, or an http(s) URL with a host. */
  public static ConfigDef.Validator optionalHttpUrl() {
    return ConfigDef.LambdaValidator.with(
        (name, value) -> {
          if (value == null) {
            return;
          }
          try {
            URI uri = new URI(value.toString());
            if (uri.getHost() == null
                || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
              throw new ConfigException(
                  name, value, "Expected an http(s) URL such as http://localhost:4567");
            }
          } catch (URISyntaxException e) {
            throw new ConfigException(name, value, "Not a URL: " + e.getMessage());
          }
        },
        () -> "unset, or an http(s) URL");
  }

  /** Unset, or an IAM role ARN. */
  public static ConfigDef.Validator optionalRoleArn() {
    return ConfigDef.LambdaValidator.with(
        (name, value) -> {
          if (value != null && !ROLE_ARN.matcher(value.toString()).matches()) {
            throw new ConfigException(
                name, value, "Expected arn:aws:iam::<account id>:role/<name>");
          }
        },
        () -> "unset, or arn:aws:iam::<account>:role/<name>");
  }

  /** Unset, or a regular expression that compiles. */
  public static ConfigDef.Validator optionalPattern() {
    return ConfigDef.LambdaValidator.with(
        (name, value) -> {
          if (value == null) {
            return;
          }
          try {
            Pattern.compile(value.toString());
          } catch (PatternSyntaxException e) {
            throw new ConfigException(
                name, value, "Not a regular expression: " + e.getDescription());
          }
        },
        () -> "unset, or a Java regular expression");
  }

  /** Unset, or a relation name PostgreSQL accepts (optionally schema-qualified). */
  public static ConfigDef.Validator optionalRelationName() {
    return ConfigDef.LambdaValidator.with(
        (name, value) -> {
          if (value == null) {
            return;
          }
          try {
            RelationName.parse(value.toString());
          } catch (IllegalArgumentException e) {
            throw new ConfigException(name, value, e.getMessage());
          }
        },
        () -> "unset, or [schema.]name");
  }
}
