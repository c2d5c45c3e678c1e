import ConsentFormats
import Foundation
import Testing

/// The blocking consumer (`take()`), as imports use it.
struct ReadAheadTests {
    @Test func everyElementArrivesPreparedAndInOrder() throws {
        let batches = ReadAheadBatches(0..<10_000, batchSize: 7, depth: 3, makeBatch: { [Int]() }) { batch, value in batch.append(value * 2) }
        defer { batches.cancel() }
        var seen: [Int] = []
        while let batch = batches.take() { seen += batch }
        #expect(seen == Array(0..<10_000).map { $0 * 2 })
    }

    @Test func aConsumerThatStopsStopsTheProducer() {
        let produced = Counter()
        let batches = ReadAheadBatches(0..<1_000_000, batchSize: 10, depth: 2, makeBatch: { [Int]() }) { batch, value in
            produced.increment()
            batch.append(value)
        }
        var consumed = 0
        consuming: while let batch = batches.take() {
            for value in batch {
                consumed += 1
                if value == 25 { break consuming }
            }
        }
        batches.cancel()
        #expect(consumed == 26)
        // The producer stopped soon after: at most the batches that fit in the channel, plus one in hand.
        #expect(produced.value < 100, "produced \(produced.value)")
    }

    @Test func aSecondStageTransformsEveryBatchInOrder() throws {
        let parsed = ReadAheadBatches(0..<10_000, batchSize: 7, depth: 3, makeBatch: { [Int]() }) { batch, value in batch.append(value) }
        let stage = parsed.then(depth: 2) { batch in batch.map { $0 * 3 } }
        defer { stage.cancel() }
        var seen: [Int] = []
        while let batch = stage.take() { seen += batch }
        #expect(seen == Array(0..<10_000).map { $0 * 3 })
    }

    @Test func aConsumerThatStopsASecondStageStopsBothThreads() {
        let produced = Counter()
        let transformed = Counter()
        let parsed = ReadAheadBatches(0..<1_000_000, batchSize: 10, depth: 2, makeBatch: { [Int]() }) { batch, value in
            produced.increment()
            batch.append(value)
        }
        let stage = parsed.then(depth: 2) { batch in
            transformed.increment()
            return batch
        }
        #expect(stage.take() == Array(0..<10))
        stage.cancel()
        // Both threads have let go: nothing more is produced or transformed after cancel returns.
        let (producedThen, transformedThen) = (produced.value, transformed.value)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(produced.value == producedThen && transformed.value == transformedThen)
        // Each queue holds at most `depth` batches, and each thread one in hand.
        #expect(producedThen <= 10 * 8, "produced \(producedThen)")
        #expect(stage.take() == nil)
    }

    @Test func anEmptySourceFinishesAtOnce() throws {
        let batches = ReadAheadBatches([Int](), batchSize: 7, makeBatch: { [Int]() }) { batch, value in batch.append(value) }
        defer { batches.cancel() }
        #expect(batches.take() == nil)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

struct ReadAheadBatchesTests {
    @Test func everyElementArrivesInOrderInBatches() async {
        let batches = ReadAheadBatches(0..<10_007, batchSize: 100, depth: 2, makeBatch: { [Int]() }) { batch, value in batch.append(value * 2) }
        defer { batches.cancel() }
        var seen: [Int] = []
        var sizes: [Int] = []
        while let batch = await batches.next() {
            seen += batch
            sizes.append(batch.count)
        }
        #expect(seen == Array(0..<10_007).map { $0 * 2 })
        #expect(sizes.count == 101 && sizes.dropLast().allSatisfy { $0 == 100 } && sizes.last == 7)
    }

    @Test func cancellingStopsTheProducerWithinTheBound() async {
        let produced = Counter()
        let batches = ReadAheadBatches(0..<1_000_000, batchSize: 10, depth: 2, makeBatch: { 0 }) { sum, value in
            produced.increment()
            sum += value
        }
        _ = await batches.next()
        batches.cancel()
        // One batch taken, at most `depth` waiting, one in hand when the producer saw the cancellation.
        #expect(produced.value <= 10 * 4, "produced \(produced.value)")
        #expect(await batches.next() == nil)
    }
}
