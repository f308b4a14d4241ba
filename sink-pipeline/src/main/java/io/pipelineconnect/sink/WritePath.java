package io.pipelineconnect.sink;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The row encoder and batch writer insert.mode calls for, chosen once, by the task at start and by
 * {@code validate()} to check the target the same way: COPY appends, or changes staged and applied
 * by key.
 */
record WritePath(RowEncoder encoder, BatchWriter writer) {
  static WritePath choose(PipelineSinkConfig config, Connection db) throws SQLException {
    WriteMode mode = config.writeMode();
    if (mode.appends()) {
      RowEncoder encoder =
          RowEncoder.forFormat(
              config.copyOptions(),
              db.getMetaData().getDatabaseMajorVersion() >= 16,
              config.metadataColumns());
      return new WritePath(
          encoder,
          new AppendWriter(encoder, Catalog.pipelineDbBatchSize(db).orElse(Integer.MAX_VALUE)));
    }
    ChangeRowEncoder changes = new ChangeRowEncoder(mode, config.metadataColumns());
    return new WritePath(changes, new UpsertWriter(mode, changes));
  }
}
