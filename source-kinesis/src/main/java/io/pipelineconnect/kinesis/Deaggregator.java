package io.pipelineconnect.kinesis;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Turns one Kinesis record into the records it delivers and moves the shard's position past it: one
 * per user record of a KPL aggregate (skipping those delivered before a restart, and dropping those
 * whose hash keys lie outside the shard's range where kinesis.deaggregate.outside.shard says so),
 * else the record itself.
 *
 * <p>A dropped user record moves no offset: after a restart inside the aggregate it is judged
 * again, the same way, so dropping stays deterministic.
 */
final class Deaggregator {
  private static final Logger log = LoggerFactory.getLogger(Deaggregator.class);

  /**
   * What a Kinesis record delivers, where the shard stands after it, and how many of its user
   * records were dropped as outside the shard's hash-key range.
   */
  record Unpacked(
      List<PositionedRecord.Data> records, ShardPosition position, int droppedOutsideShard) {}

  private final String stream;
  private final boolean deaggregate;
  private final boolean dropOutsideShard;

  Deaggregator(String stream, boolean deaggregate, boolean dropOutsideShard) {
    this.stream = stream;
    this.deaggregate = deaggregate;
    this.dropOutsideShard = dropOutsideShard;
  }

  /** Read from the config once: both settings are needed per record. */
  Deaggregator(KinesisSourceConfig config) {
    this(
        config.stream(),
        config.deaggregate(),
        config.outsideShard() == KinesisSourceConfig.OutsideShard.DROP);
  }

  /** The records of {@code record}, read from {@code shard} that stood at {@code current}. */
  Unpacked unpack(ShardInfo shard, Record record, ShardPosition current) {
    String sequence = record.sequenceNumber();
    byte[] data = record.data().asByteArray();
    if (deaggregate && KplAggregate.isAggregated(data)) {
      List<KplAggregate.UserRecord> userRecords = null;
      try {
        userRecords = KplAggregate.decode(data);
      } catch (KplAggregate.InvalidAggregateException e) {
        log.warn(
            "Shard {} of {}, sequence number {}: not a valid KPL aggregate ({}); passing it"
                + " through as one record",
            shard.id(),
            stream,
            sequence,
            e.getMessage());
      }
      if (userRecords != null) {
        ShardInfo.HashKeyRange range = dropOutsideShard ? shard.hashKeys() : null;
        List<PositionedRecord.Data> out = new ArrayList<>();
        int dropped = 0;
        int last = userRecords.size() - 1;
        for (int i = (int) deliveredSubRecords(current, sequence); i <= last; i++) {
          KplAggregate.UserRecord user = userRecords.get(i);
          if (range != null && !range.contains(user.hashKey())) {
            dropped++;
            continue;
          }
          ShardPosition position = ShardPosition.afterSubRecord(sequence, i, i == last);
          out.add(
              new PositionedRecord.Data(
                  record, user.partitionKey(), user.explicitHashKey(), user.data(), position));
        }
        ShardPosition after =
            last < 0
                ? ShardPosition.after(sequence)
                : ShardPosition.afterSubRecord(sequence, last, true);
        return new Unpacked(out, after, dropped);
      }
    }
    ShardPosition after = ShardPosition.after(sequence);
    return new Unpacked(
        List.of(new PositionedRecord.Data(record, record.partitionKey(), null, data, after)),
        after,
        0);
  }

  /**
   * How many leading sub-records of the aggregate {@code sequence} were already delivered: those of
   * the partly delivered aggregate that reading resumed at, none for any other record.
   */
  static long deliveredSubRecords(ShardPosition position, String sequence) {
    if (position != null && position.insideAggregate() && position.sequence().equals(sequence)) {
      return position.subSequence() + 1;
    }
    return 0;
  }
}
