package io.pipelineconnect.sink;

import io.pipelineconnect.sink.copy.CopyLines;
import io.pipelineconnect.sink.copy.CopyOptions;
import io.pipelineconnect.sink.copy.RowBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Encodes a record's change as a text COPY row of its target's staging table ({@link
 * StagingTable}): the target's columns, then whether the row is a delete, then the row's index in
 * the batch, which orders a key's changes and names the record a refused change came from. A delete
 * fills only the key columns.
 */
final class ChangeRowEncoder implements RowEncoder {
  private static final byte[] UPSERT_FLAG = "\tf\t".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DELETE_FLAG = "\tt\t".getBytes(StandardCharsets.US_ASCII);

  private final WriteMode mode;
  private final MetadataColumns metadata;
  private final ChangeReader reader;

  ChangeRowEncoder(WriteMode mode) {
    this(mode, MetadataColumns.NONE);
  }

  /**
   * @param metadata the columns filled from the record (metadata.columns, pk.mode=kafka's key)
   */
  ChangeRowEncoder(WriteMode mode, MetadataColumns metadata) {
    this.mode = mode;
    this.metadata = metadata;
    this.reader = new ChangeReader(mode);
  }

  /** The target's key columns: pk.fields, or its primary key. */
  List<String> keyColumns(TargetTable target) {
    return mode.keyFields().isEmpty() ? target.primaryKey() : mode.keyFields();
  }

  @Override
  public void checkTarget(TargetTable target) {
    String insert = "insert.mode=" + mode.insert().configValue();
    if (target.pipelineDbStream()) {
      throw new ConnectException(
          insert
              + " cannot write "
              + target.name()
              + ": it is a PipelineDB stream, which only takes appends. Set insert.mode=append");
    }
    List<String> keys = keyColumns(target);
    if (keys.isEmpty()) {
      throw new ConnectException(
          insert
              + " needs the key columns of "
              + target.name()
              + ", which has no primary key: add one (ALTER TABLE "
              + target.name().quoted()
              + " ADD PRIMARY KEY (...)), or name them in pk.fields");
    }
    for (String key : keys) {
      if (target.column(key).isEmpty()) {
        throw new ConnectException(
            "Key column "
                + key
                + " (pk.fields) is not a column the sink writes in "
                + target.name()
                + ": name columns of the table in pk.fields (and in columns, if set)");
      }
    }
    metadata.checkTarget(target);
    for (String reserved : List.of(StagingTable.DELETE_COLUMN, StagingTable.ROW_COLUMN)) {
      if (target.column(reserved).isPresent()) {
        throw new ConnectException(
            target.name() + " has a column named " + reserved + ", which the sink's staging uses");
      }
    }
  }

  @Override
  public boolean encode(SinkRecord record, TargetTable target, RowBuffer buffer)
      throws BadRecordException {
    int row = buffer.rowCount();
    List<String> keys = keyColumns(target);
    try {
      ChangeReader.Change change = reader.read(record, keys);
      if (change.kind() == ChangeReader.Kind.SKIP) {
        return false;
      }
      Map<String, Object> fields = change.fields();
      List<TargetTable.Column> columns = target.columns();
      for (int i = 0; i < columns.size(); i++) {
        if (i > 0) {
          buffer.write((byte) '\t');
        }
        TargetTable.Column column = columns.get(i);
        String name = column.name();
        MetadataColumns.Source source = metadata.isEmpty() ? null : metadata.source(name);
        Object value =
            source == null
                ? fields.get(name)
                : MetadataColumns.value(source, record, column.isBytea());
        String text = JsonFields.columnText(column, value);
        if (text == null && keys.contains(name)) {
          throw new BadRecordException(
              "Key column "
                  + name
                  + " has no value in the record's "
                  + switch (mode.keySource()) {
                    case RECORD_KEY -> "key";
                    case KAFKA -> "metadata";
                    default -> "value";
                  });
        }
        CopyLines.appendTextOrNull(buffer, text);
      }
      buffer.write(change.kind() == ChangeReader.Kind.DELETE ? DELETE_FLAG : UPSERT_FLAG);
      buffer.write(Integer.toString(row).getBytes(StandardCharsets.US_ASCII));
    } catch (BadRecordException e) {
      buffer.discardPartialRow();
      throw e;
    } catch (IOException | RuntimeException e) {
      buffer.discardPartialRow();
      throw new BadRecordException("Not a row: " + e.getMessage(), e);
    }
    buffer.write((byte) '\n');
    buffer.endRow();
    return true;
  }

  @Override
  public String withClause(TargetTable target) {
    return CopyOptions.TEXT_DEFAULTS.withClause();
  }
}
