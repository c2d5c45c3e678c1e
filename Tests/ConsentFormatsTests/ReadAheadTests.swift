import ConsentFormats
import Foundation
import Testing

struct ReadAheadTests {
    @Test func everyElementArrivesPreparedAndInOrder() throws {
        var seen: [Int] = []
        try ReadAhead.run(0..<10_000, batchSize: 7, depth: 3, prepare: { $0 * 2 }, consume: { seen.append($0) })
        #expect(seen == Array(0..<10_000).map { $0 * 2 })
    }

    @Test func aFailingConsumerStopsTheProducerAndRethrows() {
        struct Stop: Error {}
        let produced = Counter()
        var consumed = 0
        #expect(throws: Stop.self) {
            try ReadAhead.run(0..<1_000_000, batchSize: 10, depth: 2, prepare: { value -> Int in produced.increment(); return value },
                              consume: { value in
                consumed += 1
                if value == 25 { throw Stop() }
            })
        }
        #expect(consumed == 26)
        // The producer stopped soon after: at most the batches that fit in the channel, plus one in hand.
        #expect(produced.value < 100, "produced \(produced.value)")
    }

    @Test func anEmptySourceFinishesAtOnce() throws {
        var consumed = 0
        try ReadAhead.run([Int](), prepare: { $0 }, consume: { _ in consumed += 1 })
        #expect(consumed == 0)
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
