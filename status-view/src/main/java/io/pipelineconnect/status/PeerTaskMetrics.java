package io.pipelineconnect.status;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Asks the worker that runs a task for its figures ({@code /pipeline-connect/task-metrics}, which
 * answers from that worker's JMX only, so a request never travels further). The worker ids come
 * from the cluster's own status topic, never from a request.
 */
final class PeerTaskMetrics {
  static final Duration TIMEOUT = Duration.ofSeconds(3);

  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(TIMEOUT)
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  /** A task's figures as its worker reports them; fails with the reason it could not. */
  CompletableFuture<Map<String, Double>> fetch(
      String scheme, String workerId, String connector, int task) {
    URI uri =
        URI.create(
            scheme
                + "://"
                + workerId
                + "/pipeline-connect/task-metrics?connector="
                + URLEncoder.encode(connector, StandardCharsets.UTF_8)
                + "&task="
                + task);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .thenApply(
            response -> {
              if (response.statusCode() == 404) {
                throw new IllegalStateException("not running on " + workerId + " now");
              }
              if (response.statusCode() != 200) {
                throw new IllegalStateException(
                    workerId
                        + " answered "
                        + response.statusCode()
                        + " (does it run the status extension?)");
              }
              return parse(response.body());
            });
  }

  /** The task-metrics answer: one {@code name=value} line a figure. */
  static String format(Map<String, Double> figures) {
    StringBuilder text = new StringBuilder();
    figures.forEach((name, value) -> text.append(name).append('=').append(value).append('\n'));
    return text.toString();
  }

  static Map<String, Double> parse(String body) {
    Map<String, Double> figures = new TreeMap<>();
    for (String line : body.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        try {
          figures.put(line.substring(0, eq), Double.parseDouble(line.substring(eq + 1)));
        } catch (NumberFormatException e) {
          // A line this version does not know how to read: skip it, keep the rest.
        }
      }
    }
    return figures;
  }

  /** Why a fetch failed, in a few words for the view. */
  static String reason(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof ExecutionException || cause instanceof CompletionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof TimeoutException || cause instanceof HttpTimeoutException) {
      return "no answer within " + TIMEOUT.toSeconds() + " s";
    }
    String message = cause.getMessage();
    return message == null ? cause.getClass().getSimpleName() : message;
  }
}
