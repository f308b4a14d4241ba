package io.pipelineconnect.sink;

import io.pipelineconnect.common.RelationName;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which relations records may be written into. A record's key ({@code stream.from.key}) is
 * untrusted input: any producer on the topic chooses it. So a key-named target must match the
 * operator's allow-list, checked against the name the catalog resolved (schema and relation, after
 * search_path), and some relations are refused whatever the configuration says: the system catalogs
 * (a row in pg_authid is a login), this sink's offsets table and any other sink's (a fake offset
 * makes a connector skip data), and the emitter's outbox (a row there is a message to any Kafka
 * topic).
 */
final class TargetPolicy {
  private final Optional<Pattern> keyAllowList;
  private final RelationName offsetsTable;

  TargetPolicy(Optional<Pattern> keyAllowList, RelationName offsetsTable) {
    this.keyAllowList = keyAllowList;
    this.offsetsTable = offsetsTable;
  }

  static TargetPolicy from(PipelineSinkConfig config) {
    return new TargetPolicy(config.streamFromKeyAllowed(), config.offsetsTable());
  }

  /**
   * Why records may not be written into the relation, or empty if they may.
   *
   * @param keyNamed whether a record's key chose the relation (the allow-list applies)
   */
  Optional<String> refusal(Catalog.Relation relation, boolean keyNamed) {
    String qualified = relation.schema() + "." + relation.name();
    if (relation.systemSchema()) {
      return Optional.of(qualified + " is in a system schema; records never write there");
    }
    if (relation.outbox()) {
      return Optional.of(
          qualified + " is the emitter's outbox; only produce_message and emit_tuple write there");
    }
    if (relation.offsetsTable() || isConfiguredOffsetsTable(relation)) {
      return Optional.of(qualified + " holds sink offsets; records never write there");
    }
    if (keyNamed && keyAllowList.isPresent() && !keyAllowList.get().matcher(qualified).matches()) {
      return Optional.of(
          qualified
              + " does not match "
              + PipelineSinkConfig.STREAM_FROM_KEY_ALLOWED
              + " ("
              + keyAllowList.get().pattern()
              + ")");
    }
    return Optional.empty();
  }

  private boolean isConfiguredOffsetsTable(Catalog.Relation relation) {
    // Unqualified, the offsets table is wherever search_path puts it: compare by name only then.
    return relation.name().equals(offsetsTable.name())
        && offsetsTable.schema().map(relation.schema()::equals).orElse(true);
  }
}
