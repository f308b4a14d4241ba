package io.pipelineconnect.sink;

import io.pipelineconnect.common.Identifiers;
import io.pipelineconnect.sink.copy.CopyLines;
import io.pipelineconnect.sink.copy.CopyOptions;
import io.pipelineconnect.sink.copy.RowBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * {@code format=json}: a JSON object per message (or a Connect Struct or Map, from JsonConverter
 * with or without schemas, Avro and the like), written as text-format COPY rows.
 *
 * <p>Into a target with a single json/jsonb column, each whole message lands in it (what
 * pipeline_kafka's json format did). Otherwise each top-level key goes to the column of that name:
 * unknown keys are ignored, missing keys become the column default (PostgreSQL 16+, whose COPY has
 * a DEFAULT marker) or NULL, and nested objects and arrays are written as JSON text. A message
 * holding JsonConverter's envelope ({@code {"schema":…,"payload":…}}, read with the
 * ByteArrayConverter) is read by {@link JsonEnvelope}: the payload's fields, rendered by the
 * schema's logical types, without a Struct.
 */
final class JsonRowEncoder implements RowEncoder {
  /**
   * COPY's DEFAULT marker (PostgreSQL 16+): a raw field of exactly this means "use the default".
   */
  private static final String DEFAULT_MARKER = "\\D";

  private final boolean serverHasCopyDefault;
  private final MetadataColumns metadata;
  private final JsonFields jsonFields = new JsonFields();

  JsonRowEncoder(boolean serverHasCopyDefault) {
    this(serverHasCopyDefault, MetadataColumns.NONE);
  }

  JsonRowEncoder(boolean serverHasCopyDefault, MetadataColumns metadata) {
    this.serverHasCopyDefault = serverHasCopyDefault;
    this.metadata = metadata;
  }

  @Override
  public void checkTarget(TargetTable target) {
    metadata.checkTarget(target);
  }

  @Override
  public String withClause(TargetTable target) {
    return usesDefaultMarker(target)
        ? CopyOptions.TEXT_DEFAULTS.withClause(
            List.of("DEFAULT " + Identifiers.quoteLiteral(DEFAULT_MARKER)))
        : CopyOptions.TEXT_DEFAULTS.withClause();
  }

  private boolean usesDefaultMarker(TargetTable target) {
    return serverHasCopyDefault
        && !target.singleJsonColumn()
        && target.columns().stream().anyMatch(TargetTable.Column::hasDefault);
  }

  @Override
  public boolean encode(SinkRecord record, TargetTable target, RowBuffer buffer)
      throws BadRecordException {
    Object value = record.value();
    if (value == null) {
      return false;
    }
    try {
      if (target.singleJsonColumn()) {
        String json = wholeMessageAsJson(value);
        if (json.isEmpty()) {
          return false;
        }
        CopyLines.appendTextField(buffer, json);
      } else {
        Map<String, Object> fields = jsonFields.of(value);
        if (fields == null) {
          return false;
        }
        boolean defaults = usesDefaultMarker(target);
        List<TargetTable.Column> columns = target.columns();
        for (int i = 0; i < columns.size(); i++) {
          if (i > 0) {
            buffer.write((byte) '\t');
          }
          TargetTable.Column column = columns.get(i);
          String name = column.name();
          MetadataColumns.Source source = metadata.isEmpty() ? null : metadata.source(name);
          if (source != null) {
            CopyLines.appendTextOrNull(
                buffer,
                JsonFields.columnText(
                    column, MetadataColumns.value(source, record, column.isBytea())));
            continue;
          }
          if (!fields.containsKey(name)) {
            if (defaults && column.hasDefault()) {
              buffer.write(DEFAULT_MARKER.getBytes(StandardCharsets.US_ASCII));
            } else {
              CopyLines.appendNull(buffer);
            }
            continue;
          }
          CopyLines.appendTextOrNull(buffer, JsonFields.columnText(column, fields.get(name)));
        }
      }
    } catch (BadRecordException e) {
      buffer.discardPartialRow();
      throw e;
    } catch (IOException | RuntimeException e) {
      buffer.discardPartialRow();
      throw new BadRecordException("Not a JSON object: " + e.getMessage(), e);
    }
    buffer.write((byte) '\n');
    buffer.endRow();
    return true;
  }

  /** The message as JSON text, for a single json/jsonb column. */
  private static String wholeMessageAsJson(Object value) throws IOException {
    if (value instanceof byte[] bytes) {
      return new String(bytes, StandardCharsets.UTF_8).strip();
    }
    if (value instanceof String text) {
      return text.strip();
    }
    return JsonFields.MAPPER.writeValueAsString(ConnectValues.plain(value));
  }
}
