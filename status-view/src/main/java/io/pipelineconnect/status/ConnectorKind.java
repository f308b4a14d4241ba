package io.pipelineconnect.status;

import java.util.Locale;
import java.util.Optional;

/**
 * The plugin's connectors and what the view shows of each: its throughput figure, how far behind it
 * is (in its own terms: records, outbox messages, milliseconds), and what went wrong.
 */
enum ConnectorKind {
  SINK("io.pipelineconnect.sink.PipelineSinkConnector", "rows-committed") {
    @Override
    String behind(Figures f) {
      return f.has("records-lag") ? count(f.sum("records-lag")) + " records" : "-";
    }

    @Override
    String trouble(Figures f) {
      return count(f.sum("bad-records-total"))
          + " bad, "
          + count(f.sum("deadletterqueue-produce-requests"))
          + " to DLQ";
    }
  },
  EMITTER("io.pipelineconnect.emitter.EmitterSourceConnector", "messages-relayed") {
    @Override
    String behind(Figures f) {
      if (!f.has("outbox-depth")) {
        return "-";
      }
      String behind =
          count(f.sum("outbox-depth"))
              + " waiting, oldest "
              + seconds(f.max("oldest-unrelayed-age-ms"));
      // How long claimed messages had waited: a relay that keeps up still shows its pick-up time.
      return f.has("claim-latency-ms-max")
          ? behind + ", claimed within " + seconds(f.max("claim-latency-ms-max"))
          : behind;
    }

    @Override
    String trouble(Figures f) {
      return count(f.sum("messages-failed-total")) + " failed";
    }
  },
  KINESIS("io.pipelineconnect.kinesis.KinesisSourceConnector", "records") {
    @Override
    String behind(Figures f) {
      return f.has("millis-behind-latest") ? seconds(f.max("millis-behind-latest")) : "-";
    }

    @Override
    String trouble(Figures f) {
      return count(f.sum("subrecords-outside-shard-total")) + " outside shard";
    }
  };

  private final String connectorClass;
  private final String throughput;

  ConnectorKind(String connectorClass, String throughput) {
    this.connectorClass = connectorClass;
    this.throughput = throughput;
  }

  static Optional<ConnectorKind> of(String connectorClass) {
    for (ConnectorKind kind : values()) {
      if (kind.connectorClass.equals(connectorClass)) {
        return Optional.of(kind);
      }
    }
    return Optional.empty();
  }

  String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The metric, per second, of what the connector moves. */
  String rateMetric() {
    return throughput + "-rate";
  }

  /** The metric, in total since the tasks started, of what the connector moves. */
  String totalMetric() {
    return throughput + "-total";
  }

  abstract String behind(Figures f);

  abstract String trouble(Figures f);

  static String count(double value) {
    return String.format(Locale.ROOT, "%,d", Math.round(value));
  }

  static String seconds(double millis) {
    return millis < 10_000
        ? String.format(Locale.ROOT, "%,d ms", Math.round(millis))
        : String.format(Locale.ROOT, "%,.0f s", millis / 1000);
  }
}
