import ConsentCore
import Foundation
import Synchronization

/// What the server knows about one member: enough to decide and to show the history.
public struct MemberState: Sendable {
    public var member: Member
    /// In ledger (append) order.
    public private(set) var events: [ConsentEvent]
    public var objections: [Objection]
    /// `events` in decision order, kept in step so that reads never sort.
    public private(set) var history: ConsentHistory

    public init(member: Member, events: [ConsentEvent], objections: [Objection]) {
        self.member = member
        self.events = events
        self.objections = objections
        history = ConsentHistory(events)
    }

    /// Adds a stored event at its place in ledger order. The usual case, an event newer than
    /// every other, appends to both orders; one that arrives after a newer one (two writes
    /// acknowledged out of order) rebuilds the decision order.
    /// An event the state already holds (read from the store after it) is left as it is.
    mutating func insert(_ event: ConsentEvent) {
        guard let last = events.last, (last.sequence ?? 0) >= (event.sequence ?? 0) else {
            events.append(event)
            history.append(event)
            return
        }
        let position = events.firstIndex { ($0.sequence ?? 0) >= (event.sequence ?? 0) } ?? events.endIndex
        guard events[position].sequence != event.sequence else { return }
        events.insert(event, at: position)
        history = ConsentHistory(events)
    }

    public func decision(policy: Policy, at instant: Date) -> Decision {
        decide(member, history: history, objections: objections, policy: policy, at: instant)
    }

    /// The choice in force at `instant` (for "you turned this off on …"): the same one decisions use.
    public func latestChoice(at instant: Date, honoringGPC: Bool) -> ConsentHistory.Entry? {
        history.latest(at: instant, honoringGPC: honoringGPC)
    }
}

/// The in-memory view of current state that pages and GETs read, so that a read seldom touches
/// the store. It changes only after a write is durable in the store.
///
/// Another instance, the CLI, or a write in this process that does not pass through here may
/// change a member's facts too, and a stale "On" must not outlive an acknowledged "Off"
/// elsewhere by more than ``maxAge``. So the view follows the audit log, where every write of
/// facts appends its entries in its own transaction: at most every half ``maxAge`` while it is
/// used, it reads the entries appended since it last looked (``ConsentStore/factChanges(after:limit:)``)
/// and drops the state of every member one of them changed, except the entries of its own
/// choices, which it applied as they were acknowledged. A state is trusted while either its own
/// read or the last look at the log began less than ``maxAge`` ago; whatever that look cannot
/// account for (too many entries, an action this version does not know, the first look) drops
/// every state.
public actor MemberStates {
    let store: any ConsentStore
    /// How stale a state may be: how long one is trusted, counted from when its read, or the
    /// last look at the log, began.
    public static let maxAge: Duration = .milliseconds(500)
    /// The most audit entries one look at the log reads; more drops every state.
    let followLimit: Int
    private var cache: [MemberID: (state: MemberState, loadedAt: ContinuousClock.Instant)] = [:]
    /// Writes per member (here or found in the log), so that a load that raced one does not
    /// install stale state.
    private var writes: [MemberID: Int] = [:]
    /// Bumped when every state is dropped, for the same reason.
    private var epoch = 0
    /// How far the log has been followed: every entry up to `through` is applied or has dropped
    /// its member's state; `lookedAt` is when the read that got there began.
    private var followed: (through: Int64, lookedAt: ContinuousClock.Instant)?
    private var following = false
    /// Log entries of this view's own choices after `followed.through`: already applied.
    private var own: Set<Int64> = []
    /// States read from the store (a view that follows the log reads fewer).
    public private(set) var loads = 0
    private var policy: (version: PolicyVersion, loadedAt: ContinuousClock.Instant)?
    private var policyRead: Task<PolicyVersion, any Error>?

    let metrics: ServerMetrics
    /// Rendered `GET /api/v1/me/ai-training` bodies, read without a hop onto this actor.
    nonisolated let rendered = RenderedSettings()

    /// Choices per member (``RequestLimits/memberWrites``), nil: none.
    nonisolated let writeLimiter: RateLimiter?

    public init(store: any ConsentStore, metrics: ServerMetrics = ServerMetrics(), writeLimit: RateLimit? = nil,
                followLimit: Int = 20_000) {
        self.store = store
        self.metrics = metrics
        writeLimiter = writeLimit.map(RateLimiter.init)
        self.followLimit = followLimit
    }

    /// The member's state, from memory while it is fresh, else from the store; nil for an unknown member.
    public func state(of id: MemberID) async throws -> MemberState? {
        let started = ContinuousClock.now
        followIfDue(at: started)
        if let cached = cache[id], isFresh(cached.loadedAt, at: started) { return cached.state }
        let generation = (writes[id, default: 0], epoch)
        loads += 1
        guard let facts = try await store.facts(of: id) else { return nil }
        let state = MemberState(member: facts.member, events: facts.choices, objections: facts.objections)
        // Kept only when no write (of this instance, or found in the log) raced the read, and no
        // fresher state was installed meanwhile.
        if (writes[id, default: 0], epoch) == generation, (cache[id]?.loadedAt).map({ $0 < started }) ?? true {
            install(state, for: id, loadedAt: started)
        }
        return cache[id]?.state ?? state
    }

    /// Whether a state read at `loadedAt` is still trusted at `now`.
    private func isFresh(_ loadedAt: ContinuousClock.Instant, at now: ContinuousClock.Instant) -> Bool {
        now - max(loadedAt, followed?.lookedAt ?? loadedAt) < Self.maxAge
    }

    /// Starts a look at the log when the last began half ``maxAge`` ago or more (and none is
    /// on its way): while the view is used, its states stay trusted without a read each.
    private func followIfDue(at now: ContinuousClock.Instant) {
        guard !following, followed.map({ now - $0.lookedAt >= Self.maxAge / 2 }) ?? true else { return }
        following = true
        Task { try? await self.follow() }
    }

    /// Reads the log's entries since the last look and drops the states they changed; the
    /// states of the rest are trusted as of when this began. A failed read changes nothing, so
    /// states age out as if the log were not followed.
    public func follow() async throws {
        following = true
        defer { following = false }
        let started = ContinuousClock.now
        let changes = try await store.factChanges(after: followed?.through, limit: followLimit)
        if changes.complete {
            for change in changes.changes where !own.contains(change.sequence) { drop(change.member) }
        } else {
            epoch += 1
            cache.removeAll(keepingCapacity: true)
            rendered.invalidateAll()
        }
        own = own.filter { $0 > changes.head }
        if followed.map({ changes.head >= $0.through }) ?? true { followed = (changes.head, started) }
    }

    /// Another writer changed the member's facts: the state is read again when next needed.
    private func drop(_ member: MemberID) {
        writes[member, default: 0] += 1
        if cache.removeValue(forKey: member) != nil { rendered.invalidate(member) }
    }

    static let capacity = 500_000

    /// The active policy and the member's state, in one call (one hop onto this actor).
    public func view(of id: MemberID) async throws -> (policy: PolicyVersion, state: MemberState)? {
        let policy = try await activePolicy()
        guard let state = try await state(of: id) else { return nil }
        return (policy, state)
    }

    /// ``record(_:idempotencyKey:)``, then ``view(of:)`` for the choice's member, in one hop
    /// onto this actor: what a `PUT` of the setting answers with.
    public func recordThenView(_ event: ConsentEvent, idempotencyKey: IdempotencyKey? = nil) async throws
        -> (policy: PolicyVersion, state: MemberState)? {
        _ = try await record(event, idempotencyKey: idempotencyKey)
        return try await view(of: event.member)
    }

    /// Appends a choice durably, then updates the view. With an idempotency key used before,
    /// on any instance, nothing is appended and the choice recorded then is returned.
    /// A member who made ``RequestLimits/memberWrites`` choices in its window is refused with
    /// ``ConsentError/rateLimited(_:retryAfter:)``, and nothing is appended.
    public func record(_ event: ConsentEvent, idempotencyKey: IdempotencyKey? = nil) async throws -> ConsentEvent {
        let member = event.member
        if let limiter = writeLimiter, let wait = limiter.take(member.rawValue, at: event.at) {
            throw ConsentError.rateLimited("you changed this setting as often as it can be changed (\(limiter.limit.sentence)); your last choice is recorded, so try again in \(wait) s if you want to change it again",
                                           retryAfter: wait)
        }
        let started = ContinuousClock.now
        followIfDue(at: started)
        let generation = writes[member, default: 0]
        let epoch = epoch
        // Without a fresh state to add the choice to, the store reads the member's facts right
        // after the commit (for the whole batch at once): the answer that follows needs them.
        let fresh = cache[member].map { isFresh($0.loadedAt, at: started) } ?? false
        let recorded = try await store.recordChoice(event, idempotencyKey: idempotencyKey, returningFacts: !fresh)
        if !recorded.replayed {
            metrics.recordChoice(recorded.event)
            writes[member, default: 0] += 1
            // Applied below: a look at the log that has not passed it yet skips it.
            if let entry = recorded.logSequence, entry > followed?.through ?? .max { own.insert(entry) }
        }
        if let facts = recorded.facts, writes[member, default: 0] == generation + (recorded.replayed ? 0 : 1), self.epoch == epoch {
            // Read after this write committed, and no other write for the member completed
            // meanwhile: nothing the view holds can be newer.
            install(MemberState(member: facts.member, events: facts.choices, objections: facts.objections),
                    for: member, loadedAt: started)
        } else if !recorded.replayed {
            // Another write may have installed state read before this one committed: the choice
            // goes into whatever the view holds (in place: copying the state out and back would
            // copy its arrays on every write).
            cache[member]?.state.insert(recorded.event)
        }
        if !recorded.replayed { rendered.invalidate(member) }
        return recorded.event
    }

    private func install(_ state: MemberState, for member: MemberID, loadedAt: ContinuousClock.Instant) {
        if cache.count >= Self.capacity { cache.removeAll(keepingCapacity: true) }
        cache[member] = (state, loadedAt)
    }

    /// Files an objection durably, then updates the view: the member is excluded from then on.
    /// With an idempotency key used before, files nothing and returns the objection filed then.
    @discardableResult
    public func file(_ objection: Objection, actor: String, idempotencyKey: IdempotencyKey? = nil, limit: RateLimit? = nil) async throws -> Objection {
        let (filed, replayed) = try await store.fileObjection(objection, actor: actor, idempotencyKey: idempotencyKey, limit: limit)
        if !replayed { refresh(filed) }
        return filed
    }

    /// Applies `transition` to a stored objection durably, then updates the view.
    public func update(_ id: ObjectionID, actor: String,
                       _ transition: @escaping @Sendable (Objection) throws -> Objection) async throws -> Objection {
        let updated = try await store.updateObjection(id, actor: actor, transition)
        refresh(updated)
        return updated
    }

    /// Puts a durably stored objection in its member's view (replacing its older self).
    public func refresh(_ objection: Objection) {
        guard let member = objection.member else { return }
        writes[member, default: 0] += 1
        if let index = cache[member]?.state.objections.firstIndex(where: { $0.id == objection.id }) {
            cache[member]?.state.objections[index] = objection
        } else {
            cache[member]?.state.objections.append(objection)
        }
        rendered.invalidate(member)
    }

    /// The active policy, re-read from the store at most once a second, by one caller: the
    /// others wait for that read instead of each making their own.
    public func activePolicy() async throws -> PolicyVersion {
        if let policy, ContinuousClock.now - policy.loadedAt < .seconds(1) { return policy.version }
        if let policyRead { return try await policyRead.value }
        let store = store
        let read = Task { () throws -> PolicyVersion in
            guard let version = try await store.activePolicy() else { throw ConsentError.noActivePolicy }
            return version
        }
        policyRead = read
        defer { policyRead = nil }
        let version = try await read.value
        policy = (version, ContinuousClock.now)
        return version
    }
}

/// Bodies of the member's setting as last rendered, so a repeated `GET` costs a dictionary
/// lookup. A body lives at most `lifetime` (decisions change with time: birthdays, effective
/// dates, policy versions) and is dropped as soon as a write for its member is durable. A body
/// rendered from state read before any later write is never stored (the generation check), so
/// a stale "On" cannot outlive an acknowledged "Off".
final class RenderedSettings: Sendable {
    static let lifetime: Duration = .milliseconds(400)
    static let capacity = 200_000

    private struct Table {
        var bodies: [MemberID: (body: String, expires: ContinuousClock.Instant)] = [:]
        var generation = 0
    }
    private let table = Mutex(Table())

    /// The body for `member` if one is fresh, and the generation to store a new one with.
    func lookup(_ member: MemberID, now: ContinuousClock.Instant = .now) -> (body: String?, generation: Int) {
        table.withLock { table in
            guard let entry = table.bodies[member], now < entry.expires else { return (nil, table.generation) }
            return (entry.body, table.generation)
        }
    }

    /// Keeps `body` unless a write happened since `generation` was read.
    func store(_ body: String, for member: MemberID, generation: Int, now: ContinuousClock.Instant = .now) {
        table.withLock { table in
            guard table.generation == generation else { return }
            if table.bodies.count >= Self.capacity { table.bodies.removeAll(keepingCapacity: true) }
            table.bodies[member] = (body, now + Self.lifetime)
        }
    }

    /// A write for `member` is durable: its body goes, and bodies rendered before it are not kept.
    func invalidate(_ member: MemberID) {
        table.withLock { table in
            table.generation &+= 1
            table.bodies[member] = nil
        }
    }

    /// Every member's facts may have changed: every body goes.
    func invalidateAll() {
        table.withLock { table in
            table.generation &+= 1
            table.bodies.removeAll(keepingCapacity: true)
        }
    }
}
