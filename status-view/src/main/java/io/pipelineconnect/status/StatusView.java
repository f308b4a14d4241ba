package io.pipelineconnect.status;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The status snapshot as a terminal table and as an HTML page that refreshes itself. */
final class StatusView {
  static final List<String> COLUMNS =
      List.of("CONNECTOR", "KIND", "STATE", "TASKS", "PER SECOND", "TOTAL", "BEHIND", "TROUBLE");

  /** PER SECOND and TOTAL: right-aligned. */
  private static final Set<Integer> NUMBER_COLUMNS = Set.of(4, 5);

  private StatusView() {}

  static List<List<String>> rows(List<ConnectorStatus> connectors) {
    List<List<String>> rows = new ArrayList<>();
    for (ConnectorStatus c : connectors) {
      ConnectorStatus.Summary s = c.summary();
      rows.add(
          List.of(
              c.name(),
              c.kind().label(),
              c.state(),
              c.running() + "/" + c.tasks().size(),
              String.format(Locale.ROOT, "%,.1f", s.perSecond()),
              ConnectorKind.count(s.total()),
              s.behind(),
              s.trouble()));
    }
    return rows;
  }

  /** Under the table: the tasks whose figures are missing or that failed, one line each. */
  static List<String> notes(List<ConnectorStatus> connectors) {
    List<String> notes = new ArrayList<>();
    for (ConnectorStatus c : connectors) {
      for (ConnectorStatus.Task t : c.tasks()) {
        if (t.error() != null) {
          notes.add(c.name() + " task " + t.id() + " " + t.state() + ": " + t.error());
        }
        if (t.figures() == null) {
          notes.add(
              c.name()
                  + " task "
                  + t.id()
                  + " on "
                  + t.workerId()
                  + ": no figures ("
                  + t.unavailable()
                  + ")");
        }
      }
    }
    return notes;
  }

  static String text(List<ConnectorStatus> connectors, Instant now) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(COLUMNS);
    rows.addAll(rows(connectors));
    int[] widths = new int[COLUMNS.size()];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    StringBuilder out =
        new StringBuilder("pipeline-connect status at ")
            .append(now.truncatedTo(ChronoUnit.SECONDS))
            .append('\n');
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        String cell = row.get(i);
        boolean number = NUMBER_COLUMNS.contains(i);
        String padded =
            number
                ? " ".repeat(widths[i] - cell.length()) + cell
                : cell + " ".repeat(widths[i] - cell.length());
        out.append(padded).append(i == row.size() - 1 ? "" : "  ");
      }
      out.append('\n');
    }
    if (connectors.isEmpty()) {
      out.append("(no pipeline-connect connectors in this cluster)\n");
    }
    for (String note : notes(connectors)) {
      out.append("  ").append(note).append('\n');
    }
    return out.toString();
  }

  static String html(List<ConnectorStatus> connectors, Instant now) {
    StringBuilder page =
        new StringBuilder(
                "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                    + "<meta http-equiv=\"refresh\" content=\"2\">"
                    + "<title>pipeline-connect status</title><style>"
                    + "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                    + "td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}"
                    + "td.n{text-align:right}.FAILED{color:#b00}</style></head><body>"
                    + "<h1>pipeline-connect status</h1><p>")
            .append(now.truncatedTo(ChronoUnit.SECONDS))
            .append(" &middot; refreshes every 2 s &middot; JSON: <a href=\"status\">status</a>")
            .append("</p>\n<table><tr>");
    for (String column : COLUMNS) {
      page.append("<th>").append(escape(column)).append("</th>");
    }
    page.append("</tr>\n");
    for (List<String> row : rows(connectors)) {
      page.append("<tr class=\"").append(escape(row.get(2))).append("\">");
      for (int i = 0; i < row.size(); i++) {
        page.append(NUMBER_COLUMNS.contains(i) ? "<td class=\"n\">" : "<td>")
            .append(escape(row.get(i)))
            .append("</td>");
      }
      page.append("</tr>\n");
    }
    page.append("</table>\n<ul>");
    for (String note : notes(connectors)) {
      page.append("<li>").append(escape(note)).append("</li>");
    }
    return page.append("</ul></body></html>\n").toString();
  }

  /** Connector names and error texts are user input: never markup. */
  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char ch : text.toCharArray()) {
      switch (ch) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(ch);
      }
    }
    return out.toString();
  }
}
