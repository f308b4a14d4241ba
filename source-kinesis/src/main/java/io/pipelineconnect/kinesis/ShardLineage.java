package io.pipelineconnect.kinesis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Groups shards into families: shards linked by split or merge (parent and child), transitively.
 *
 * <p>A family goes to one task whole, which reads a child only after all its parents reached
 * SHARD_END. Tasks cannot see each other's progress, so keeping a lineage in one task is what keeps
 * per-partition-key order across a reshard.
 *
 * <p>A shard whose SHARD_END is saved is done: it is left out, and links nothing. Its children,
 * whose parents are then all done or in their own family, become families of their own and spread
 * over the tasks, as KCL's leases do once a parent's lease ends. Without this a split, Kinesis's
 * way to scale up, would gather the whole lineage in one task.
 */
final class ShardLineage {
  private ShardLineage() {}

  static List<List<ShardInfo>> families(List<ShardInfo> shards) {
    return families(shards, Set.of());
  }

  /** The families of the shards not in {@code ended}, the shards read to SHARD_END. */
  static List<List<ShardInfo>> families(List<ShardInfo> listed, Set<String> ended) {
    List<ShardInfo> shards = listed.stream().filter(s -> !ended.contains(s.id())).toList();
    Map<String, String> root = new HashMap<>();
    Map<String, ShardInfo> byId = new HashMap<>();
    for (ShardInfo shard : shards) {
      byId.put(shard.id(), shard);
      root.put(shard.id(), shard.id());
    }
    for (ShardInfo shard : shards) {
      for (String parent : shard.parents()) {
        if (byId.containsKey(parent)) {
          union(root, shard.id(), parent);
        }
      }
    }
    Map<String, List<ShardInfo>> grouped = new TreeMap<>();
    for (ShardInfo shard : shards) {
      grouped.computeIfAbsent(find(root, shard.id()), r -> new ArrayList<>()).add(shard);
    }
    List<List<ShardInfo>> families = new ArrayList<>();
    for (List<ShardInfo> family : grouped.values()) {
      family.sort(Comparator.comparing(ShardInfo::id));
      families.add(family);
    }
    families.sort(Comparator.comparing(f -> f.get(0).id()));
    return families;
  }

  private static String find(Map<String, String> root, String id) {
    String r = id;
    while (!root.get(r).equals(r)) {
      r = root.get(r);
    }
    root.put(id, r);
    return r;
  }

  private static void union(Map<String, String> root, String a, String b) {
    String ra = find(root, a);
    String rb = find(root, b);
    if (!ra.equals(rb)) {
      // The smaller id roots the family, so grouping is stable across calls.
      if (ra.compareTo(rb) < 0) {
        root.put(rb, ra);
      } else {
        root.put(ra, rb);
      }
    }
  }
}
