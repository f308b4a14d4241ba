package io.pipelineconnect.common;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks credentials in text that is about to be logged or put in an exception message (which
 * Connect shows in a task's REST status trace). A JDBC URL may carry them in its query ({@code
 * ?password=...}, {@code &sslpassword=...}) or in its authority ({@code //user:pw@host}); the
 * driver's own messages may quote the URL.
 */
public final class Redaction {
  static final String MASK = "****";

  /** A query or property parameter whose name says it holds a secret. */
  private static final Pattern SECRET_PARAMETER =
      Pattern.compile(
          "(?i)([?&;]\\s*[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|credential)[a-z0-9_.-]*"
              + "\\s*=)([^&;\\s]*)");

  /** {@code //user:password@host}: the part between ':' and '@' in an authority. */
  private static final Pattern AUTHORITY_PASSWORD = Pattern.compile("(//[^/:@\\s]*:)([^/@\\s]*)@");

  private Redaction() {}

  /** The text with every credential in it replaced by {@value #MASK}; null stays null. */
  public static String redact(String text) {
    if (text == null) {
      return null;
    }
    String masked =
        SECRET_PARAMETER.matcher(text).replaceAll("$1" + Matcher.quoteReplacement(MASK));
    return AUTHORITY_PASSWORD
        .matcher(masked)
        .replaceAll("$1" + Matcher.quoteReplacement(MASK) + "@");
  }
}
