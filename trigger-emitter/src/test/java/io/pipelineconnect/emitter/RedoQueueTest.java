package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What goes again first, against claimed messages held in a list instead of the outbox. */
class RedoQueueTest {
  /** Claimed messages in relay order (batch, then id), and the pages asked for. */
  private final List<OutboxMessage> claimed = new ArrayList<>();

  private final List<String> asked = new ArrayList<>();

  private final RedoQueue.ClaimedPages pages =
      (buckets, after, limit) -> {
        asked.add(buckets + " after " + after);
        List<OutboxMessage> page = new ArrayList<>();
        for (OutboxMessage m : claimed) {
          boolean later =
              after == null
                  || m.batch() > after.batch()
                  || (m.batch() == after.batch() && m.id() > after.id());
          if (buckets.contains(m.bucket()) && later && page.size() < limit) {
            page.add(m);
          }
        }
        return page;
      };

  private final RedoQueue queue = new RedoQueue();

  private static OutboxMessage message(long id, int bucket, long batch) {
    return new OutboxMessage(id, bucket, batch, "t", null, null, new byte[] {(byte) id});
  }

  private static List<Long> ids(List<OutboxMessage> messages) {
    return messages.stream().map(OutboxMessage::id).toList();
  }

  @Test
  void nothingToRedoAsksForNothing() throws SQLException {
    assertThat(queue.next(pages, 10)).isEmpty();
    assertThat(asked).isEmpty();
  }

  @Test
  void theClaimedMessagesOfBucketsJustWonComePageByPageInRelayOrder() throws SQLException {
    claimed.addAll(List.of(message(7, 1, 3), message(4, 1, 4), message(9, 2, 4), message(5, 1, 5)));
    queue.recover(List.of(1));
    assertThat(ids(queue.next(pages, 2))).containsExactly(7L, 4L);
    assertThat(ids(queue.next(pages, 2))).containsExactly(5L);
    assertThat(queue.next(pages, 2)).isEmpty();
    assertThat(asked)
        .containsExactly(
            "[1] after null",
            "[1] after Position[batch=4, id=4]",
            "[1] after Position[batch=5, id=5]");
  }

  @Test
  void aPageIsHandedOutAtMostLimitMessagesAtATime() throws SQLException {
    claimed.addAll(List.of(message(1, 1, 1), message(2, 1, 1), message(3, 1, 1)));
    queue.recover(List.of(1));
    queue.putBackFirst(List.of(message(10, 1, 9), message(11, 1, 9), message(12, 1, 9)));
    assertThat(ids(queue.next(pages, 2))).containsExactly(10L, 11L);
    assertThat(ids(queue.next(pages, 2))).containsExactly(12L);
    assertThat(asked).isEmpty();
  }

  @Test
  void heldMessagesGoFirstInTheirOrderAheadOfWhatIsQueued() throws SQLException {
    claimed.addAll(List.of(message(1, 1, 1), message(2, 1, 1), message(3, 1, 1)));
    queue.recover(List.of(1));
    List<OutboxMessage> first = queue.next(pages, 2);
    assertThat(ids(first)).containsExactly(1L, 2L);
    queue.putBackFirst(first);
    assertThat(ids(queue.next(pages, 3))).containsExactly(1L, 2L);
    assertThat(ids(queue.next(pages, 3))).containsExactly(3L);
  }

  @Test
  void bucketsWonAtDifferentTimesAreRecoveredOneAfterTheOther() throws SQLException {
    claimed.addAll(List.of(message(1, 1, 1), message(2, 2, 1)));
    queue.recover(List.of(1));
    queue.recover(List.of(2));
    assertThat(ids(queue.next(pages, 10))).containsExactly(1L);
    assertThat(ids(queue.next(pages, 10))).containsExactly(2L);
    assertThat(queue.next(pages, 10)).isEmpty();
  }

  @Test
  void aSessionThatEndsForgetsItsRedo() throws SQLException {
    claimed.add(message(1, 1, 1));
    queue.recover(List.of(1));
    queue.putBackFirst(List.of(message(2, 1, 1)));
    queue.clear();
    assertThat(queue.next(pages, 10)).isEmpty();
    assertThat(asked).isEmpty();
  }
}
