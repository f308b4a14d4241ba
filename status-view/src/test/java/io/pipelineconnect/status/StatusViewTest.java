package io.pipelineconnect.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusViewTest {
  private static final Instant NOW = Instant.parse("2026-12-07T14:30:00Z");

  private static List<ConnectorStatus> cluster() {
    ConnectorStatus sink =
        new ConnectorStatus(
            "orders-sink",
            ConnectorKind.SINK,
            "RUNNING",
            "10.0.0.1:8083",
            List.of(
                new ConnectorStatus.Task(
                    0,
                    "RUNNING",
                    "10.0.0.1:8083",
                    Map.of(
                        "rows-committed-rate", 1500.0,
                        "rows-committed-total", 120000.0,
                        "records-lag", 40.0,
                        "bad-records-total", 2.0,
                        "deadletterqueue-produce-requests", 2.0),
                    null,
                    null),
                new ConnectorStatus.Task(
                    1,
                    "RUNNING",
                    "10.0.0.2:8083",
                    Map.of(
                        "rows-committed-rate", 500.5,
                        "rows-committed-total", 30000.0,
                        "records-lag", 2.0),
                    null,
                    null),
                new ConnectorStatus.Task(
                    2,
                    "FAILED",
                    "10.0.0.3:8083",
                    null,
                    "no answer within 3 s",
                    "org.apache.kafka.connect.errors.ConnectException: <database down>")));
    ConnectorStatus emitter =
        new ConnectorStatus(
            "emitter",
            ConnectorKind.EMITTER,
            "RUNNING",
            "10.0.0.1:8083",
            List.of(
                new ConnectorStatus.Task(
                    0,
                    "RUNNING",
                    "10.0.0.1:8083",
                    Map.of(
                        "messages-relayed-rate", 12.0,
                        "messages-relayed-total", 1234.0,
                        "outbox-depth", 3.0,
                        "oldest-unrelayed-age-ms", 45000.0,
                        "claim-latency-ms-max", 12.0),
                    null,
                    null)));
    return List.of(emitter, sink);
  }

  @Test
  void theTableSumsTheTasksFiguresAndSaysWhichAreMissingOrFailed() {
    String text = StatusView.text(cluster(), NOW);

    assertThat(text)
        .startsWith("pipeline-connect status at 2026-12-07T14:30:00Z\n")
        .contains("CONNECTOR    KIND     STATE    TASKS  PER SECOND")
        .containsPattern(
            "orders-sink +sink +RUNNING +2/3 +2,000\\.5 +150,000 +42 records +2 bad, 2 to DLQ")
        .containsPattern(
            "emitter +emitter +RUNNING +1/1 +12\\.0 +1,234 +3 waiting, oldest 45 s, claimed within 12 ms"
                + " +0 failed")
        .contains(
            "  orders-sink task 2 FAILED: org.apache.kafka.connect.errors.ConnectException:"
                + " <database down>")
        .contains("  orders-sink task 2 on 10.0.0.3:8083: no figures (no answer within 3 s)");
  }

  @Test
  void thePageRefreshesItselfAndShowsNamesAndErrorsAsText() {
    String html = StatusView.html(cluster(), NOW);

    assertThat(html)
        .contains("<meta http-equiv=\"refresh\" content=\"2\">")
        .contains("<td>orders-sink</td>")
        .contains("<td class=\"n\">150,000</td>")
        .contains("ConnectException: &lt;database down&gt;")
        .doesNotContain("<database down>");
  }

  @Test
  void figuresTravelBetweenWorkersAsTheyAre() {
    Map<String, Double> figures = Map.of("records-lag", 12.0, "rows-committed-rate", 1.5e6);
    assertThat(PeerTaskMetrics.parse(PeerTaskMetrics.format(figures))).isEqualTo(figures);
    assertThat(PeerTaskMetrics.parse("a=1\nnot a line\nb=x\n")).isEqualTo(Map.of("a", 1.0));
  }
}
