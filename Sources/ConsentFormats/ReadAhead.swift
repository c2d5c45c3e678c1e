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
    private var finished = false
    private var cancelled = false
    private let depth: Int

    init(depth: Int) { self.depth = depth }

    /// Blocks while full; false when the consumer has gone.
    func put(_ batch: [Element]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= depth && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        batches.append(batch)
        condition.broadcast()
        return true
    }

    /// Blocks while empty; nil once the producer has finished and everything was taken.
    func take() -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !finished { condition.wait() }
        guard !batches.isEmpty else { return nil }
        // At most `depth` batches wait: removing the first is cheap, and frees it.
        let batch = batches.removeFirst()
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

/// Batches prepared on a second thread for an async consumer, in order, at most `depth`
/// batches ahead (bounded memory).
///
/// The PostgreSQL store's imports use it: parsing, digesting and encoding rows run on the new
/// thread while the task that owns the connection streams the previous batches to the server.
/// Call ``cancel()`` when the consumer stops early (it stops and joins the producer).
public final class ReadAheadBatches<Batch: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [Batch] = []
    private var waiting: CheckedContinuation<Batch?, Never>?
    private var finished = false
    private var cancelled = false
    private let depth: Int

    /// Starts the producer: it folds `batchSize` elements of `source` at a time into a batch
    /// made by `makeBatch`, with `add`.
    public init<Source: Sequence>(_ source: Source, batchSize: Int, depth: Int = 4,
                                  makeBatch: @escaping () -> Batch,
                                  add: @escaping (inout Batch, Source.Element) -> Void) {
        self.depth = depth
        // The source and the closures move to the producer thread and are used only there.
        let producer = UncheckedProducer(source: source, makeBatch: makeBatch, add: add)
        let thread = Thread { [self] in
            defer { finish() }
            var batch = producer.makeBatch()
            var count = 0
            for element in producer.source {
                producer.add(&batch, element)
                count += 1
                if count == batchSize {
                    guard put(batch) else { return }
                    batch = producer.makeBatch()
                    count = 0
                }
            }
            if count > 0 { _ = put(batch) }
        }
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// The next batch, waiting for it without blocking a thread; nil after the last, and after
    /// ``cancel()``.
    public func next() async -> Batch? {
        await withCheckedContinuation { continuation in
            condition.lock()
            if cancelled {
                condition.unlock()
                continuation.resume(returning: nil)
            } else if !ready.isEmpty {
                // At most `depth` batches wait: removing the first is cheap.
                let batch = ready.removeFirst()
                condition.broadcast()
                condition.unlock()
                continuation.resume(returning: batch)
            } else if finished {
                condition.unlock()
                continuation.resume(returning: nil)
            } else {
                waiting = continuation
                condition.unlock()
            }
        }
    }

    /// Stops the producer and waits until its thread has let go of the source.
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func put(_ batch: Batch) -> Bool {
        condition.lock()
        while ready.count >= depth && !cancelled { condition.wait() }
        guard !cancelled else {
            condition.unlock()
            return false
        }
        if let waiting {
            self.waiting = nil
            condition.unlock()
            waiting.resume(returning: batch)
        } else {
            ready.append(batch)
            condition.unlock()
        }
        return true
    }

    private func finish() {
        condition.lock()
        finished = true
        let waiting = self.waiting
        self.waiting = nil
        condition.broadcast()
        condition.unlock()
        waiting?.resume(returning: nil)
    }

    private struct UncheckedProducer<Source: Sequence>: @unchecked Sendable {
        let source: Source
        let makeBatch: () -> Batch
        let add: (inout Batch, Source.Element) -> Void
    }
}
