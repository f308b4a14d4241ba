package io.pipelineconnect.sink.copy;

import io.pipelineconnect.common.Identifiers;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The COPY options a message format is read with: {@code FORMAT}, {@code DELIMITER}, {@code QUOTE},
 * {@code ESCAPE} and {@code NULL}, exactly as COPY defines them. An empty option means COPY's own
 * default (tab and {@code \N} for text; comma, {@code "} and empty string for csv).
 */
public record CopyOptions(
    RowFormat format,
    Optional<String> delimiter,
    Optional<String> quote,
    Optional<String> escape,
    Optional<String> nullString) {

  /** Text format with COPY's defaults: what json rows are encoded into. */
  public static final CopyOptions TEXT_DEFAULTS =
      new CopyOptions(
          RowFormat.TEXT, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

  /** The COPY format the rows are sent in (json rows are encoded as text). */
  public String copyFormat() {
    return switch (format) {
      case CSV -> "csv";
      case BINARY -> "binary";
      case TEXT, JSON -> "text";
    };
  }

  /** The delimiter byte COPY will split fields on. */
  public char effectiveDelimiter() {
    return delimiter.map(d -> d.charAt(0)).orElse(format == RowFormat.CSV ? ',' : '\t');
  }

  /** The csv quote character COPY will use. */
  public char effectiveQuote() {
    return quote.map(q -> q.charAt(0)).orElse('"');
  }

  /** The csv escape character COPY will use (defaults to the quote). */
  public char effectiveEscape() {
    return escape.map(e -> e.charAt(0)).orElse(effectiveQuote());
  }

  /** The {@code WITH (...)} clause of the COPY statement, literals safely quoted. */
  public String withClause() {
    return withClause(List.of());
  }

  /**
   * The {@code WITH (...)} clause with further options after these (each already quoted), e.g. json
   * rows' {@code DEFAULT '...'} marker.
   */
  public String withClause(List<String> extraOptions) {
    List<String> options = new ArrayList<>();
    options.add("FORMAT " + copyFormat());
    delimiter.ifPresent(d -> options.add("DELIMITER " + Identifiers.quoteLiteral(d)));
    if (format == RowFormat.CSV) {
      quote.ifPresent(q -> options.add("QUOTE " + Identifiers.quoteLiteral(q)));
      escape.ifPresent(e -> options.add("ESCAPE " + Identifiers.quoteLiteral(e)));
    }
    nullString.ifPresent(n -> options.add("NULL " + Identifiers.quoteLiteral(n)));
    options.addAll(extraOptions);
    return "WITH (" + String.join(", ", options) + ")";
  }
}
