import Foundation

/// A policy version as stored: the validated policy, its canonical text and that text's SHA-256.
public struct PolicyVersion: Sendable, Equatable {
    public var policy: Policy
    public var canonicalJSON: String
    public var sha256: String
    /// When this version was last activated.
    public var activatedAt: Date

    public init(policy: Policy, canonicalJSON: String, sha256: String, activatedAt: Date) {
        self.policy = policy
        self.canonicalJSON = canonicalJSON
        self.sha256 = sha256
        self.activatedAt = activatedAt
    }
}

/// What decisions about one member depend on, as of one snapshot: the member's eligibility
/// facts, their choices and their objections (not the data the platform holds about them).
public struct MemberFacts: Sendable, Equatable {
    public var member: Member
    /// In ledger (append) order.
    public var choices: [ConsentEvent]
    /// By receipt.
    public var objections: [Objection]

    public init(member: Member, choices: [ConsentEvent], objections: [Objection]) {
        self.member = member
        self.choices = choices
        self.objections = objections
    }
}

/// What recording a choice did.
public struct RecordedChoice: Sendable, Equatable {
    /// The choice as stored (or as first recorded, when `replayed`).
    public var event: ConsentEvent
    /// The idempotency key was used before: nothing was appended.
    public var replayed: Bool
    /// The member's facts right after the choice, when asked for; a store may leave them out
    /// (for a member with a very long history), and the caller then reads them itself.
    public var facts: MemberFacts?
    /// The sequence of the audit entry the choice appended; nil when `replayed`.
    public var logSequence: Int64?

    public init(event: ConsentEvent, replayed: Bool, facts: MemberFacts? = nil, logSequence: Int64? = nil) {
        self.event = event
        self.replayed = replayed
        self.facts = facts
        self.logSequence = logSequence
    }
}

/// The members whose facts the audit entries after a sequence changed
/// (``ConsentStore/factChanges(after:limit:)``).
public struct FactChanges: Sendable, Equatable {
    /// The log's last entry when it was read.
    public var head: Int64
    /// Every entry up to `head` was read and understood. False when the limit stopped the read
    /// first, when an entry's action is unknown to this version (a newer one wrote it), or when
    /// no sequence was given: any member's facts may then have changed.
    public var complete: Bool
    /// In log order, one per entry that changed a member's facts.
    public var changes: [FactChange]

    public init(head: Int64, complete: Bool, changes: [FactChange]) {
        self.head = head
        self.complete = complete
        self.changes = changes
    }
}

/// One audit entry that changed a member's facts.
public struct FactChange: Sendable, Equatable {
    public var sequence: Int64
    public var member: MemberID

    public init(sequence: Int64, member: MemberID) {
        self.sequence = sequence
        self.member = member
    }
}

/// One numbered line of an import file, parsed or not.
public struct ImportLine<Record: Sendable>: Sendable {
    public var line: Int
    public var record: Result<Record, ConsentError>

    public init(line: Int, record: Result<Record, ConsentError>) {
        self.line = line
        self.record = record
    }
}

/// How an import runs.
public struct ImportOptions: Sendable {
    /// The file name used in messages (`members.jsonl:12: …`).
    public var source: String
    public var actor: String
    /// Import the good lines and report the bad ones instead of aborting on the first.
    public var skipInvalid: Bool
    /// Called for each skipped line when `skipInvalid` is set.
    public var onSkip: @Sendable (ConsentError) -> Void
    /// Called every `progressInterval` lines with the number of lines read.
    public var onProgress: @Sendable (Int) -> Void
    public var progressInterval: Int

    public init(source: String, actor: String, skipInvalid: Bool = false,
                onSkip: @escaping @Sendable (ConsentError) -> Void = { _ in },
                onProgress: @escaping @Sendable (Int) -> Void = { _ in }, progressInterval: Int = 100_000) {
        self.source = source
        self.actor = actor
        self.skipInvalid = skipInvalid
        self.onSkip = onSkip
        self.onProgress = onProgress
        self.progressInterval = progressInterval
    }
}

/// What an import did.
public struct ImportReport: Sendable, Equatable {
    public var read = 0
    public var imported = 0
    public var skipped = 0

    public init(read: Int = 0, imported: Int = 0, skipped: Int = 0) {
        self.read = read
        self.imported = imported
        self.skipped = skipped
    }
}

/// The system of record: policy versions, members, the consent ledger, objections and the
/// audit chain. Every write is one transaction that also appends its audit entries, and is
/// durable when the call returns.
public protocol ConsentStore: Sendable {
    /// Activates `version`; refuses a version string already used for different content.
    func applyPolicy(_ version: PolicyVersion, actor: String) async throws
    /// The policy in force, or nil before any was applied.
    func activePolicy() async throws -> PolicyVersion?
    func policyVersion(_ version: String) async throws -> PolicyVersion?
    /// Every activation, oldest first: which version was in force when.
    func policyTimeline() async throws -> PolicyTimeline

    /// Inserts or updates members, all or nothing unless `options.skipInvalid`.
    func importMembers<Lines: Sequence>(_ lines: Lines, options: ImportOptions) async throws -> ImportReport
        where Lines.Element == ImportLine<MemberRecord>
    /// Appends choices to the ledger, all or nothing unless `options.skipInvalid`.
    func importChoices<Lines: Sequence>(_ lines: Lines, options: ImportOptions) async throws -> ImportReport
        where Lines.Element == ImportLine<ConsentEvent>
    func member(_ id: MemberID) async throws -> MemberRecord?
    /// Every version of the member's facts, in record order (empty for an unknown member).
    func memberVersions(of id: MemberID) async throws -> [MemberVersion]

    /// Appends a choice to the ledger; durable when this returns. With an idempotency key that
    /// was used before (by any instance), nothing is appended and the choice it recorded then
    /// is returned, `replayed`. Keys are kept with the write, in its transaction. With
    /// `returningFacts`, the member's facts are read right after the choice committed (they
    /// hold it, and may hold later writes): what a caller shows next, without a read of its own.
    func recordChoice(_ event: ConsentEvent, idempotencyKey: IdempotencyKey?, returningFacts: Bool) async throws -> RecordedChoice
    /// The member's choices in append order.
    func history(of member: MemberID) async throws -> [ConsentEvent]
    /// The member, their choices in append order and their objections by receipt, read from one
    /// snapshot; nil for an unknown member.
    func facts(of member: MemberID) async throws -> MemberFacts?

    /// Files an objection; with an idempotency key used before, files nothing and returns the
    /// objection filed then, `replayed`. A member's contact address not yet verified for them is
    /// left out of every outbox event, and a code is queued to it (`member.email_verification`),
    /// in the same transaction. With a `limit`, a member who filed as many in its window
    /// is refused with ``ConsentError/rateLimited(_:retryAfter:)``, counted in the transaction
    /// that would file it.
    func fileObjection(_ objection: Objection, actor: String, idempotencyKey: IdempotencyKey?,
                       limit: RateLimit?) async throws -> (objection: Objection, replayed: Bool)
    /// Applies `transition` to the stored objection and appends the events it added, atomically.
    func updateObjection(_ id: ObjectionID, actor: String,
                         _ transition: @escaping @Sendable (Objection) throws -> Objection) async throws -> Objection
    func objection(_ id: ObjectionID) async throws -> Objection?
    /// Objections by receipt time, optionally only those whose current status is `status`.
    func objections(status: ObjectionStatus?) async throws -> [Objection]
    /// One member's objections by receipt time.
    func objections(of member: MemberID) async throws -> [Objection]

    /// Records a non-member's objection request and, in the same transaction, queues the
    /// `objection.verification` outbox event that carries `code` to the address (only the code's
    /// hash is kept with the request). Refused with ``ConsentError/rateLimited(_:retryAfter:)``
    /// when the address (by ``EmailAddress/countingKey(_:)``) made `perAddress` requests in its
    /// window, or everyone together `total`: counted in the transaction that would record it.
    func requestObjection(_ request: ObjectionRequest, code: String, perAddress: RateLimit, total: RateLimit?) async throws
    func objectionRequest(_ id: String) async throws -> ObjectionRequest?

    /// Checks `code` against the member's open email verifications (``EmailVerification``). A
    /// right code verifies that address, durably, and returns it; a wrong one counts an attempt,
    /// durably, and throws ``ConsentError/verificationFailed(_:triesLeft:)``; with none open,
    /// ``ConsentError/verificationClosed(_:)``.
    func verifyMemberEmail(_ member: MemberID, code: String, at instant: Date) async throws -> String
    /// The member's verifications, newest first: those verified and those still open.
    func emailVerifications(of member: MemberID) async throws -> [EmailVerification]

    /// Records that the web session named `id` was signed out, until `expires` (when it would
    /// have ended anyway): every instance refuses it from then on. Durable when this returns.
    func revokeSession(_ id: String, expires: Date) async throws
    /// Whether the web session named `id` was signed out.
    func isSessionRevoked(_ id: String) async throws -> Bool
    /// Checks `code` against the request. A right code files the non-member's objection (due
    /// under `terms`) and links it to the request, atomically, and returns it; a wrong one counts
    /// an attempt, durably, and throws ``ConsentError/verificationFailed(_:triesLeft:)``. An expired,
    /// used-up or already verified request throws ``ConsentError/verificationClosed(_:)``, an
    /// unknown one ``ConsentError/unknownObjectionRequest(_:)``.
    func verifyObjectionRequest(_ id: String, code: String, at instant: Date, terms: ObjectionTerms,
                                actor: String) async throws -> Objection

    /// Every member as known at `knownAt` (now when nil): the versions of their facts, ledger
    /// entries and objection events recorded by then, read in one transaction. Members not yet
    /// recorded then are left out.
    func decisionSnapshot(knownAt: Date?) async throws -> DecisionSnapshot
    /// The same for just `members` (unknown ids are left out).
    func decisionSnapshot(knownAt: Date?, members: [MemberID]) async throws -> DecisionSnapshot
    /// Folds every member that ``decisionSnapshot(knownAt:)`` would hold into `initial`, one at
    /// a time in id order, read in one transaction: a pass over every member that keeps less
    /// than all of them (the gate's table of verdicts) need not hold them all.
    func reduceMembers<Result>(knownAt: Date?, into initial: Result, _ body: (inout Result, MemberInputs) throws -> Void) async throws -> Result

    /// The sequence of the audit entry recorded with ledger entry `sequence` (the k-th choice of
    /// the ledger is the k-th `choice_recorded` entry); nil when the ledger has no such entry.
    func logSequence(ofChoice sequence: Int64) async throws -> Int64?
    /// The sequences of the audit entries recorded with an objection's events, by position.
    func logSequences(ofObjection id: ObjectionID) async throws -> [Int64]

    /// The members whose facts (``MemberFacts``) the audit entries after `sequence` changed,
    /// reading at most `limit` entries, with the log's end; with `sequence` nil, only the end
    /// (and `complete` false). Every write of facts appends its entries in its own transaction,
    /// so a cache of members' facts learns from this what other writers changed.
    func factChanges(after sequence: Int64?, limit: Int) async throws -> FactChanges

    /// Audit entries recorded in `[from, to]`, in chain order.
    func auditEntries(from: Date?, to: Date?, _ body: (AuditEntry) throws -> Void) async throws
    /// Audit entries after sequence `after`, in chain order (the log's leaves from index
    /// `after`), at most `limit` of them when given.
    func auditEntries(after: Int64, limit: Int?, _ body: (AuditEntry) throws -> Void) async throws
    /// Recomputes the whole chain; throws ``ConsentError/auditChainBroken(sequence:message:)``.
    func verifyAuditChain() async throws -> AuditVerification
}

extension ConsentStore {
    /// Appends a choice to the ledger; durable when this returns.
    @discardableResult
    public func recordChoice(_ event: ConsentEvent) async throws -> ConsentEvent {
        try await recordChoice(event, idempotencyKey: nil).event
    }

    /// Appends a choice to the ledger, or replays the one an idempotency key recorded before.
    public func recordChoice(_ event: ConsentEvent, idempotencyKey: IdempotencyKey?) async throws -> (event: ConsentEvent, replayed: Bool) {
        let recorded = try await recordChoice(event, idempotencyKey: idempotencyKey, returningFacts: false)
        return (recorded.event, recorded.replayed)
    }

    /// Every member as known now.
    public func decisionSnapshot() async throws -> DecisionSnapshot { try await decisionSnapshot(knownAt: nil) }

    /// By way of a whole snapshot, for a store that has no lighter way.
    public func reduceMembers<Result>(knownAt: Date?, into initial: Result, _ body: (inout Result, MemberInputs) throws -> Void) async throws -> Result {
        let snapshot = try await decisionSnapshot(knownAt: knownAt)
        var result = initial
        for index in 0..<snapshot.count { try body(&result, snapshot.inputs(at: index)) }
        return result
    }

    public func fileObjection(_ objection: Objection, actor: String) async throws {
        _ = try await fileObjection(objection, actor: actor, idempotencyKey: nil, limit: nil)
    }

    /// Files an objection with no limit (the privacy team's tools, imports and tests).
    public func fileObjection(_ objection: Objection, actor: String, idempotencyKey: IdempotencyKey?) async throws -> (objection: Objection, replayed: Bool) {
        try await fileObjection(objection, actor: actor, idempotencyKey: idempotencyKey, limit: nil)
    }

    /// One member's decision at `instant` under `policy`, read from the durable records.
    public func decision(for id: MemberID, policy: Policy, at instant: Date) async throws -> Decision {
        guard let facts = try await facts(of: id) else { return decide(nil, history: .empty, objections: [], policy: policy, at: instant) }
        return decide(facts.member, history: ConsentHistory(facts.choices), objections: facts.objections, policy: policy, at: instant)
    }
}

/// A client's `Idempotency-Key`, scoped to who sent it and what for, as the stores keep it: a
/// SHA-256 (computed by the caller) so the table holds no member ids or client strings.
///
/// The rule: a key names one write of one kind, of one request. The first request with it
/// writes; a later request with it and the same content (a retry, on any instance, even one
/// racing the first) writes nothing and gets back what the first one recorded, marked
/// `replayed`; one with other content is refused (``ConsentError/idempotencyKeyReused(_:)``),
/// never answered with the first one's result. A key lasts ``lifetime``; after that it is
/// forgotten and may name a new write. Keys are kept in the transaction of the write they
/// protect, so a key is never kept for a write that was rolled back.
public struct IdempotencyKey: Sendable, Equatable {
    /// What a key protects.
    public enum Write: String, Sendable {
        case choice
        case objection
    }

    /// How long a key is remembered (24 hours, as the IETF Idempotency-Key draft suggests).
    public static let lifetime: TimeInterval = 24 * 3600

    /// 64 lower-case hex digits.
    public let digest: String
    /// SHA-256 (hex) of what the request asked for; nil when not bound to one.
    public let request: String?

    public init(digest: String, request: String? = nil) {
        self.digest = digest
        self.request = request
    }

    /// Whether this key's request may replay a write recorded for `recorded` (the request that
    /// write was bound to): the same request, or one of them not bound (a key kept before keys
    /// were bound, or a caller that binds none).
    public func replays(_ recorded: String?) -> Bool {
        request == nil || recorded == nil || request == recorded
    }

    /// The scope a client's key is read in: the write and the member sending it, so that the
    /// same header value from two members, or for two kinds of write, never collides.
    public static func scope(_ write: Write, member: MemberID) -> String {
        write.rawValue + "\u{0}" + member.rawValue
    }
}
