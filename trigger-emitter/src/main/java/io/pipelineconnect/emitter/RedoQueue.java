package io.pipelineconnect.emitter;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The messages to relay again before anything new is claimed: the claimed, uncommitted messages of
 * buckets just won (read page by page), and held messages put back first. Valid for one relay
 * session: {@link #clear()} when it ends. Not thread-safe: the poll thread's.
 */
final class RedoQueue {
  /** Reads a page of claimed messages: {@link OutboxRelay#claimed}, bound to a connection. */
  @FunctionalInterface
  interface ClaimedPages {
    List<OutboxMessage> after(List<Integer> buckets, OutboxMessage.Position after, int limit)
        throws SQLException;
  }

  private final Deque<OutboxMessage> redo = new ArrayDeque<>();

  /**
   * Buckets just won whose claimed messages are still to be relayed again, page by page into {@link
   * #redo}, before anything new is claimed.
   */
  private final Deque<Recovery> recoveries = new ArrayDeque<>();

  /** Claimed messages of {@code buckets} after {@code after} (from the first if null) to redo. */
  private record Recovery(List<Integer> buckets, OutboxMessage.Position after) {}

  /** The claimed messages of these buckets, just won, go again first. */
  void recover(List<Integer> buckets) {
    recoveries.add(new Recovery(List.copyOf(buckets), null));
  }

  /** First again, in their order, ahead of anything queued or claimed after them. */
  void putBackFirst(List<OutboxMessage> held) {
    for (int i = held.size() - 1; i >= 0; i--) {
      redo.addFirst(held.get(i));
    }
  }

  /**
   * Up to {@code limit} messages to relay again, reading the next recovery page when nothing is
   * queued; empty when nothing is left to redo.
   */
  List<OutboxMessage> next(ClaimedPages pages, int limit) throws SQLException {
    if (redo.isEmpty()) {
      loadRecoveryPage(pages, limit);
    }
    List<OutboxMessage> messages = new ArrayList<>();
    while (!redo.isEmpty() && messages.size() < limit) {
      messages.add(redo.poll());
    }
    return messages;
  }

  /** The relay session ended: what it would have redone is found again by the next one. */
  void clear() {
    redo.clear();
    recoveries.clear();
  }

  /** Queues the next page of claimed messages still to be relayed again, if any remain. */
  private void loadRecoveryPage(ClaimedPages pages, int limit) throws SQLException {
    while (!recoveries.isEmpty()) {
      Recovery recovery = recoveries.peekFirst();
      List<OutboxMessage> page = pages.after(recovery.buckets(), recovery.after(), limit);
      recoveries.pollFirst();
      if (page.isEmpty()) {
        continue;
      }
      OutboxMessage last = page.get(page.size() - 1);
      recoveries.addFirst(
          new Recovery(recovery.buckets(), new OutboxMessage.Position(last.batch(), last.id())));
      redo.addAll(page);
      return;
    }
  }
}
