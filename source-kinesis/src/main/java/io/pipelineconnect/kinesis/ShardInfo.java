package io.pipelineconnect.kinesis;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A shard as the connector hands it to a task: its id, its parents, whether it is closed, and the
 * range of hash keys it owns (null where unknown: task configs of versions before 0.3).
 */
record ShardInfo(String id, List<String> parents, boolean closed, HashKeyRange hashKeys) {

  /** The hash keys a shard owns, both ends included, as ListShards gives them. */
  record HashKeyRange(BigInteger start, BigInteger end) {
    HashKeyRange {
      Objects.requireNonNull(start, "start");
      Objects.requireNonNull(end, "end");
    }

    static HashKeyRange of(String start, String end) {
      return new HashKeyRange(new BigInteger(start), new BigInteger(end));
    }

    boolean contains(BigInteger hashKey) {
      return hashKey.compareTo(start) >= 0 && hashKey.compareTo(end) <= 0;
    }

    @Override
    public String toString() {
      return start + ".." + end;
    }
  }

  ShardInfo {
    Objects.requireNonNull(id, "id");
    parents = List.copyOf(parents);
  }

  ShardInfo(String id, List<String> parents, boolean closed) {
    this(id, parents, closed, null);
  }

  /**
   * {@code id|closed[|#start:end]|parent|parent}: safe since shard ids hold no '|', ',' or leading
   * '#'. The range is optional, so task configs written before it existed still read.
   */
  String encode() {
    StringBuilder out = new StringBuilder(id).append('|').append(closed ? '1' : '0');
    if (hashKeys != null) {
      out.append("|#").append(hashKeys.start()).append(':').append(hashKeys.end());
    }
    for (String parent : parents) {
      out.append('|').append(parent);
    }
    return out.toString();
  }

  static ShardInfo decode(String text) {
    String[] fields = text.split("\\|");
    List<String> parents = new ArrayList<>();
    HashKeyRange hashKeys = null;
    for (int i = 2; i < fields.length; i++) {
      if (fields[i].startsWith("#")) {
        String[] ends = fields[i].substring(1).split(":");
        hashKeys = HashKeyRange.of(ends[0], ends[1]);
      } else {
        parents.add(fields[i]);
      }
    }
    return new ShardInfo(fields[0], parents, "1".equals(fields[1]), hashKeys);
  }

  static String encodeAll(List<ShardInfo> shards) {
    return String.join(",", shards.stream().map(ShardInfo::encode).toList());
  }

  static List<ShardInfo> decodeAll(String text) {
    List<ShardInfo> shards = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return shards;
    }
    for (String entry : text.split(",")) {
      shards.add(decode(entry));
    }
    return shards;
  }
}
