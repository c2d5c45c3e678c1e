import ConsentCore
import Foundation
import Synchronization

/// Gathers concurrent writes into one transaction and one fsync.
///
/// A disk fsyncs a few thousand times a second, so a transaction per write caps durable writes
/// there, however fast the code. Here a write waits in a queue; one writer at a time takes
/// everything queued (up to ``maxBatch``) and commits it as one transaction, and every write in
/// it is acknowledged once that transaction is durable. While one commit is on its way to the
/// disk, the next batch gathers: a lone write is committed at once, and a burst shares fsyncs.
///
/// Writes keep their order (the ledger numbers choices in arrival order). Each runs under a
/// savepoint when it shares the transaction, so a write that is refused rolls back alone and
/// fails alone, never its neighbours; choices run set by set (``SQLConsentStore/appendChoices``),
/// and a set that fails as a whole is retried write by write. When the transaction itself
/// fails, every write in it fails: none was acknowledged. Choices that ask for their member's
/// facts get them from one read of the whole batch after the commit, while the next batch
/// commits.
final class GroupCommit<Driver: SQLDriver>: Sendable {
    /// A write that runs in a shared transaction: its statements, and its audit entries on the trail.
    typealias Step = @Sendable (Driver.Connection, inout AuditTrail) throws -> any Sendable

    enum Work: Sendable {
        case choice(ChoiceWrite)
        case step(Step)
    }

    /// The most writes one transaction takes.
    static var maxBatch: Int { 1_000 }

    private struct Waiting: Sendable {
        let work: Work
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private struct Queue: Sendable {
        var waiting: [Waiting] = []
        var committing = false
    }

    private let driver: Driver
    private let now: @Sendable () -> Date
    private let queue = Mutex(Queue())

    init(driver: Driver, now: @escaping @Sendable () -> Date) {
        self.driver = driver
        self.now = now
    }

    /// Appends a choice; returns it as stored, or as first recorded for a key used before.
    func record(_ write: ChoiceWrite) async throws -> RecordedChoice {
        try await submit(.choice(write)) as! RecordedChoice
    }

    /// Runs `step` in the next shared transaction; returns once that transaction is durable.
    func run<T: Sendable>(_ step: @escaping @Sendable (Driver.Connection, inout AuditTrail) throws -> T) async throws -> T {
        try await submit(.step { db, trail in try step(db, &trail) }) as! T
    }

    private func submit(_ work: Work) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { continuation in
            let leads = queue.withLock { queue in
                queue.waiting.append(Waiting(work: work, continuation: continuation))
                guard !queue.committing else { return false }
                queue.committing = true
                return true
            }
            if leads { Task { await self.drain() } }
        }
    }

    /// Commits batches until the queue is empty.
    private func drain() async {
        while let batch = takeBatch() {
            let works = batch.map(\.work)
            let instant = now()
            let outcomes: [Result<any Sendable, any Error>]
            do {
                outcomes = try await driver.write { db in
                    let outcomes = try Self.run(works, db, at: instant)
                    try db.flush()
                    return outcomes
                }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
                continue
            }
            let asking = Self.choicesAskingForFacts(works, outcomes)
            guard !asking.isEmpty else {
                for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(with: outcome) }
                continue
            }
            // The facts are read after the commit, outside the writer's transaction (on
            // PostgreSQL, outside the head's lock): the next batch commits meanwhile.
            let driver = driver
            Task {
                let members = asking.map { index -> MemberID in
                    guard case .choice(let write) = works[index] else { preconditionFailure() }
                    return write.event.member
                }
                // Without them the write still succeeded: the caller reads the facts itself.
                let facts = try? await driver.read { db in
                    try SQLConsentStore<Driver>.facts(of: members, upToChoices: SQLConsentStore<Driver>.factsAfterWriteLimit, db)
                }
                for (index, waiting) in batch.enumerated() {
                    guard asking.contains(index), case .success(var recorded as RecordedChoice) = outcomes[index],
                          case .choice(let write) = works[index] else {
                        waiting.continuation.resume(with: outcomes[index])
                        continue
                    }
                    recorded.facts = facts?[write.event.member]
                    waiting.continuation.resume(returning: recorded)
                }
            }
        }
    }

    /// The positions of the choices that were recorded and asked for their member's facts.
    private static func choicesAskingForFacts(_ works: [Work], _ outcomes: [Result<any Sendable, any Error>]) -> Set<Int> {
        Set(works.indices.filter { index in
            guard case .choice(let write) = works[index], write.readFacts, case .success = outcomes[index] else { return false }
            return true
        })
    }

    private func takeBatch() -> [Waiting]? {
        queue.withLock { queue in
            guard !queue.waiting.isEmpty else {
                queue.committing = false
                return nil
            }
            let batch = Array(queue.waiting.prefix(Self.maxBatch))
            queue.waiting.removeFirst(batch.count)
            return batch
        }
    }

    /// Runs `works` in order in the caller's transaction; one outcome per work.
    private static func run(_ works: [Work], _ db: Driver.Connection, at instant: Date) throws -> [Result<any Sendable, any Error>] {
        var trail = try AuditTrail.begin(db, at: instant)
        // Alone in its transaction, a write needs no savepoint: a refusal rolls everything back.
        let shared = works.count > 1
        var outcomes: [Result<any Sendable, any Error>] = []
        outcomes.reserveCapacity(works.count)
        var index = 0
        while index < works.count {
            switch works[index] {
            case .choice:
                var run: [ChoiceWrite] = []
                while index < works.count, case .choice(let write) = works[index] {
                    run.append(write)
                    index += 1
                }
                outcomes += try choices(run, db, &trail, shared: shared)
            case .step(let step):
                if shared {
                    outcomes.append(try isolated(db, &trail, step))
                } else {
                    outcomes.append(.success(try step(db, &trail)))
                }
                index += 1
            }
        }
        try trail.finish(db)
        return outcomes
    }

    private static func choices(_ run: [ChoiceWrite], _ db: Driver.Connection, _ trail: inout AuditTrail,
                                shared: Bool) throws -> [Result<any Sendable, any Error>] {
        func widen(_ outcomes: [Result<RecordedChoice, ConsentError>]) -> [Result<any Sendable, any Error>] {
            outcomes.map { outcome in outcome.map { $0 as any Sendable }.mapError { $0 as any Error } }
        }
        guard shared else { return widen(try SQLConsentStore<Driver>.appendChoices(run, db, trail: &trail)) }
        switch try isolated(db, &trail, { db, trail in try SQLConsentStore<Driver>.appendChoices(run, db, trail: &trail) }) {
        case .success(let outcomes):
            return widen(outcomes)
        case .failure where run.count > 1:
            // The database refused the set for a reason no check foresaw: each write alone, so
            // that only the one it concerns fails.
            return try run.flatMap { write in try choices([write], db, &trail, shared: true) }
        case .failure(let error):
            return [.failure(error)]
        }
    }

    /// Runs `body` under a savepoint: when it throws, its statements and its audit entries are
    /// rolled back, and only its outcome is the failure.
    private static func isolated<T>(_ db: Driver.Connection, _ trail: inout AuditTrail,
                                    _ body: (Driver.Connection, inout AuditTrail) throws -> T) throws -> Result<T, any Error> {
        try db.send("SAVEPOINT grouped_write")
        let before = trail
        do {
            let value = try body(db, &trail)
            try trail.flush(db)
            try db.send("RELEASE SAVEPOINT grouped_write")
            // Everything this write sent has run before it is called a success.
            try db.flush()
            return .success(value)
        } catch {
            try? db.flush()
            try db.execute("ROLLBACK TO SAVEPOINT grouped_write")
            try db.execute("RELEASE SAVEPOINT grouped_write")
            trail = before
            return .failure(error)
        }
    }
}
