package io.pipelineconnect.kinesis;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.connect.errors.ConnectException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.HashKeyRange;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** Lists a stream's shards with ListShards, following NextToken pages. */
final class ShardLister {
  private ShardLister() {}

  static List<ShardInfo> list(KinesisClient kinesis, StreamRef stream) {
    List<ShardInfo> shards = new ArrayList<>();
    String nextToken = null;
    try {
      do {
        // With a NextToken, ListShards takes no stream name (nor ARN, as KCL sends it).
        ListShardsRequest request =
            nextToken == null
                ? ListShardsRequest.builder()
                    .streamName(stream.name())
                    .streamARN(stream.arn())
                    .build()
                : ListShardsRequest.builder().nextToken(nextToken).build();
        ListShardsResponse response = kinesis.listShards(request);
        for (Shard shard : response.shards()) {
          shards.add(toInfo(shard));
        }
        nextToken = response.nextToken();
      } while (nextToken != null);
    } catch (ResourceNotFoundException e) {
      throw new ConnectException(
          "Kinesis stream "
              + stream
              + " does not exist (or is not visible with these credentials in this region): "
              + e.awsErrorDetails().errorMessage(),
          e);
    }
    return shards;
  }

  /**
   * When the stream was created, in epoch ms (DescribeStreamSummary); null if the credentials may
   * not describe it (then a recreated stream is told only by a sequence number Kinesis refuses).
   */
  static Long createdAt(KinesisClient kinesis, StreamRef stream) {
    try {
      var summary =
          kinesis.describeStreamSummary(r -> r.streamName(stream.name()).streamARN(stream.arn()));
      var created = summary.streamDescriptionSummary().streamCreationTimestamp();
      return created == null ? null : created.toEpochMilli();
    } catch (ResourceNotFoundException e) {
      throw new ConnectException(
          "Kinesis stream " + stream + " does not exist: " + e.getMessage(), e);
    } catch (software.amazon.awssdk.services.kinesis.model.KinesisException e) {
      if (e.statusCode() == 400 || e.statusCode() == 403) {
        return null; // e.g. AccessDeniedException: kinesis:DescribeStreamSummary not granted
      }
      throw e;
    }
  }

  static ShardInfo toInfo(Shard shard) {
    List<String> parents = new ArrayList<>();
    if (shard.parentShardId() != null) {
      parents.add(shard.parentShardId());
    }
    if (shard.adjacentParentShardId() != null) {
      parents.add(shard.adjacentParentShardId());
    }
    boolean closed =
        shard.sequenceNumberRange() != null
            && shard.sequenceNumberRange().endingSequenceNumber() != null;
    return new ShardInfo(shard.shardId(), parents, closed, hashKeys(shard.hashKeyRange()));
  }

  /**
   * A child shard GetRecords named at a parent's SHARD_END, taken as open: GetRecords does not say,
   * and a child starts at TRIM_HORIZON, where being closed changes nothing.
   */
  static ShardInfo toInfo(ChildShard child) {
    return new ShardInfo(
        child.shardId(), child.parentShards(), false, hashKeys(child.hashKeyRange()));
  }

  private static ShardInfo.HashKeyRange hashKeys(HashKeyRange range) {
    return range == null
        ? null
        : ShardInfo.HashKeyRange.of(range.startingHashKey(), range.endingHashKey());
  }
}
