package io.pipelineconnect.status;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.health.ConnectClusterState;
import org.apache.kafka.connect.health.ConnectorHealth;
import org.apache.kafka.connect.health.TaskState;

/**
 * The status view's endpoints under {@code /pipeline-connect}: the cluster's pipeline-connect
 * connectors with their states from Connect and their tasks' figures from the workers that run
 * them. Other connectors of the cluster are left out.
 */
@Path("pipeline-connect")
public final class StatusResource {
  private final ConnectClusterState cluster;
  private final LocalTaskMetrics local;
  private final PeerTaskMetrics peers;

  StatusResource(ConnectClusterState cluster, LocalTaskMetrics local, PeerTaskMetrics peers) {
    this.cluster = cluster;
    this.local = local;
    this.peers = peers;
  }

  @GET
  @Path("status")
  @Produces(MediaType.APPLICATION_JSON)
  public Map<String, Object> status(@Context UriInfo uri) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("time", Instant.now().toString());
    json.put("connectors", snapshot(uri).stream().map(ConnectorStatus::toJson).toList());
    return json;
  }

  @GET
  @Path("status.txt")
  @Produces(MediaType.TEXT_PLAIN)
  public String text(@Context UriInfo uri) {
    return StatusView.text(snapshot(uri), Instant.now());
  }

  @GET
  @Path("status.html")
  @Produces(MediaType.TEXT_HTML)
  public String html(@Context UriInfo uri) {
    return StatusView.html(snapshot(uri), Instant.now());
  }

  /** One task's figures from this worker only, for the worker that gathers the view. */
  @GET
  @Path("task-metrics")
  @Produces(MediaType.TEXT_PLAIN)
  public Response taskMetrics(
      @QueryParam("connector") String connector, @QueryParam("task") int task) {
    if (connector == null) {
      return Response.status(Response.Status.BAD_REQUEST).entity("connector= is required").build();
    }
    return local
        .read(connector, task)
        .map(figures -> Response.ok(PeerTaskMetrics.format(figures)).build())
        .orElse(Response.status(Response.Status.NOT_FOUND).entity("not running here").build());
  }

  /** A connector of ours, as Connect reports it. */
  private record Found(String name, ConnectorKind kind, ConnectorHealth health) {}

  /**
   * Reads Connect's state of each of our connectors, then every task's figures: from this worker's
   * JMX where the task runs here, else from its worker, all of those asked at once.
   */
  private List<ConnectorStatus> snapshot(UriInfo uri) {
    String scheme = uri.getBaseUri().getScheme();
    List<Found> found = new ArrayList<>();
    for (String name : cluster.connectors()) {
      try {
        Optional<ConnectorKind> kind =
            ConnectorKind.of(cluster.connectorConfig(name).get("connector.class"));
        if (kind.isPresent()) {
          found.add(new Found(name, kind.get(), cluster.connectorHealth(name)));
        }
      } catch (RuntimeException deletedMeanwhile) {
        // Listed, then gone before its state was read: not shown.
      }
    }
    Map<String, CompletableFuture<Map<String, Double>>> figures = new LinkedHashMap<>();
    for (Found connector : found) {
      connector
          .health()
          .tasksState()
          .forEach(
              (id, state) -> {
                Optional<Map<String, Double>> here = local.read(connector.name(), id);
                CompletableFuture<Map<String, Double>> answer;
                if (here.isPresent()) {
                  answer = CompletableFuture.completedFuture(here.get());
                } else if (state.workerId() == null) {
                  answer = CompletableFuture.failedFuture(new IllegalStateException("unassigned"));
                } else {
                  answer = peers.fetch(scheme, state.workerId(), connector.name(), id);
                }
                figures.put(connector.name() + "#" + id, answer);
              });
    }
    List<ConnectorStatus> connectors = new ArrayList<>();
    for (Found connector : found) {
      List<ConnectorStatus.Task> tasks = new ArrayList<>();
      new TreeMap<>(connector.health().tasksState())
          .forEach(
              (id, state) -> tasks.add(task(id, state, figures.get(connector.name() + "#" + id))));
      connectors.add(
          new ConnectorStatus(
              connector.name(),
              connector.kind(),
              connector.health().connectorState().state(),
              connector.health().connectorState().workerId(),
              tasks));
    }
    connectors.sort(Comparator.comparing(ConnectorStatus::name));
    return connectors;
  }

  private static ConnectorStatus.Task task(
      int id, TaskState state, CompletableFuture<Map<String, Double>> figures) {
    String error = firstLine(state.traceMessage());
    try {
      return new ConnectorStatus.Task(
          id,
          state.state(),
          state.workerId(),
          figures.get(PeerTaskMetrics.TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS),
          null,
          error);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new ConnectorStatus.Task(
          id, state.state(), state.workerId(), null, "interrupted", error);
    } catch (Exception e) {
      return new ConnectorStatus.Task(
          id, state.state(), state.workerId(), null, PeerTaskMetrics.reason(e), error);
    }
  }

  private static String firstLine(String trace) {
    if (trace == null || trace.isBlank()) {
      return null;
    }
    int end = trace.indexOf('\n');
    return (end < 0 ? trace : trace.substring(0, end)).strip();
  }
}
