import Foundation

/// Batches handed from a producer to a consumer, in order, at most `depth` batches ahead
/// (bounded memory). The consumer takes them with ``next()`` (async) or ``take()`` (blocking).
///
/// Imports use it with a producer thread over a sequence (``init(_:batchSize:depth:makeBatch:add:)``):
/// parsing and digesting run there while the connection writes the previous batch; a member
/// import on SQLite adds a second stage (``then(depth:_:)``), so that digesting runs on a thread
/// of its own and parsing and digesting share the core the writer leaves free. Reads of a
/// whole table use it the other way round (``init(depth:)``): the database's thread ``put(_:)``s
/// rows and the caller's task consumes them, so the caller's code never runs inside a database
/// closure. Call ``cancel()`` when the consumer stops early (it stops the producer and waits for
/// it to ``finish()``).
public final class ReadAheadBatches<Batch: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [Batch] = []
    private var waiting: CheckedContinuation<Batch?, Never>?
    private var finished = false
    private var cancelled = false
    private let depth: Int

    /// A queue for a producer of its own, which calls ``put(_:)`` and, once done, ``finish()``.
    public init(depth: Int = 4) {
        self.depth = depth
    }

    /// Starts the producer: it folds `batchSize` elements of `source` at a time into a batch
    /// made by `makeBatch`, with `add`, and calls `complete` on each batch before handing it
    /// over (on the producer's thread too).
    public convenience init<Source: Sequence & SendableMetatype>(_ source: Source, batchSize: Int, depth: Int = 4,
                                              makeBatch: @escaping () -> Batch,
                                              add: @escaping (inout Batch, Source.Element) -> Void,
                                              complete: @escaping (inout Batch) -> Void = { _ in }) {
        self.init(depth: depth)
        // The source and the closures move to the producer thread and are used only there.
        let producer = UncheckedProducer(source: source, makeBatch: makeBatch, add: add, complete: complete)
        let thread = Thread { [self] in
            defer { finish() }
            var batch = producer.makeBatch()
            var count = 0
            for element in producer.source {
                producer.add(&batch, element)
                count += 1
                if count == batchSize {
                    producer.complete(&batch)
                    guard put(batch) else { return }
                    batch = producer.makeBatch()
                    count = 0
                }
            }
            if count > 0 {
                producer.complete(&batch)
                _ = put(batch)
            }
        }
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// A second stage on a thread of its own: each batch, in order, goes through `transform`
    /// there while the producer makes the next, so that the two share the work. Cancelling the
    /// stage cancels this queue too, and waits for both threads.
    public func then<Next: Sendable>(depth: Int = 4, _ transform: @escaping (inout Batch) -> Next) -> ReadAheadBatches<Next> {
        let next = ReadAheadBatches<Next>(depth: depth)
        let stage = UncheckedStage(transform: transform)
        let thread = Thread { [self] in
            defer { next.finish() }
            while var batch = take() {
                guard next.put(stage.transform(&batch)) else {
                    cancel()
                    return
                }
            }
            // Cancelled from downstream while waiting here, or the producer is done.
            cancel()
        }
        thread.stackSize = 4 << 20
        thread.start()
        return next
    }

    private struct UncheckedStage<Next>: @unchecked Sendable {
        let transform: (inout Batch) -> Next
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

    /// Hands over a batch, waiting while `depth` batches wait; false once the consumer cancelled.
    public func put(_ batch: Batch) -> Bool {
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

    /// Says that no batch will follow (call it whether the producer succeeded or not).
    public func finish() {
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
        let complete: (inout Batch) -> Void
    }
}
