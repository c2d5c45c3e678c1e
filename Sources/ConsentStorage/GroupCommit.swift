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
/// Writes keep their order (the ledger numbers choices in arrival order), and a write that is
/// refused fails alone, never its neighbours. A batch of choices alone is checked before it is
/// appended (known members, keys used before), so refusals are ordinary outcomes and it runs
/// without savepoints; should the database refuse anything anyway, that attempt is rolled
/// back and the batch runs again carefully: each write under a savepoint, choices set by set
/// (``SQLConsentStore/appendChoices``), a set that fails as a whole retried write by write. A
/// batch with other steps runs carefully from the start. When the transaction itself fails,
/// every write in it fails: none was acknowledged. Choices that ask for their member's facts
/// get them from one read of the whole batch: on a ``SQLDriver/remote`` database inside the
/// transaction for short histories, else after the commit, while the next batch commits.
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

    /// Commits batches until the queue is empty. On a ``SQLDriver/remote`` database the next
    /// batch is taken as soon as this one's statements have all run, and begins while this
    /// one's commit is on its way: its read of the audit head waits in the database for that
    /// commit, so batches still commit in the order they were taken, and one member's writes
    /// stay in order.
    private func drain() async {
        while let batch = takeBatch() {
            if driver.remote {
                let ready = Ready()
                Task { await self.commit(batch, ready: ready) }
                await ready.wait()
            } else {
                await commit(batch, ready: nil)
            }
        }
    }

    /// Commits `batch` and answers each of its writes; `ready` is signalled once the batch's
    /// statements have all run (or it failed).
    private func commit(_ batch: [Waiting], ready: Ready?) async {
        defer { ready?.signal() }
        let works = batch.map { $0.work }
        let outcomes: [Result<any Sendable, any Error>]
        do {
            outcomes = try await commit(works, at: now(), ready: ready)
        } catch {
            for waiting in batch { waiting.continuation.resume(throwing: error) }
            return
        }
        // On a remote database the short histories were read in the transaction; the others
        // are read here.
        let asking = Self.choicesAskingForFacts(works, outcomes)
        guard !asking.isEmpty else {
            for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(with: outcome) }
            return
        }
        // The facts are read after the commit, outside the writer's transaction: the next
        // batch commits meanwhile.
        let driver = driver
        Task {
            let members = Self.members(of: asking, in: works)
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

    /// Commits `works` in one transaction; one outcome per work.
    ///
    /// Choices alone are first tried without savepoints, their reads sent with the audit
    /// head's (on PostgreSQL that is three round trips for the whole batch: the reads, the
    /// appends, the commit), because the checks before them (known member, key used before)
    /// leave the database nothing to refuse. If it refuses anyway, that attempt was rolled back
    /// before its commit, so nothing of it was kept, and the batch runs again write by write
    /// under savepoints. A batch with other steps runs that way from the start: a step's
    /// refusal is an ordinary outcome.
    private func commit(_ works: [Work], at instant: Date, ready: Ready?) async throws -> [Result<any Sendable, any Error>] {
        var careful = !works.allSatisfy { if case .choice = $0 { true } else { false } }
        while true {
            let refused = Mutex(false)
            do {
                return try await driver.write { [careful] db in
                    do {
                        // A careful run reads no facts: it must not fail for a read (they are
                        // read after the commit instead, where a failed read fails no write).
                        let outcomes = try Self.run(works, db, at: instant, careful: careful, readingFacts: self.driver.remote && !careful)
                        try db.flush()
                        // Only the commit is left: the next batch may begin.
                        ready?.signal()
                        return outcomes
                    } catch {
                        // Thrown before the commit: the driver rolls back.
                        refused.withLock { $0 = true }
                        throw error
                    }
                }
            } catch where !careful && refused.withLock({ $0 }) {
                careful = true
            }
        }
    }

    /// The members of the choices at `positions`.
    private static func members(of positions: Set<Int>, in works: [Work]) -> [MemberID] {
        positions.map { index -> MemberID in
            guard case .choice(let write) = works[index] else { preconditionFailure("position \(index) is not a choice") }
            return write.event.member
        }
    }

    /// The positions of the choices that were recorded and asked for their member's facts, and
    /// have none yet.
    private static func choicesAskingForFacts(_ works: [Work], _ outcomes: [Result<any Sendable, any Error>]) -> Set<Int> {
        Set(works.indices.filter { index in
            guard case .choice(let write) = works[index], write.readFacts, case .success(let recorded as RecordedChoice) = outcomes[index],
                  recorded.facts == nil else { return false }
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

    /// Runs `works` in order in the caller's transaction; one outcome per work. Unless
    /// `careful`, no write is isolated from the others: a failure throws for all of them.
    /// With `readingFacts`, the facts of the members whose choices ask for them are read last,
    /// sent with the transaction's last statements: those with a short history
    /// (``SQLConsentStore/factsInWriteLimit``), since the transaction holds the audit head's
    /// lock; the others are read after the commit.
    private static func run(_ works: [Work], _ db: Driver.Connection, at instant: Date, careful: Bool,
                            readingFacts: Bool) throws -> [Result<any Sendable, any Error>] {
        // The first choices' reads go out with the head's.
        let leading = works.prefix { if case .choice = $0 { true } else { false } }.map { work -> ChoiceWrite in
            guard case .choice(let write) = work else { preconditionFailure() }
            return write
        }
        let reads = ChoiceReads(leading, now: Timestamp.microseconds(instant))
        let begun = try AuditTrail.begin(db, at: instant, reading: leading.isEmpty ? [] : reads.statements)
        var trail = begun.trail
        var found: ChoiceReads.Found? = leading.isEmpty ? nil : try reads.values(begun.rows)
        // Alone in its transaction, a write needs no savepoint: a refusal rolls everything back.
        let shared = works.count > 1 && careful
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
                outcomes += try choices(run, db, &trail, shared: shared, found: found)
                found = nil
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
        if readingFacts { try readFacts(works, &outcomes, db) }
        return outcomes
    }

    /// Adds their member's facts to the recorded choices that ask for them.
    private static func readFacts(_ works: [Work], _ outcomes: inout [Result<any Sendable, any Error>], _ db: Driver.Connection) throws {
        let asking = choicesAskingForFacts(works, outcomes)
        guard !asking.isEmpty else { return }
        let members = members(of: asking, in: works)
        let facts = try SQLConsentStore<Driver>.facts(of: members, upToChoices: SQLConsentStore<Driver>.factsInWriteLimit, db)
        for index in asking {
            guard case .success(var recorded as RecordedChoice) = outcomes[index] else { continue }
            recorded.facts = facts[recorded.event.member]
            outcomes[index] = .success(recorded)
        }
    }

    /// `found`: what the run's ``ChoiceReads`` found, when it was read with the head's.
    private static func choices(_ run: [ChoiceWrite], _ db: Driver.Connection, _ trail: inout AuditTrail,
                                shared: Bool, found: ChoiceReads.Found? = nil) throws -> [Result<any Sendable, any Error>] {
        func widen(_ outcomes: [Result<RecordedChoice, ConsentError>]) -> [Result<any Sendable, any Error>] {
            outcomes.map { outcome in outcome.map { $0 as any Sendable }.mapError { $0 as any Error } }
        }
        guard shared else { return widen(try SQLConsentStore<Driver>.appendChoices(run, db, trail: &trail, found: found)) }
        switch try isolated(db, &trail, { db, trail in try SQLConsentStore<Driver>.appendChoices(run, db, trail: &trail, found: found) }) {
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

/// Signalled once; ``wait()`` returns when it has been (at once if it already was).
private final class Ready: Sendable {
    private let state = Mutex<(signalled: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.signalled else { return nil }
            state.signalled = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.signalled { return true }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}
