import Foundation
import Synchronization
import Testing
@testable import TrainingGate

/// The pipeline under the filter: blocks judged by several threads, consumed in input order,
/// one at a time, whichever thread consumes them.
@Suite struct OrderedPipelineTests {
    /// Blocks of one byte each, numbered by their byte's position in `bytes`.
    final class Numbered: BlockSource {
        let bytes: UnsafeMutablePointer<UInt8>
        let count: Int
        var position = 0

        init(_ count: Int) {
            self.count = count
            bytes = .allocate(capacity: count)
            bytes.initialize(repeating: 0, count: count)
        }

        deinit { bytes.deallocate() }

        func next() throws -> Block? {
            guard position < count else { return nil }
            defer { position += 1 }
            return Block(base: bytes + position, count: 1, owner: nil)
        }

        func index(of block: Block) -> Int { bytes.distance(to: UnsafeMutablePointer(mutating: block.base)) }
    }

    struct Stop: Error, Equatable { let at: Int }

    /// Records what `consume` saw, and whether two calls ever overlapped.
    final class Consumed: @unchecked Sendable {
        let lock = NSLock()
        var order: [Int] = []
        var inside = 0
        var overlapped = false
    }

    func run(blocks: Int, workers: Int, stopAt: Int? = nil) throws -> Consumed {
        let source = Numbered(blocks)
        let consumed = Consumed()
        try OrderedPipeline.run(source: source, workers: workers, ahead: workers * 3, process: { _, block in
            // Uneven work, so that blocks finish out of order.
            let index = source.index(of: block)
            if index % 7 == 3 { usleep(200) }
            return index
        }, consume: { block, index in
            consumed.lock.withLock {
                consumed.inside += 1
                if consumed.inside > 1 { consumed.overlapped = true }
            }
            defer { consumed.lock.withLock { consumed.inside -= 1 } }
            #expect(source.index(of: block) == index)
            consumed.lock.withLock { consumed.order.append(index) }
            return index != stopAt
        })
        return consumed
    }

    @Test(arguments: [1, 2, 4])
    func everyBlockIsConsumedOnceInInputOrderOneAtATime(workers: Int) throws {
        let consumed = try run(blocks: 2_000, workers: workers)
        #expect(consumed.order == Array(0..<2_000))
        #expect(!consumed.overlapped)
    }

    @Test(arguments: [1, 2, 4])
    func consumeAnsweringFalseStopsTheRunThere(workers: Int) throws {
        let consumed = try run(blocks: 2_000, workers: workers, stopAt: 500)
        #expect(consumed.order == Array(0...500))
    }

    @Test(arguments: [1, 2, 4])
    func aFailureInConsumeIsThrownAndNothingAfterItIsConsumed(workers: Int) throws {
        let source = Numbered(2_000)
        let seen = Mutex<[Int]>([])
        #expect(throws: Stop(at: 700)) {
            try OrderedPipeline.run(source: source, workers: workers, ahead: workers * 3, process: { _, block in source.index(of: block) },
                                    consume: { _, index in
                seen.withLock { $0.append(index) }
                if index == 700 { throw Stop(at: index) }
                return true
            })
        }
        #expect(seen.withLock { $0 } == Array(0...700))
    }
}
