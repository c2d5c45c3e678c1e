import Foundation

/// Prepares the elements of a sequence on a second thread while the caller consumes them, in
/// order, at most `depth` batches ahead (bounded memory).
///
/// Imports use it so that reading, parsing and digesting lines overlaps with the one thread
/// that may write to the database.
public enum ReadAhead {
    /// Runs `prepare` over `source` on a new thread and `consume` on this one. If `consume`
    /// throws, the producer is stopped and joined before the error is rethrown.
    public static func run<Source: Sequence, Prepared>(
        _ source: Source, batchSize: Int = 256, depth: Int = 16,
        prepare: @escaping (Source.Element) -> Prepared,
        consume: (Prepared) throws -> Void
    ) throws {
        let channel = BatchChannel<Prepared>(depth: depth)
        // The source and `prepare` move to the producer thread and are used only there.
        let producer = Producer(source: source, prepare: prepare, channel: channel, batchSize: batchSize)
        let thread = Thread { producer.run() }
        thread.stackSize = 4 << 20
        thread.start()
        defer {
            channel.cancel()
            channel.waitUntilProducerIsDone()
        }
        while let batch = channel.take() {
            for item in batch { try consume(item) }
        }
    }

    private final class Producer<Source: Sequence, Prepared>: @unchecked Sendable {
        let source: Source
        let prepare: (Source.Element) -> Prepared
        let channel: BatchChannel<Prepared>
        let batchSize: Int

        init(source: Source, prepare: @escaping (Source.Element) -> Prepared, channel: BatchChannel<Prepared>, batchSize: Int) {
            self.source = source
            self.prepare = prepare
            self.channel = channel
            self.batchSize = batchSize
        }

        func run() {
            defer { channel.finish() }
            var batch: [Prepared] = []
            batch.reserveCapacity(batchSize)
            for element in source {
                batch.append(prepare(element))
                if batch.count == batchSize {
                    guard channel.put(batch) else { return }
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { _ = channel.put(batch) }
        }
    }
}

/// A bounded FIFO of batches between one producer and one consumer.
final class BatchChannel<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [[Element]] = []
    private var head = 0
    private var finished = false
    private var cancelled = false
    private let depth: Int

    init(depth: Int) { self.depth = depth }

    /// Blocks while full; false when the consumer has gone.
    func put(_ batch: [Element]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while batches.count - head >= depth && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        batches.append(batch)
        condition.broadcast()
        return true
    }

    /// Blocks while empty; nil once the producer has finished and everything was taken.
    func take() -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while head == batches.count && !finished { condition.wait() }
        guard head < batches.count else { return nil }
        let batch = batches[head]
        head += 1
        if head > 64 && head * 2 > batches.count {
            batches.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return batch
    }

    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    func waitUntilProducerIsDone() {
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
