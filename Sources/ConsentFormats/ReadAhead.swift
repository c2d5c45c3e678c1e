import Foundation

/// Prepares the elements of a sequence on a second thread while the caller consumes them, in
/// order, at most `depth` batches ahead (bounded memory).
///
/// Imports use it so that reading, parsing and digesting lines overlaps with the one thread
/// that may write to the database.
public enum ReadAhead {
    /// Runs `prepare` over `source` on a new thread and `consume` on this one. If `consume`
    /// throws, the producer is stopped and joined before the error is rethrown.
    public static func run<Source: Sequence, Prepared: Sendable>(
        _ source: Source, batchSize: Int = 256, depth: Int = 16,
        prepare: @escaping (Source.Element) -> Prepared,
        consume: (Prepared) throws -> Void
    ) throws {
        let batches = ReadAheadBatches(source, batchSize: batchSize, depth: depth, makeBatch: { [Prepared]() }) { batch, element in
            batch.append(prepare(element))
        }
        defer { batches.cancel() }
        while let batch = batches.take() {
            for item in batch { try consume(item) }
        }
    }
}

/// Batches prepared on a second thread for a consumer, in order, at most `depth` batches ahead
/// (bounded memory). The consumer takes them with ``next()`` (async) or ``take()`` (blocking).
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

    /// The next batch, blocking this thread until it is ready; nil after the last, and after
    /// ``cancel()``.
    public func take() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !finished && !cancelled { condition.wait() }
        guard !cancelled, !ready.isEmpty else { return nil }
        let batch = ready.removeFirst()
        condition.broadcast()
        return batch
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
            condition.broadcast()
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
