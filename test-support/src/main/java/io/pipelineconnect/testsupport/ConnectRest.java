package io.pipelineconnect.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A few calls of Connect's REST API, for workers outside this JVM (forked, quickstart). */
public final class ConnectRest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI base;

  public ConnectRest(URI base) {
    this.base = base;
  }

  /** Creates or updates a connector. */
  public void putConnector(String name, Map<String, String> config) {
    try {
      send("PUT", "connectors/" + name + "/config", JSON.writeValueAsString(config));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The connector's status document. */
  public JsonNode status(String name) {
    return get("connectors/" + name + "/status");
  }

  /** Whether the connector and all its tasks are RUNNING. */
  public boolean isRunning(String name) {
    try {
      JsonNode status = status(name);
      if (!"RUNNING".equals(status.path("connector").path("state").asText())) {
        return false;
      }
      JsonNode tasks = status.path("tasks");
      if (tasks.isEmpty()) {
        return false;
      }
      for (JsonNode task : tasks) {
        if (!"RUNNING".equals(task.path("state").asText())) {
          return false;
        }
      }
      return true;
    } catch (IllegalStateException notYet) {
      return false;
    }
  }

  /** A PUT without a body, e.g. {@code connectors/<name>/pause}. */
  public JsonNode put(String path) {
    return send("PUT", path, null);
  }

  public JsonNode get(String path) {
    return send("GET", path, null);
  }

  private JsonNode send(String method, String path, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() >= 300) {
        throw new IllegalStateException(
            method + " " + path + ": " + response.statusCode() + " " + response.body());
      }
      return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted", e);
    }
  }
}
