package io.pipelineconnect.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipelineconnect.common.RelationName;
import io.pipelineconnect.sink.copy.RowBuffer;
import java.math.BigDecimal;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

/** Binary COPY tuples byte by byte; PipelineSinkIT checks what PostgreSQL makes of them. */
class BinaryRowEncoderTest {
  private static final TargetTable TABLE =
      new TargetTable(
          RelationName.parse("t"),
          false,
          List.of(
              new TargetTable.Column("id", "bigint", false),
              new TargetTable.Column("n", "integer", false),
              new TargetTable.Column("name", "text", false)));

  private static final Schema SCHEMA =
      SchemaBuilder.struct()
          .field("id", Schema.INT64_SCHEMA)
          .field("n", Schema.OPTIONAL_INT64_SCHEMA)
          .build();

  private static SinkRecord record(Object value) {
    return new SinkRecord("topic", 0, null, null, SCHEMA, value, 0);
  }

  @Test
  void aTupleIsAFieldCountThenEachFieldSizedAndMissingFieldsAreNull() throws Exception {
    RowBuffer buffer = new RowBuffer();
    new BinaryRowEncoder()
        .encode(record(new Struct(SCHEMA).put("id", 258L).put("n", 7L)), TABLE, buffer);
    assertThat(ints(java.util.Arrays.copyOf(buffer.array(), buffer.byteCount())))
        .containsExactly(
            0, 3, // three fields
            0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 2, // id: 8 bytes, 258
            0, 0, 0, 4, 0, 0, 0, 7, // n: 4 bytes, 7
            -1, -1, -1, -1); // name: no such field, NULL
    assertThat(buffer.rowCount()).isOne();
  }

  @Test
  void aTypeModifierDoesNotChangeWhichWriterAColumnGets() {
    assertThat(BinaryRowEncoder.baseType("character varying(20)")).isEqualTo("character varying");
    assertThat(BinaryRowEncoder.baseType("timestamp(3) with time zone"))
        .isEqualTo("timestamp with time zone");
    assertThat(BinaryRowEncoder.baseType("numeric(10,2)")).isEqualTo("numeric");
    assertThat(BinaryRowEncoder.baseType("Time(0) Without Time Zone"))
        .isEqualTo("time without time zone");
    assertThat(BinaryRowEncoder.baseType("double precision")).isEqualTo("double precision");
  }

  @Test
  void aValueOutOfItsColumnsRangeIsABadRecordAndLeavesNothingBehind() throws Exception {
    RowBuffer buffer = new RowBuffer();
    BinaryRowEncoder encoder = new BinaryRowEncoder();
    assertThatThrownBy(
            () ->
                encoder.encode(
                    record(new Struct(SCHEMA).put("id", 1L).put("n", 1L << 40)), TABLE, buffer))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("n = 1099511627776 is out of range");
    assertThat(buffer.byteCount()).isZero();
    assertThat(buffer.rowCount()).isZero();
    assertThatThrownBy(() -> encoder.encode(record("not a struct"), TABLE, buffer))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("needs each field's type: a Struct value");
  }

  @Test
  void uuidIsItsSixteenBytesAndTimeItsMicrosecondsAfterMidnight() throws Exception {
    Schema schema =
        SchemaBuilder.struct()
            .field("u", Schema.STRING_SCHEMA)
            .field("at", org.apache.kafka.connect.data.Time.SCHEMA)
            .build();
    TargetTable table =
        new TargetTable(
            RelationName.parse("t"),
            false,
            List.of(
                new TargetTable.Column("u", "uuid", false),
                new TargetTable.Column("at", "time without time zone", false)));
    RowBuffer buffer = new RowBuffer();
    BinaryRowEncoder encoder = new BinaryRowEncoder();
    encoder.checkTarget(table);
    Struct value =
        new Struct(schema)
            .put("u", "00010203-0405-0607-0809-0a0b0c0d0eff")
            .put("at", new java.util.Date(1_001L)); // 00:00:01.001
    encoder.encode(new SinkRecord("topic", 0, null, null, schema, value, 0), table, buffer);
    assertThat(ints(java.util.Arrays.copyOf(buffer.array(), buffer.byteCount())))
        .containsExactly(
            0, 2, 0, 0, 0, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, -1, // 0xff signed
            0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0f, 0x46, 0x28); // 1,001 ms = 1,001,000 us = 0xf4628
    Struct notUuid = new Struct(schema).put("u", "nope").put("at", new java.util.Date(0));
    assertThatThrownBy(
            () ->
                encoder.encode(
                    new SinkRecord("topic", 0, null, null, schema, notUuid, 1), table, buffer))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("u is not a uuid");
  }

  @Test
  void aColumnTypeItCannotWriteFailsAtTheCheckNamingIt() {
    TargetTable withPoint =
        new TargetTable(
            RelationName.parse("t"), false, List.of(new TargetTable.Column("p", "point", false)));
    assertThatThrownBy(() -> new BinaryRowEncoder().checkTarget(withPoint))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("column p of")
        .hasMessageContaining("(type point)")
        .hasMessageContaining("format=json");
  }

  private static int[] ints(byte[] bytes) {
    int[] out = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = bytes[i];
    }
    return out;
  }

  /** The two-byte big-endian words of numeric's send format. */
  private static int[] int2s(byte[] bytes) {
    int[] out = new int[bytes.length / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = org.postgresql.util.ByteConverter.int2(bytes, 2 * i);
    }
    return out;
  }

  @Test
  void numericsAreBase10000DigitsWithWeightSignAndScale() {
    // ndigits, weight, sign, dscale, digits...
    // Zero has no digits; its weight means nothing (pgjdbc writes -1).
    assertThat(int2s(BinaryRowEncoder.numeric(new BigDecimal("0")))).containsExactly(0, -1, 0, 0);
    assertThat(int2s(BinaryRowEncoder.numeric(new BigDecimal("123.4567"))))
        .containsExactly(2, 0, 0, 4, 123, 4567);
    assertThat(int2s(BinaryRowEncoder.numeric(new BigDecimal("12345678.9"))))
        .containsExactly(3, 1, 0, 1, 1234, 5678, 9000);
    assertThat(int2s(BinaryRowEncoder.numeric(new BigDecimal("-0.001"))))
        .containsExactly(1, -1, 0x4000, 3, 10);
    assertThat(int2s(BinaryRowEncoder.numeric(new BigDecimal("100000000"))))
        .containsExactly(1, 2, 0, 0, 1);
    assertThat(int2s(BinaryRowEncoder.numeric(new BigDecimal("0.00001"))))
        .containsExactly(1, -2, 0, 5, 1000);
    assertThat(int2s(BinaryRowEncoder.numeric(new BigDecimal("1E+3"))))
        .containsExactly(1, 0, 0, 0, 1000);
  }

  @Test
  void nonFiniteDoublesUseNumericsSpecialSigns() {
    assertThat(BinaryRowEncoder.nonFiniteSign(Double.NaN)).isEqualTo((short) 0xC000);
    assertThat(BinaryRowEncoder.nonFiniteSign(Double.POSITIVE_INFINITY)).isEqualTo((short) 0xD000);
    assertThat(BinaryRowEncoder.nonFiniteSign(Double.NEGATIVE_INFINITY)).isEqualTo((short) 0xF000);
  }
}
