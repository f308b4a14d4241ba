package io.pipelineconnect.kinesis;

import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;

/**
 * A scripted Kinesis for the paths kinesalite cannot produce: throttling, expired iterators, paged
 * ListShards, errors. Each call takes the next scripted answer (or throws it).
 */
final class FakeKinesis implements KinesisClient {
  // Concurrent: the task's fetcher thread calls while the test scripts and checks.
  final Deque<Supplier<GetRecordsResponse>> getRecords = new ConcurrentLinkedDeque<>();
  final Deque<Supplier<ListShardsResponse>> listShards = new ConcurrentLinkedDeque<>();
  final List<GetShardIteratorRequest> iteratorRequests = new CopyOnWriteArrayList<>();
  final List<GetRecordsRequest> recordsRequests = new CopyOnWriteArrayList<>();
  final List<ListShardsRequest> listRequests = new CopyOnWriteArrayList<>();
  private final AtomicInteger iterators = new AtomicInteger();

  /** Thrown by every GetShardIterator call while set. */
  volatile RuntimeException iteratorFailure;

  @Override
  public GetShardIteratorResponse getShardIterator(GetShardIteratorRequest request) {
    iteratorRequests.add(request);
    if (iteratorFailure != null) {
      throw iteratorFailure;
    }
    return GetShardIteratorResponse.builder()
        .shardIterator("iterator-" + iterators.incrementAndGet())
        .build();
  }

  @Override
  public GetRecordsResponse getRecords(GetRecordsRequest request) {
    recordsRequests.add(request);
    Supplier<GetRecordsResponse> next = getRecords.poll();
    if (next == null) {
      return GetRecordsResponse.builder().nextShardIterator("idle").millisBehindLatest(0L).build();
    }
    return next.get();
  }

  @Override
  public ListShardsResponse listShards(ListShardsRequest request) {
    listRequests.add(request);
    return listShards.remove().get();
  }

  @Override
  public String serviceName() {
    return "kinesis";
  }

  @Override
  public void close() {}
}
