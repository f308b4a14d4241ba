package io.pipelineconnect.kinesis;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds KPL aggregated records for tests, the way the KPL writes them (protobuf + MD5). */
final class KplAggregates {
  private final Map<String, Integer> partitionKeys = new LinkedHashMap<>();
  private final ByteArrayOutputStream records = new ByteArrayOutputStream();
  private final ByteArrayOutputStream extra = new ByteArrayOutputStream();

  private final Map<String, Integer> explicitHashKeys = new LinkedHashMap<>();

  /** Adds a user record (with one tag, which readers must skip). */
  KplAggregates add(String partitionKey, String data) {
    return add(partitionKey, null, data);
  }

  /** Adds a user record put with an explicit hash key (null: none). */
  KplAggregates add(String partitionKey, String explicitHashKey, String data) {
    int index = partitionKeys.computeIfAbsent(partitionKey, k -> partitionKeys.size());
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    writeTag(record, 1, 0);
    writeVarint(record, index);
    if (explicitHashKey != null) {
      writeTag(record, 2, 0);
      writeVarint(
          record, explicitHashKeys.computeIfAbsent(explicitHashKey, k -> explicitHashKeys.size()));
    }
    writeBytes(record, 3, data.getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream tag = new ByteArrayOutputStream();
    writeBytes(tag, 1, "tag-key".getBytes(StandardCharsets.UTF_8));
    writeBytes(record, 4, tag.toByteArray());
    writeBytes(records, 3, record.toByteArray());
    return this;
  }

  /** Adds fields a newer KPL might write: a varint, a fixed64, a fixed32 and a string. */
  KplAggregates withUnknownFields() {
    writeTag(extra, 9, 0);
    writeVarint(extra, 300);
    writeTag(extra, 10, 1);
    extra.writeBytes(new byte[8]);
    writeTag(extra, 11, 5);
    extra.writeBytes(new byte[4]);
    writeBytes(extra, 12, "future".getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /** The protobuf AggregatedRecord, without magic bytes or digest. */
  byte[] protobuf() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String key : partitionKeys.keySet()) {
      writeBytes(out, 1, key.getBytes(StandardCharsets.UTF_8));
    }
    for (String key : explicitHashKeys.keySet()) {
      writeBytes(out, 2, key.getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes(extra.toByteArray());
    out.writeBytes(records.toByteArray());
    return out.toByteArray();
  }

  /** The aggregated record as it is put to Kinesis. */
  byte[] build() {
    return frame(protobuf());
  }

  /** Magic bytes + the given protobuf bytes + their MD5. */
  static byte[] frame(byte[] protobuf) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(KplAggregate.MAGIC);
    out.writeBytes(protobuf);
    out.writeBytes(md5(protobuf));
    return out.toByteArray();
  }

  static byte[] md5(byte[] data) {
    try {
      return MessageDigest.getInstance("MD5").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<String> keys(List<KplAggregate.UserRecord> records) {
    List<String> keys = new ArrayList<>();
    records.forEach(r -> keys.add(r.partitionKey()));
    return keys;
  }

  private static void writeBytes(ByteArrayOutputStream out, int field, byte[] value) {
    writeTag(out, field, 2);
    writeVarint(out, value.length);
    out.writeBytes(value);
  }

  private static void writeTag(ByteArrayOutputStream out, int field, int wireType) {
    writeVarint(out, ((long) field << 3) | wireType);
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }
}
