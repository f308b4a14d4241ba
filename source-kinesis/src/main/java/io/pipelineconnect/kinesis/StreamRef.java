package io.pipelineconnect.kinesis;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stream as the user named it: by name, or by ARN ({@code
 * arn:aws:kinesis:<region>:<account>:stream/<name>}). The name keys the saved positions, fills
 * {@code ${stream}} and appears in logs, whichever way the stream was given, so changing a name
 * into its ARN keeps the positions. The ARN, where given, goes into every request that names the
 * stream next to the name, as the Kinesis Client Library sends them: Kinesis takes either or both,
 * and only the ARN reaches a stream of another account shared by a resource policy.
 */
record StreamRef(String name, String arn, String region) {

  /** Kinesis's rule for a stream name (CreateStream API reference). */
  static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");

  /** A Kinesis data stream's ARN, in any partition (aws, aws-cn, aws-us-gov, ...). */
  static final Pattern ARN =
      Pattern.compile(
          "arn:aws(-[a-z]+)*:kinesis:(?<region>[a-z0-9-]+):\\d{12}:stream/(?<name>"
              + NAME.pattern()
              + ")");

  static final String RULE =
      "a stream name (1-128 characters from a-z A-Z 0-9 _ . -) or a stream ARN"
          + " (arn:aws:kinesis:<region>:<account id>:stream/<name>)";

  /** The stream named by {@code given}, or null if it is neither a name nor an ARN. */
  static StreamRef parse(String given) {
    if (NAME.matcher(given).matches()) {
      return new StreamRef(given, null, null);
    }
    Matcher arn = ARN.matcher(given);
    return arn.matches() ? new StreamRef(arn.group("name"), given, arn.group("region")) : null;
  }

  /** What the user wrote: the ARN if given, else the name. */
  String given() {
    return arn != null ? arn : name;
  }

  @Override
  public String toString() {
    return given();
  }
}
