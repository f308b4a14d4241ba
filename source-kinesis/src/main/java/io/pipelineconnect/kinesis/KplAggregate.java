package io.pipelineconnect.kinesis;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads KPL aggregated records: the magic bytes {@code F3 89 9A C2}, a protobuf {@code
 * AggregatedRecord}, and the MD5 of those protobuf bytes as a 16-byte trailer.
 *
 * <p>A small hand-written protobuf reader (varints and length-delimited fields; unknown fields are
 * skipped) instead of KCL's deaggregator, which brings KCL, DynamoDB and CloudWatch with it.
 *
 * <pre>
 * message AggregatedRecord {
 *   repeated string partition_key_table = 1;
 *   repeated string explicit_hash_key_table = 2;
 *   repeated Record records = 3;
 * }
 * message Record {
 *   required uint64 partition_key_index = 1;
 *   optional uint64 explicit_hash_key_index = 2;
 *   required bytes data = 3;
 *   repeated Tag tags = 4;
 * }
 * </pre>
 */
final class KplAggregate {
  static final byte[] MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
  static final int DIGEST_LENGTH = 16;

  /** One user record of an aggregate. */
  record UserRecord(String partitionKey, String explicitHashKey, byte[] data) {
    /**
     * The hash key Kinesis would route this record by, had it been put alone: its explicit hash
     * key, else the MD5 of its partition key as an unsigned 128-bit number.
     */
    BigInteger hashKey() {
      if (explicitHashKey != null) {
        return new BigInteger(explicitHashKey);
      }
      byte[] key = partitionKey.getBytes(StandardCharsets.UTF_8);
      return new BigInteger(1, md5(key, 0, key.length));
    }
  }

  /** The data starts with the magic bytes and is long enough to hold a digest. */
  static boolean isAggregated(byte[] data) {
    return data.length >= MAGIC.length + DIGEST_LENGTH
        && Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
  }

  /**
   * The user records of an aggregated record, in order.
   *
   * @throws InvalidAggregateException if the digest does not match or the protobuf is malformed
   */
  static List<UserRecord> decode(byte[] data) {
    if (!isAggregated(data)) {
      throw new InvalidAggregateException("no KPL magic bytes");
    }
    int end = data.length - DIGEST_LENGTH;
    if (!Arrays.equals(md5(data, MAGIC.length, end), 0, DIGEST_LENGTH, data, end, data.length)) {
      throw new InvalidAggregateException("MD5 trailer does not match");
    }
    List<String> partitionKeys = new ArrayList<>();
    List<String> explicitHashKeys = new ArrayList<>();
    List<RawRecord> raw = new ArrayList<>();
    WireReader in = new WireReader(data, MAGIC.length, end);
    while (in.hasMore()) {
      long tag = in.varint();
      int field = (int) (tag >>> 3);
      int wireType = (int) (tag & 7);
      if (field == 1 && wireType == WireReader.LENGTH_DELIMITED) {
        partitionKeys.add(in.string());
      } else if (field == 2 && wireType == WireReader.LENGTH_DELIMITED) {
        explicitHashKeys.add(in.string());
      } else if (field == 3 && wireType == WireReader.LENGTH_DELIMITED) {
        raw.add(RawRecord.read(in.embedded()));
      } else {
        in.skip(wireType);
      }
    }
    List<UserRecord> records = new ArrayList<>(raw.size());
    for (RawRecord record : raw) {
      if (record.partitionKeyIndex >= partitionKeys.size()) {
        throw new InvalidAggregateException(
            "partition key index "
                + record.partitionKeyIndex
                + " outside a table of "
                + partitionKeys.size());
      }
      String explicitHashKey = null;
      if (record.explicitHashKeyIndex >= 0) {
        if (record.explicitHashKeyIndex >= explicitHashKeys.size()) {
          throw new InvalidAggregateException(
              "explicit hash key index "
                  + record.explicitHashKeyIndex
                  + " outside a table of "
                  + explicitHashKeys.size());
        }
        explicitHashKey = explicitHashKeys.get((int) record.explicitHashKeyIndex);
        if (!explicitHashKey.matches("\\d{1,39}")) {
          throw new InvalidAggregateException(
              "explicit hash key " + explicitHashKey + " is not a decimal 128-bit number");
        }
      }
      records.add(
          new UserRecord(
              partitionKeys.get((int) record.partitionKeyIndex), explicitHashKey, record.data));
    }
    return records;
  }

  private static byte[] md5(byte[] data, int from, int to) {
    try {
      MessageDigest digest = MessageDigest.getInstance("MD5");
      digest.update(data, from, to - from);
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("The JVM has no MD5", e);
    }
  }

  /** A {@code Record} message before its indexes are resolved against the tables. */
  private record RawRecord(long partitionKeyIndex, long explicitHashKeyIndex, byte[] data) {
    static RawRecord read(WireReader in) {
      long partitionKeyIndex = -1;
      long explicitHashKeyIndex = -1;
      byte[] data = null;
      while (in.hasMore()) {
        long tag = in.varint();
        int field = (int) (tag >>> 3);
        int wireType = (int) (tag & 7);
        if (field == 1 && wireType == WireReader.VARINT) {
          partitionKeyIndex = in.varint();
        } else if (field == 2 && wireType == WireReader.VARINT) {
          explicitHashKeyIndex = in.varint();
        } else if (field == 3 && wireType == WireReader.LENGTH_DELIMITED) {
          data = in.bytes();
        } else {
          in.skip(wireType); // tags (4) and anything newer
        }
      }
      if (partitionKeyIndex < 0 || data == null) {
        throw new InvalidAggregateException(
            "a record lacks its " + (data == null ? "data" : "partition key index"));
      }
      return new RawRecord(partitionKeyIndex, explicitHashKeyIndex, data);
    }
  }

  /** The protobuf wire format over a slice of an array; every read checks the slice's bounds. */
  static final class WireReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final byte[] buf;
    private int pos;
    private final int end;

    WireReader(byte[] buf, int from, int to) {
      this.buf = buf;
      this.pos = from;
      this.end = to;
    }

    boolean hasMore() {
      return pos < end;
    }

    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new InvalidAggregateException("truncated varint");
        }
        byte b = buf[pos++];
        value |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return value;
        }
      }
      throw new InvalidAggregateException("varint longer than 10 bytes");
    }

    private int length() {
      long length = varint();
      if (length < 0 || length > end - pos) {
        throw new InvalidAggregateException("field length " + length + " runs past the end");
      }
      return (int) length;
    }

    byte[] bytes() {
      int length = length();
      byte[] out = Arrays.copyOfRange(buf, pos, pos + length);
      pos += length;
      return out;
    }

    String string() {
      int length = length();
      String out = new String(buf, pos, length, StandardCharsets.UTF_8);
      pos += length;
      return out;
    }

    WireReader embedded() {
      int length = length();
      WireReader inner = new WireReader(buf, pos, pos + length);
      pos += length;
      return inner;
    }

    void skip(int wireType) {
      switch (wireType) {
        case VARINT -> varint();
        case FIXED64 -> advance(8);
        case LENGTH_DELIMITED -> advance(length());
        case FIXED32 -> advance(4);
        default -> throw new InvalidAggregateException("unsupported wire type " + wireType);
      }
    }

    private void advance(int n) {
      if (n > end - pos) {
        throw new InvalidAggregateException("truncated field");
      }
      pos += n;
    }
  }

  /** The data looked like an aggregate but is not a valid one. */
  static final class InvalidAggregateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidAggregateException(String message) {
      super(message);
    }
  }

  private KplAggregate() {}
}
