package io.pipelineconnect.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU seconds spent by each kind of process on this machine between two snapshots, from Linux's
 * {@code /proc/<pid>/stat}: shows where a run's CPU went (PostgreSQL, the worker, the broker) and
 * so how far from the 2-core machine's limit a figure is. Processes that exit between the snapshots
 * are not counted. Elsewhere than on Linux it reports nothing.
 */
final class CpuTime {
  /** USER_HZ: the unit of utime and stime; 100 on every Linux this runs on. */
  private static final double TICKS_PER_SECOND = 100.0;

  private final Map<Long, Long> ticksByPid;
  private final Map<Long, String> kindByPid;

  private CpuTime(Map<Long, Long> ticksByPid, Map<Long, String> kindByPid) {
    this.ticksByPid = ticksByPid;
    this.kindByPid = kindByPid;
  }

  /**
   * Every process's CPU ticks now. {@code named} gives some pids a kind (the worker, this JVM);
   * others are named by their command ({@code postgres}, {@code node}, ...).
   */
  static CpuTime snapshot(Map<Long, String> named) {
    Map<Long, Long> ticks = new HashMap<>();
    Map<Long, String> kinds = new HashMap<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      entries
          .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .forEach(
              dir -> {
                try {
                  String stat = Files.readString(dir.resolve("stat"));
                  // comm is in parentheses and may hold spaces: fields are counted after it.
                  int close = stat.lastIndexOf(')');
                  String command = stat.substring(stat.indexOf('(') + 1, close);
                  String[] fields = stat.substring(close + 2).split(" ");
                  long pid = Long.parseLong(dir.getFileName().toString());
                  // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after comm.
                  long spent = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                  // The kind first: a process that exits while its title is read is left out
                  // whole, never counted without a kind.
                  String kind = named.getOrDefault(pid, kindOf(command, dir));
                  ticks.put(pid, spent);
                  kinds.put(pid, kind);
                } catch (IOException | RuntimeException gone) {
                  // The process exited while being read.
                }
              });
    } catch (IOException notLinux) {
      return new CpuTime(Map.of(), Map.of());
    }
    return new CpuTime(ticks, kinds);
  }

  private static final List<String> POSTGRES_HELPERS =
      List.of(
          "checkpointer",
          "background writer",
          "walwriter",
          "autovacuum",
          "logical replication",
          "stats collector");

  /**
   * PostgreSQL's processes all have the command {@code postgres}: its helpers (checkpointer,
   * autovacuum...) are told apart from the backends that serve connections by their title.
   */
  private static String kindOf(String command, Path dir) throws IOException {
    if (!command.equals("postgres")) {
      return command;
    }
    String title = Files.readString(dir.resolve("cmdline")).replace('\0', ' ').trim();
    if (!title.startsWith("postgres: ")) {
      return "postgres";
    }
    String what = title.substring("postgres: ".length());
    for (String helper : POSTGRES_HELPERS) {
      if (what.startsWith(helper)) {
        return "postgres " + helper;
      }
    }
    return "postgres backends";
  }

  /** CPU seconds spent by processes of one kind from {@code before} to this snapshot. */
  double secondsOf(String kind, CpuTime before) {
    long spent = 0;
    for (Map.Entry<Long, Long> e : ticksByPid.entrySet()) {
      if (kind.equals(kindByPid.get(e.getKey()))) {
        spent += Math.max(0, e.getValue() - before.ticksByPid.getOrDefault(e.getKey(), 0L));
      }
    }
    return spent / TICKS_PER_SECOND;
  }

  /** CPU seconds per kind of process from {@code before} to this snapshot, largest first. */
  String since(CpuTime before) {
    Map<String, Double> seconds = new TreeMap<>();
    ticksByPid.forEach(
        (pid, ticks) -> {
          long spent = ticks - before.ticksByPid.getOrDefault(pid, 0L);
          if (spent > 0) {
            seconds.merge(kindByPid.get(pid), spent / TICKS_PER_SECOND, Double::sum);
          }
        });
    StringBuilder out = new StringBuilder();
    double total = 0;
    for (Map.Entry<String, Double> e :
        seconds.entrySet().stream()
            .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
            .toList()) {
      if (e.getValue() >= 0.05) {
        out.append(String.format(Locale.ROOT, "%s %.2f s, ", e.getKey(), e.getValue()));
      }
      total += e.getValue();
    }
    return out.append(String.format(Locale.ROOT, "all %.2f s", total)).toString();
  }
}
