package io.pipelineconnect.kinesis;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A shard as the connector hands it to a task: its id, its parents, and whether it is closed. */
record ShardInfo(String id, List<String> parents, boolean closed) {

  ShardInfo {
    Objects.requireNonNull(id, "id");
    parents = List.copyOf(parents);
  }

  /** {@code id|closed|parent|parent}: safe since shard ids hold no '|' or ','. */
  String encode() {
    StringBuilder out = new StringBuilder(id).append('|').append(closed ? '1' : '0');
    for (String parent : parents) {
      out.append('|').append(parent);
    }
    return out.toString();
  }

  static ShardInfo decode(String text) {
    String[] fields = text.split("\\|");
    List<String> parents = new ArrayList<>();
    for (int i = 2; i < fields.length; i++) {
      parents.add(fields[i]);
    }
    return new ShardInfo(fields[0], parents, "1".equals(fields[1]));
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
