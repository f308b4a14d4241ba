package io.pipelineconnect.kinesis;

import io.pipelineconnect.common.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Reads one shard: gets an iterator where reading starts or resumes, calls GetRecords with it, and
 * hands back each call's page of positioned records. It keeps where the shard stands and when it
 * may be asked again (Kinesis allows 5 GetRecords calls and 2 MB per second per shard; throttling
 * backs off with jitter).
 *
 * <p>What retrying can fix (throttling, an expired iterator, an unreachable or failing Kinesis)
 * schedules the next call; what it cannot (a vanished stream, refused credentials, a saved position
 * Kinesis refuses) throws a ConnectException that fails the task.
 */
final class ShardReader {
  private static final Logger log = LoggerFactory.getLogger(ShardReader.class);

  static final long MIN_CALL_INTERVAL_MS = 200;

  /** Kinesis's read limit per shard: 2 MiB/s, shared by every consumer of the shard. */
  static final long MAX_READ_BYTES_PER_SECOND = 2L * 1024 * 1024;

  /**
   * What one read returned, in order: the records and markers of the shard, and, once it reached
   * SHARD_END, the child shards GetRecords named (else none).
   */
  record Page(List<PositionedRecord> records, List<ChildShard> children) {}

  private final ShardInfo shard;
  private final boolean child;
  private final KinesisClient kinesis;
  private final KinesisSourceConfig config;
  private final StreamRef stream;
  private final Deaggregator deaggregator;
  private final KinesisTaskMetrics metrics;
  private String iterator;
  private ShardPosition position;
  private long nextCallAtMs;

  /** Kinesis throttles and fails transiently: the shared policy, without a bound, paces retries. */
  private final RetryPolicy backoff;

  /**
   * A reader from {@code saved} (null: where start_offset says, or from its beginning for a {@code
   * child} of a shard the task reads too).
   */
  ShardReader(
      ShardInfo shard,
      ShardPosition saved,
      boolean child,
      KinesisClient kinesis,
      KinesisSourceConfig config,
      Deaggregator deaggregator,
      KinesisTaskMetrics metrics) {
    this.shard = shard;
    this.position = saved;
    this.child = child;
    this.kinesis = kinesis;
    this.config = config;
    this.stream = config.streamRef();
    this.deaggregator = deaggregator;
    this.metrics = metrics;
    this.backoff =
        RetryPolicy.throttled(Duration.ofMillis(MIN_CALL_INTERVAL_MS), config.maxBackoff());
  }

  ShardInfo shard() {
    return shard;
  }

  /** Where the shard stands: after the last record read, or null before the first read. */
  ShardPosition position() {
    return position;
  }

  boolean finished() {
    return position != null && position.shardEnd();
  }

  /** When the shard may be read next (epoch ms). */
  long nextCallAtMs() {
    return nextCallAtMs;
  }

  /** One GetRecords call for the shard (and the iterator it needs): what it returned. */
  Page read(long now) {
    List<PositionedRecord> out = new ArrayList<>();
    try {
      if (iterator == null) {
        try {
          if (!acquireIterator(out)) {
            return new Page(out, List.of());
          }
        } catch (InvalidArgumentException e) {
          if (position == null) {
            throw e;
          }
          throw new ConnectException(
              "Kinesis refuses the saved position of shard "
                  + shard.id()
                  + " of "
                  + config.stream()
                  + " ("
                  + position
                  + "): "
                  + e.getMessage()
                  + ". The stream was probably deleted and created again under the same name,"
                  + " or the offset was set by hand. Stop the connector and reset its offsets"
                  + " (DELETE /connectors/<name>/offsets) or PATCH this shard's offset",
              e);
        }
      }
      GetRecordsResponse response =
          kinesis.getRecords(
              r -> r.shardIterator(iterator).streamARN(stream.arn()).limit(config.batchSize()));
      long bytes = 0;
      int outsideShard = 0;
      for (Record record : response.records()) {
        bytes += record.data().asByteBuffer().remaining();
        Deaggregator.Unpacked unpacked = deaggregator.unpack(shard, record, position);
        out.addAll(unpacked.records());
        position = unpacked.position();
        outsideShard += unpacked.droppedOutsideShard();
      }
      if (outsideShard > 0) {
        metrics.subRecordsOutsideShard(outsideShard);
        log.info(
            "Shard {} of {}: dropped {} KPL user records whose hash keys lie outside the shard's"
                + " range {} (the KPL puts them again into their own shard; set {}=deliver for"
                + " aggregators that do not)",
            shard.id(),
            config.stream(),
            outsideShard,
            shard.hashKeys(),
            KinesisSourceConfig.OUTSIDE_SHARD);
      }
      if (response.millisBehindLatest() != null) {
        metrics.millisBehindLatest(shard.id(), response.millisBehindLatest());
      }
      iterator = response.nextShardIterator();
      if (iterator == null) {
        String last = position == null ? null : position.sequence();
        position = ShardPosition.end(last);
        out.add(new PositionedRecord.Marker(position, "SHARD_END"));
        log.info("Shard {} of {} read to its end", shard.id(), config.stream());
        succeeded(now, 0);
        return new Page(out, response.childShards());
      }
      // A full page says more may be waiting whatever MillisBehindLatest says (kinesalite always
      // says 0, and on AWS it is rounded): only a short page or an empty one means caught up.
      boolean fullPage = response.records().size() >= config.batchSize();
      boolean caughtUp =
          response.records().isEmpty()
              || (!fullPage
                  && response.millisBehindLatest() != null
                  && response.millisBehindLatest() == 0);
      succeeded(now, Math.max(caughtUp ? config.idleWait().toMillis() : 0, readPause(bytes)));
    } catch (ExpiredIteratorException e) {
      // Ask for a fresh iterator after the last sequence number delivered.
      log.info("Iterator of shard {} expired; resuming after {}", shard.id(), position);
      iterator = null;
      succeeded(now, 0);
    } catch (ProvisionedThroughputExceededException | LimitExceededException e) {
      backOff(now);
      log.debug("Throttled on shard {}; retrying at {}", shard.id(), nextCallAtMs);
    } catch (ResourceNotFoundException e) {
      throw new ConnectException(
          "Kinesis stream "
              + config.stream()
              + " or shard "
              + shard.id()
              + " no longer exists: "
              + e.getMessage(),
          e);
    } catch (KinesisException e) {
      if (isAuthFailure(e)) {
        throw new ConnectException(
            "Kinesis refused the credentials ("
                + (e.awsErrorDetails() == null
                    ? "HTTP " + e.statusCode()
                    : e.awsErrorDetails().errorCode())
                + "): check kinesis.access.key.id / kinesis.credentials.file / kinesis.role.arn",
            e);
      }
      backOff(now);
      log.warn("Kinesis error on shard {}, backing off: {}", shard.id(), e.getMessage());
    } catch (SdkClientException e) {
      backOff(now);
      log.warn("Could not reach Kinesis for shard {}, backing off: {}", shard.id(), e.getMessage());
    }
    return new Page(out, List.of());
  }

  /**
   * Gets the iterator reading starts or resumes with, adding the marker of a position it resolves
   * (LATEST); false if the shard has nothing to read (a closed shard started at LATEST).
   */
  private boolean acquireIterator(List<PositionedRecord> out) {
    GetShardIteratorRequest request;
    if (position != null) {
      request = resumeRequest();
    } else {
      var builder = iteratorRequest();
      StartPosition start = config.startPosition();
      if (child || start instanceof StartPosition.TrimHorizon) {
        request = builder.shardIteratorType(ShardIteratorType.TRIM_HORIZON).build();
      } else if (start instanceof StartPosition.AtTimestamp at) {
        request =
            builder
                .shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                .timestamp(at.timestamp())
                .build();
      } else if (shard.closed()) {
        // LATEST on a closed shard: nothing will ever come; it is finished.
        position = ShardPosition.end(null);
        out.add(new PositionedRecord.Marker(position, "SHARD_END (closed before start at LATEST)"));
        return false;
      } else {
        // Resolve LATEST to an instant and save it, so a restart reads what arrived meanwhile.
        Instant resolvedAt = Instant.now();
        request = builder.shardIteratorType(ShardIteratorType.LATEST).build();
        iterator = kinesis.getShardIterator(request).shardIterator();
        position = ShardPosition.latestAt(resolvedAt);
        out.add(new PositionedRecord.Marker(position, "LATEST resolved at " + resolvedAt));
        return true;
      }
    }
    iterator = kinesis.getShardIterator(request).shardIterator();
    return true;
  }

  /** A GetShardIterator request for this shard, naming the stream by name and, if given, ARN. */
  private GetShardIteratorRequest.Builder iteratorRequest() {
    return GetShardIteratorRequest.builder()
        .streamName(stream.name())
        .streamARN(stream.arn())
        .shardId(shard.id());
  }

  /**
   * The GetShardIterator request that resumes from the saved position: AT the sequence number of an
   * aggregate that was only partly delivered (its delivered sub-records are then skipped),
   * otherwise AFTER the last delivered sequence number.
   */
  private GetShardIteratorRequest resumeRequest() {
    var request = iteratorRequest();
    if (position.insideAggregate()) {
      return request
          .shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
          .startingSequenceNumber(position.sequence())
          .build();
    }
    if (position.sequence() != null) {
      return request
          .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
          .startingSequenceNumber(position.sequence())
          .build();
    }
    return request
        .shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
        .timestamp(position.latestResolvedAt())
        .build();
  }

  private static boolean isAuthFailure(KinesisException e) {
    String code =
        e.awsErrorDetails() == null ? "" : String.valueOf(e.awsErrorDetails().errorCode());
    return e.statusCode() == 403
        || code.equals("UnrecognizedClientException")
        || code.equals("AccessDeniedException")
        || code.equals("InvalidSignatureException")
        || code.equals("ExpiredTokenException");
  }

  /** Schedules the next call after a failure: the call interval, then the jittered backoff. */
  private void backOff(long nowMs) {
    nextCallAtMs = nowMs + MIN_CALL_INTERVAL_MS + backoff.failed().orElseThrow();
  }

  /**
   * How long to wait after a call that returned {@code bytes}, so the shard is read at no more than
   * 2 MiB/s: a call that returned 10 MB is, as Kinesis demands, followed by 5 s without one.
   */
  static long readPause(long bytes) {
    return bytes * 1000 / MAX_READ_BYTES_PER_SECOND;
  }

  private void succeeded(long nowMs, long waitMs) {
    backoff.succeeded();
    nextCallAtMs = nowMs + Math.max(MIN_CALL_INTERVAL_MS, waitMs);
  }
}
