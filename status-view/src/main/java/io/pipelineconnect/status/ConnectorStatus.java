package io.pipelineconnect.status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** One connector as the view shows it: Connect's states, and its tasks' figures. */
record ConnectorStatus(
    String name, ConnectorKind kind, String state, String workerId, List<Task> tasks) {

  /**
   * A task: Connect's state and worker, its figures if they could be read, else why not; the first
   * line of its error if it failed.
   */
  record Task(
      int id,
      String state,
      String workerId,
      Map<String, Double> figures,
      String unavailable,
      String error) {}

  /** What the views show of the connector: its kind's figures summed over its tasks. */
  record Summary(double perSecond, double total, String behind, String trouble) {}

  Summary summary() {
    Figures f = figures();
    return new Summary(
        f.sum(kind.rateMetric()), f.sum(kind.totalMetric()), kind.behind(f), kind.trouble(f));
  }

  Figures figures() {
    return new Figures(tasks.stream().map(Task::figures).filter(Objects::nonNull).toList());
  }

  long running() {
    return tasks.stream().filter(t -> "RUNNING".equals(t.state())).count();
  }

  /** The JSON answer's shape: Connect's names where Connect has them (worker_id, state). */
  Map<String, Object> toJson() {
    Summary s = summary();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("per_second", s.perSecond());
    summary.put("total", s.total());
    summary.put("behind", s.behind());
    summary.put("trouble", s.trouble());
    List<Map<String, Object>> taskList = new ArrayList<>();
    for (Task task : tasks) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("id", task.id());
      t.put("state", task.state());
      t.put("worker_id", task.workerId());
      if (task.figures() != null) {
        t.put("metrics", task.figures());
      } else {
        t.put("metrics_unavailable", task.unavailable());
      }
      if (task.error() != null) {
        t.put("error", task.error());
      }
      taskList.add(t);
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("name", name);
    json.put("kind", kind.label());
    json.put("state", state);
    json.put("worker_id", workerId);
    json.put("summary", summary);
    json.put("tasks", taskList);
    return json;
  }
}
