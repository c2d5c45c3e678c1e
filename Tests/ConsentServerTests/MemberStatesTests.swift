import ConsentCore
import ConsentFormats
import ConsentServer
import ConsentSQLite
import ConsentTesting
import Foundation
import Synchronization
import Testing

/// The server's view of members stays true to what was acknowledged, whatever order concurrent
/// writes for one member complete in.
struct MemberStatesTests {
    /// A write whose facts were read before a later write committed answers first and installs
    /// them; the later write, which began before that answer, must still show in the view (an
    /// acknowledged "On" after an "Off" is never shown as "Off").
    @Test func aLaterChoiceIsNeverLostWhenAnEarlierOneInstallsOlderFacts() async throws {
        let harness = try await Harness()
        let member = MemberID("urn:li:member:eu")!
        let store = OrderedReturns(harness.store)
        let states = MemberStates(store: store)
        let off = ConsentEvent(member: member, choice: .off, channel: .api, at: Harness.now, actor: member.rawValue)
        let on = ConsentEvent(member: member, choice: .on, channel: .api, at: Harness.now.addingTimeInterval(1), actor: member.rawValue)

        // "Off" commits and answers once "On" has reached the store; "On" commits after that answer.
        async let first = states.record(off)
        try await store.waitUntilCommitted(off)
        async let second = states.record(on)
        _ = try await (first, second)

        let state = try #require(try await states.state(of: member))
        #expect(state.events.map(\.choice) == [.off, .on], "both acknowledged choices are in the view")
        #expect(state.latestChoice(at: Harness.now.addingTimeInterval(2), honoringGPC: true)?.choice == .on)
        let policy = try await states.activePolicy().policy
        #expect(state.decision(policy: policy, at: Harness.now.addingTimeInterval(2)).reason == .optedIn)
    }

    /// A choice the view already holds (from facts read after it) is not added twice.
    @Test func aChoiceIsInTheViewOnce() async throws {
        let harness = try await Harness()
        let member = MemberID("urn:li:member:eu")!
        let states = MemberStates(store: harness.store)
        let stored = try await states.record(ConsentEvent(member: member, choice: .off, channel: .api, at: Harness.now, actor: member.rawValue))
        _ = try await states.state(of: member)
        _ = try await states.record(ConsentEvent(member: member, choice: .on, channel: .api, at: Harness.now, actor: member.rawValue))
        let state = try #require(try await states.state(of: member))
        #expect(state.events.map(\.sequence) == [stored.sequence, stored.sequence.map { $0 + 1 }])
    }

    /// Another writer's choice (here through a second store on the same file, as the CLI or
    /// another process would write it) is seen at the view's next look at the log, however
    /// recently the member's state was read.
    @Test func anotherWritersChoiceIsSeenAtTheNextLookAtTheLog() async throws {
        let harness = try await Harness()
        let member = MemberID("urn:li:member:eu")!
        let states = MemberStates(store: harness.store)
        try await states.follow()
        #expect(try await states.state(of: member)?.events.isEmpty == true)
        let other = try SQLiteConsentStore(path: harness.directory.appendingPathComponent("db.sqlite").path)
        try await other.recordChoice(ConsentEvent(member: member, choice: .off, channel: .web, at: Harness.now, actor: member.rawValue))
        try await states.follow()
        #expect(try await states.state(of: member)?.events.map(\.choice) == [.off], "the other writer's choice is in the view")
    }

    /// The view's own choices leave its states trusted: after a look at the log, a state read
    /// longer ago than ``MemberStates/maxAge`` is used without a read, and holds the choice.
    @Test func ownChoicesKeepAStateTrustedPastItsAge() async throws {
        let harness = try await Harness()
        let member = MemberID("urn:li:member:eu")!
        let states = MemberStates(store: harness.store)
        try await states.follow()
        _ = try await states.state(of: member)
        _ = try await states.record(ConsentEvent(member: member, choice: .off, channel: .api, at: Harness.now, actor: member.rawValue))
        let loads = await states.loads
        try await Task.sleep(for: MemberStates.maxAge + .milliseconds(100))
        try await states.follow()
        #expect(try await states.state(of: member)?.events.map(\.choice) == [.off])
        #expect(await states.loads == loads, "the state was not read again")
    }

    /// A look that cannot account for everything since the last (more entries than it reads)
    /// drops every state, changed or not.
    @Test func aLookThatCannotReadEverythingDropsEveryState() async throws {
        let harness = try await Harness()
        let (member, other) = (MemberID("urn:li:member:eu")!, MemberID("urn:li:member:ca")!)
        let states = MemberStates(store: harness.store, followLimit: 2)
        try await states.follow()
        _ = try await states.state(of: member)
        let loads = await states.loads
        let writer = try SQLiteConsentStore(path: harness.directory.appendingPathComponent("db.sqlite").path)
        for second in 0..<3 {
            try await writer.recordChoice(ConsentEvent(member: other, choice: .off, channel: .web,
                                                       at: Harness.now.addingTimeInterval(Double(second)), actor: other.rawValue))
        }
        try await states.follow()
        _ = try await states.state(of: member)
        #expect(await states.loads == loads + 1, "the unchanged member's state was dropped too")
    }
}

/// The SQLite store, with two writes for one member forced into the order that matters: the
/// first commits and answers only once the second was handed to the store; the second commits
/// only after the first answered (so the first's facts do not hold it).
final class OrderedReturns: ConsentStore {
    let base: SQLiteConsentStore
    private let state = Mutex<(committed: Set<Date>, started: Int, firstAnswered: Bool)>(([], 0, false))

    init(_ base: SQLiteConsentStore) { self.base = base }

    func waitUntilCommitted(_ event: ConsentEvent) async throws {
        while !state.withLock({ $0.committed.contains(event.at) }) { try await Task.sleep(for: .milliseconds(5)) }
    }

    func recordChoice(_ event: ConsentEvent, idempotencyKey: IdempotencyKey?, returningFacts: Bool) async throws -> RecordedChoice {
        let order = state.withLock { state in
            state.started += 1
            return state.started
        }
        if order == 2 {
            while !state.withLock({ $0.firstAnswered }) { try await Task.sleep(for: .milliseconds(5)) }
            // Let the first write's answer reach the view before this one commits.
            try await Task.sleep(for: .milliseconds(50))
        }
        let recorded = try await base.recordChoice(event, idempotencyKey: idempotencyKey, returningFacts: returningFacts)
        state.withLock { _ = $0.committed.insert(event.at) }
        if order == 1 {
            while state.withLock({ $0.started < 2 }) { try await Task.sleep(for: .milliseconds(5)) }
            state.withLock { $0.firstAnswered = true }
        }
        return recorded
    }

    func applyPolicy(_ version: PolicyVersion, actor: String) async throws { try await base.applyPolicy(version, actor: actor) }
    func activePolicy() async throws -> PolicyVersion? { try await base.activePolicy() }
    func policyVersion(_ version: String) async throws -> PolicyVersion? { try await base.policyVersion(version) }
    func importMembers<Lines: Sequence>(_ lines: Lines, options: ImportOptions) async throws -> ImportReport
        where Lines.Element == ImportLine<MemberRecord> { try await base.importMembers(lines, options: options) }
    func importChoices<Lines: Sequence>(_ lines: Lines, options: ImportOptions) async throws -> ImportReport
        where Lines.Element == ImportLine<ConsentEvent> { try await base.importChoices(lines, options: options) }
    func member(_ id: MemberID) async throws -> MemberRecord? { try await base.member(id) }
    func history(of member: MemberID) async throws -> [ConsentEvent] { try await base.history(of: member) }
    func facts(of member: MemberID) async throws -> MemberFacts? { try await base.facts(of: member) }
    func fileObjection(_ objection: Objection, actor: String, idempotencyKey: IdempotencyKey?,
                       limit: RateLimit?) async throws -> (objection: Objection, replayed: Bool) {
        try await base.fileObjection(objection, actor: actor, idempotencyKey: idempotencyKey, limit: limit)
    }
    func updateObjection(_ id: ObjectionID, actor: String,
                         _ transition: @escaping @Sendable (Objection) throws -> Objection) async throws -> Objection {
        try await base.updateObjection(id, actor: actor, transition)
    }
    func objection(_ id: ObjectionID) async throws -> Objection? { try await base.objection(id) }
    func objections(status: ObjectionStatus?) async throws -> [Objection] { try await base.objections(status: status) }
    func objections(of member: MemberID) async throws -> [Objection] { try await base.objections(of: member) }
    func requestObjection(_ request: ObjectionRequest, code: String, perAddress: RateLimit, total: RateLimit?) async throws {
        try await base.requestObjection(request, code: code, perAddress: perAddress, total: total)
    }
    func objectionRequest(_ id: String) async throws -> ObjectionRequest? { try await base.objectionRequest(id) }
    func revokeSession(_ id: String, expires: Date) async throws { try await base.revokeSession(id, expires: expires) }
    func verifyMemberEmail(_ member: MemberID, code: String, at instant: Date) async throws -> String {
        try await base.verifyMemberEmail(member, code: code, at: instant)
    }
    func emailVerifications(of member: MemberID) async throws -> [EmailVerification] { try await base.emailVerifications(of: member) }
    func isSessionRevoked(_ id: String) async throws -> Bool { try await base.isSessionRevoked(id) }
    func verifyObjectionRequest(_ id: String, code: String, at instant: Date, terms: ObjectionTerms, actor: String) async throws -> Objection {
        try await base.verifyObjectionRequest(id, code: code, at: instant, terms: terms, actor: actor)
    }
    func decisionSnapshot(knownAt: Date?) async throws -> DecisionSnapshot { try await base.decisionSnapshot(knownAt: knownAt) }
    func decisionSnapshot(knownAt: Date?, members: [MemberID]) async throws -> DecisionSnapshot {
        try await base.decisionSnapshot(knownAt: knownAt, members: members)
    }
    func policyTimeline() async throws -> PolicyTimeline { try await base.policyTimeline() }
    func logSequence(ofChoice sequence: Int64) async throws -> Int64? { try await base.logSequence(ofChoice: sequence) }
    func logSequences(ofObjection id: ObjectionID) async throws -> [Int64] { try await base.logSequences(ofObjection: id) }
    func memberVersions(of id: MemberID) async throws -> [MemberVersion] { try await base.memberVersions(of: id) }
    func auditEntries(from: Date?, to: Date?, _ body: (AuditEntry) throws -> Void) async throws {
        try await base.auditEntries(from: from, to: to, body)
    }
    func verifyAuditChain() async throws -> AuditVerification { try await base.verifyAuditChain() }
    func factChanges(after sequence: Int64?, limit: Int) async throws -> FactChanges {
        try await base.factChanges(after: sequence, limit: limit)
    }
    func auditEntries(after: Int64, limit: Int?, _ body: (AuditEntry) throws -> Void) async throws {
        try await base.auditEntries(after: after, limit: limit, body)
    }
}
