import ConsentCore
import Foundation

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

    /// Adds a stored event at its place in ledger order.
    mutating func insert(_ event: ConsentEvent) {
        let position = events.firstIndex { ($0.sequence ?? 0) > (event.sequence ?? 0) } ?? events.endIndex
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

/// The in-memory view of current state that pages and GETs read, so that a read never touches
/// the store once a member was seen. It changes only after a write is durable in the store.
public actor MemberStates {
    let store: any ConsentStore
    private var cache: [MemberID: MemberState] = [:]
    /// Writes per member, so that a load that raced a write does not install stale state.
    private var writes: [MemberID: Int] = [:]
    private var policy: (version: PolicyVersion, loadedAt: ContinuousClock.Instant)?
    private var idempotent: [String: Task<StoredResponse, any Error>] = [:]

    struct StoredResponse: Sendable {
        var status: Int
        var body: String
    }

    let metrics: ServerMetrics

    public init(store: any ConsentStore, metrics: ServerMetrics = ServerMetrics()) {
        self.store = store
        self.metrics = metrics
    }

    /// The member's state, loaded from the store the first time; nil for an unknown member.
    public func state(of id: MemberID) async throws -> MemberState? {
        if let cached = cache[id] { return cached }
        let generation = writes[id, default: 0]
        guard let record = try await store.member(id) else { return nil }
        let state = MemberState(member: record.member, events: try await store.history(of: id),
                                objections: try await store.objections(of: id))
        if writes[id, default: 0] == generation, cache[id] == nil { cache[id] = state }
        return cache[id] ?? state
    }

    /// The active policy and the member's state, in one call (one hop onto this actor).
    public func view(of id: MemberID) async throws -> (policy: PolicyVersion, state: MemberState)? {
        let policy = try await activePolicy()
        guard let state = try await state(of: id) else { return nil }
        return (policy, state)
    }

    /// Appends a choice durably, then updates the view.
    public func record(_ event: ConsentEvent) async throws -> ConsentEvent {
        let stored = try await store.recordChoice(event)
        metrics.recordChoice(stored)
        writes[event.member, default: 0] += 1
        if var state = cache[event.member] {
            state.insert(stored)
            cache[event.member] = state
        }
        return stored
    }

    /// The active policy, re-read from the store at most once a second.
    public func activePolicy() async throws -> PolicyVersion {
        if let policy, ContinuousClock.now - policy.loadedAt < .seconds(1) { return policy.version }
        guard let version = try await store.activePolicy() else { throw ConsentError.noActivePolicy }
        policy = (version, ContinuousClock.now)
        return version
    }

    /// Runs `work` once per key: a retry, even one that arrives while the first is still
    /// running, gets the first result and records nothing new. A failed attempt may be retried.
    func once(key: String, _ work: @escaping @Sendable () async throws -> StoredResponse) async throws -> StoredResponse {
        if let running = idempotent[key] { return try await running.value }
        if idempotent.count > 100_000 { idempotent.removeAll() }
        let task = Task { try await work() }
        idempotent[key] = task
        do {
            return try await task.value
        } catch {
            idempotent[key] = nil
            throw error
        }
    }
}
