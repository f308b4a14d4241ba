package io.pipelineconnect.sink.copy;

import java.util.Arrays;

/**
 * COPY input being assembled: one growable byte array holding whole rows back to back, and where
 * each row ends. Rows can be sent all at once (the fast path) or one by one (to leave out a bad
 * one) without being encoded again.
 */
public final class RowBuffer {
  private byte[] bytes;
  private int size;
  private int[] rowEnds = new int[64];
  private int rows;

  public RowBuffer() {
    this(8192);
  }

  public RowBuffer(int initialCapacity) {
    bytes = new byte[Math.max(16, initialCapacity)];
  }

  public void write(byte b) {
    ensure(1);
    bytes[size++] = b;
  }

  public void write(byte[] source) {
    write(source, 0, source.length);
  }

  public void write(byte[] source, int offset, int length) {
    ensure(length);
    System.arraycopy(source, offset, bytes, size, length);
    size += length;
  }

  /** Marks the end of the row written since the previous call. */
  public void endRow() {
    if (rows == rowEnds.length) {
      rowEnds = Arrays.copyOf(rowEnds, rows * 2);
    }
    rowEnds[rows++] = size;
  }

  /** Drops whatever was written since the last complete row (a row found bad mid-encoding). */
  public void discardPartialRow() {
    size = rows == 0 ? 0 : rowEnds[rows - 1];
  }

  public int rowCount() {
    return rows;
  }

  /** Bytes held, complete rows only. */
  public int byteCount() {
    return rows == 0 ? 0 : rowEnds[rows - 1];
  }

  public int rowStart(int row) {
    return row == 0 ? 0 : rowEnds[row - 1];
  }

  public int rowEnd(int row) {
    return rowEnds[row];
  }

  /** The backing array: valid from 0 to {@link #byteCount()}. */
  public byte[] array() {
    return bytes;
  }

  public void clear() {
    size = 0;
    rows = 0;
  }

  private void ensure(int extra) {
    if (size + extra > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + extra));
    }
  }
}
