package io.pipelineconnect.emitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The owned buckets as Connect's offset-commit thread sees them (no database: no locks taken). */
class BucketLocksTest {
  private final BucketLocks locks = new BucketLocks("s", List.of(1, 5, 9));

  @Test
  void aNewTaskOwnsNothing() {
    assertThat(locks.owned()).isEmpty();
    assertThat(locks.assigned()).containsExactly(1, 5, 9);
  }

  @Test
  void theSnapshotCannotBeChangedByItsReader() {
    locks.own(List.of(5));
    assertThatThrownBy(() -> locks.owned().add(9))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aSnapshotTakenEarlierIsNotChangedByLaterWinsOrByLosingTheSession() {
    locks.own(List.of(5));
    List<Integer> before = locks.owned();
    locks.own(List.of(1, 9));
    assertThat(before).containsExactly(5);
    assertThat(locks.owned()).containsExactly(5, 1, 9);

    List<Integer> all = locks.owned();
    locks.lost();
    assertThat(all).containsExactly(5, 1, 9);
    assertThat(locks.owned()).isEmpty();
  }

  @Test
  void winningABucketTwiceOwnsItOnce() {
    locks.own(List.of(5));
    locks.own(List.of(5));
    assertThat(locks.owned()).containsExactly(5);
  }

  @Test
  void whenEveryAssignedBucketIsOwnedAcquiringAsksTheDatabaseNothing() throws SQLException {
    locks.own(List.of(1, 5, 9));
    assertThat(locks.acquire(null)).isEmpty();
  }

  @Test
  void theAssignmentIsACopy() {
    List<Integer> assigned = new java.util.ArrayList<>(List.of(1, 2));
    BucketLocks copied = new BucketLocks("s", assigned);
    assigned.add(3);
    assertThat(copied.assigned()).containsExactly(1, 2);
  }
}
