import ConsentCore
import ConsentFormats
import Foundation

/// Everything the server does with objections, for the API and the pages alike: members file
/// and follow their own, non-members file after verifying their address, the privacy team
/// extends and decides. Rules live in ``Objection``; this adds who may do what, rate limits,
/// and keeps the member view (``MemberStates``) in step with each durable change.
struct ObjectionDesk: Sendable {
    let states: MemberStates
    let store: any LineageStore
    let now: @Sendable () -> Date
    var limits = RequestLimits()
    /// Non-members' requests per client address, when ``RequestLimits/requestsPerClient`` is set.
    let clients: RateLimiter?

    init(states: MemberStates, store: any LineageStore, now: @escaping @Sendable () -> Date, limits: RequestLimits = RequestLimits()) {
        self.states = states
        self.store = store
        self.now = now
        self.limits = limits
        clients = limits.requestsPerClient.map(RateLimiter.init)
    }

    // MARK: Members

    /// Files an objection for `member`, due under the active policy's terms; every message about
    /// it is written to them in `language` (the page's or the app's).
    func file(for member: MemberID, reason: String?, email: String?, language: Catalog, idempotencyKey: IdempotencyKey? = nil) async throws -> Objection {
        let reason = try ObjectionText.reason(reason)
        let email = try email.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            .map { try EmailAddress.validated($0, field: "email") }
        let instant = now()
        guard try await states.state(of: member) != nil else { throw ConsentError.unknownMember(member) }
        let terms = try await states.activePolicy().policy.objectionTerms
        let objection = Objection.file(id: .random(), member: member, at: instant, reason: reason, email: email, language: language.code,
                                       terms: terms)
        return try await states.file(objection, actor: member.rawValue, idempotencyKey: idempotencyKey, limit: limits.objectionsPerMember)
    }

    /// The member's objections, newest first, read from the store: a purge run by another
    /// process completes objections, and the member must see that at once.
    func objections(of member: MemberID) async throws -> [Objection] {
        guard try await states.state(of: member) != nil else { throw ConsentError.unknownMember(member) }
        return try await store.objections(of: member).reversed()
    }

    /// One of the member's own objections; anyone else's is "not found", so ids can't be probed.
    func objection(_ id: ObjectionID, of member: MemberID) async throws -> Objection {
        guard let objection = try await objections(of: member).first(where: { $0.id == id }) else { throw ConsentError.unknownObjection(id) }
        return objection
    }

    /// The member's addresses verified so far, normalised (``EmailAddress/normalised(_:)``).
    func verifiedEmails(of member: MemberID) async throws -> Set<String> {
        Set(try await store.emailVerifications(of: member).filter { $0.verifiedAt != nil }.map { EmailAddress.normalised($0.email) })
    }

    /// Whether the objection's contact address is verified: a non-member's always is, a
    /// member's once they typed back the code sent there; nil without an address.
    static func emailVerified(_ objection: Objection, verified: Set<String>) -> Bool? {
        guard let email = objection.contactEmail else { return nil }
        return objection.member == nil || verified.contains(EmailAddress.normalised(email))
    }

    /// Verifies one of the member's addresses with the code sent to it; returns the address.
    func verifyEmail(of member: MemberID, code: String) async throws -> String {
        let code = code.trimmingCharacters(in: .whitespacesAndNewlines)
        guard code.count == 8, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else {
            throw ConsentError.invalidField(field: "code", message: "the code is the 8 digits we sent to your address")
        }
        return try await store.verifyMemberEmail(member, code: code, at: now())
    }

    /// The address to prefill: the one the member gave last.
    func lastEmail(of member: MemberID) async throws -> String? {
        try await objections(of: member).lazy.compactMap(\.contactEmail).first
    }

    // MARK: Non-members

    /// Records a non-member's request and queues the verification code for their address,
    /// within the limits per client (here), per address and for everyone (in the store).
    func request(email: String, identifiers: [String], reason: String?, language: Catalog, client: String) async throws -> ObjectionRequest {
        let instant = now()
        let request = try ObjectionRequest.new(email: email, identifiers: identifiers, reason: reason, language: language.code, at: instant)
        if let clients, let wait = clients.take(client, at: instant) {
            throw ConsentError.rateLimited("this network made as many requests as are accepted from one (\(clients.limit.sentence)); please try again later",
                                           retryAfter: wait)
        }
        try await store.requestObjection(request, code: ObjectionRequest.newCode(), perAddress: limits.requestsPerAddress, total: limits.requestsTotal)
        return request
    }

    func verify(request id: String, code: String) async throws -> Objection {
        let terms = try await states.activePolicy().policy.objectionTerms
        return try await store.verifyObjectionRequest(id, code: code, at: now(), terms: terms, actor: "non-member:" + id)
    }

    // MARK: The privacy team

    /// The queue: every objection, or those matching the filters, soonest due first.
    func queue(status: ObjectionStatus? = nil, region: String? = nil, overdueOnly: Bool = false) async throws -> [QueueItem] {
        let policy = try await states.activePolicy().policy
        var items: [QueueItem] = []
        for objection in try await store.objections(status: status) {
            let item = try await self.item(objection, policy: policy)
            if let region, region != item.region { continue }
            if overdueOnly, !item.isOverdue { continue }
            items.append(item)
        }
        return items.sorted { ($0.objection.status.isPending ? 0 : 1, $0.objection.currentDue, $0.objection.id)
                            < ($1.objection.status.isPending ? 0 : 1, $1.objection.currentDue, $1.objection.id) }
    }

    /// The objection as a queue row: days left now, and the member's region under the active policy.
    func item(_ objection: Objection, policy: Policy? = nil) async throws -> QueueItem {
        var region: String?
        if let member = objection.member, let state = try await states.state(of: member) {
            let active: Policy
            if let policy { active = policy } else { active = try await states.activePolicy().policy }
            region = active.region(of: state.member.country)?.id
        }
        return QueueItem(objection: objection, region: region, now: now())
    }

    /// One objection with what the privacy team needs to decide it, the member's setting told
    /// in the staff member's language.
    func detail(_ id: ObjectionID, in catalog: Catalog = .english) async throws -> Detail {
        guard let objection = try await store.objection(id) else { throw ConsentError.unknownObjection(id) }
        let version = try await states.activePolicy()
        let instant = now()
        var detail = Detail(item: try await item(objection))
        if let member = objection.member, let state = try await states.state(of: member) {
            let decision = state.decision(policy: version.policy, at: instant)
            detail.decision = decision
            detail.explanation = Explanation.sentence(for: decision, policy: version.policy,
                                                      latest: state.latestChoice(at: instant, honoringGPC: version.policy.honorGPC), in: catalog)
            detail.choices = state.events.reversed()
        }
        detail.lineage = try await lineage(of: objection)
        return detail
    }

    /// The datasets and models holding the member, for an upheld or completed objection.
    func lineage(of objection: Objection) async throws -> MemberLineage? {
        guard let member = objection.member, [.upheld, .completed].contains(objection.status) else { return nil }
        return try await store.lineage(of: member)
    }

    /// Extends the deadline by `term` from the first deadline, at most the policy's max_extension.
    func extend(_ id: ObjectionID, by term: Term, reason: String, by staff: String) async throws -> Objection {
        let maximum = try await states.activePolicy().policy.objectionTerms.maxExtension
        let instant = now()
        return try await states.update(id, actor: staff) {
            try $0.extending(by: term, reason: reason, at: instant, maxExtension: maximum)
        }
    }

    /// Upholds or rejects; an upheld objection whose member no dataset holds is completed at once.
    func decide(_ id: ObjectionID, outcome: ObjectionOutcome, reason: String, by staff: String) async throws -> Objection {
        let decided = try await store.decideObjection(id, outcome: outcome, reason: reason, at: now(), actor: staff)
        await states.refresh(decided)
        return decided
    }

    /// One row of the queue.
    struct QueueItem: Sendable {
        var objection: Objection
        var region: String?
        /// Days until the deadline in force, a part day counting as one; when late, how many
        /// days late (negative), again counting a part day. Nil once decided.
        var daysLeft: Int?
        /// Undecided past the deadline in force.
        var isOverdue = false

        init(objection: Objection, region: String?, now: Date) {
            self.objection = objection
            self.region = region
            if objection.status.isPending {
                let days = objection.currentDue.timeIntervalSince(now) / 86_400
                daysLeft = Int(days >= 0 ? days.rounded(.up) : days.rounded(.down))
                isOverdue = now > objection.currentDue
            }
        }
    }

    struct Detail: Sendable {
        var item: QueueItem
        var decision: Decision?
        var explanation: String?
        var choices: [ConsentEvent] = []
        var lineage: MemberLineage?
    }
}
