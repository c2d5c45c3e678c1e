import ConsentCore
import ConsentFormats
import Foundation

/// Everything Consentry holds about one member, as one JSON document they can keep or take
/// elsewhere (GDPR art. 15 access, art. 20 portability):
///
/// `{"member", "generated_at", "setting", "decisions", "facts", "choices", "objections", "inclusion"}`
/// — the setting as the apps show it; the decisions over time (each span from the instant it
/// began, under the policy in force then); every version of the member's facts; every choice;
/// every objection with its timeline; and every dataset and model that holds or held their data.
struct MemberRecordFile {
    let store: any LineageStore
    /// What `GET /api/v1/me/ai-training` shows, as JSON text.
    let setting: String
    let now: Date

    func body(for member: MemberID) async throws -> Body {
        guard let facts = try await store.facts(of: member) else { throw ConsentError.unknownMember(member) }
        let versions = try await store.memberVersions(of: member)
        let timeline = try await store.policyTimeline()
        let view = DecisionView(timeline: timeline, snapshot: try await store.decisionSnapshot(knownAt: nil, members: [member]), moment: now)
        var decisions: [(at: Date, decision: Decision)] = []
        for instant in Self.instants(facts: facts, versions: versions, timeline: timeline, until: now) {
            try? view.forEachDecision(at: instant) { _, decision in decisions.append((instant, decision)) }
        }
        let verified = Set(try await store.emailVerifications(of: member).filter { $0.verifiedAt != nil }.map { EmailAddress.normalised($0.email) })
        return Body(
            member: member.rawValue,
            generatedAt: now,
            setting: JSONValue.embedding(setting),
            decisions: DecisionHistory.spans(decisions).map { span in
                Body.Span(from: span.from, eligible: span.decision.eligible, reason: span.decision.reason.rawValue,
                          region: span.decision.regionIndex.flatMap { index in (try? view.policy(at: span.from))?.policy.regions[index].id })
            },
            facts: versions.map { version in
                Body.Facts(birthDate: version.member.birthDate?.description, country: version.member.country.description,
                           notifiedAt: version.member.notifiedAt, validFrom: version.validFrom, recordedAt: version.recordedAt)
            },
            choices: facts.choices.map(HistoryItem.init),
            objections: facts.objections.map { MemberObjectionBody($0, lineage: nil, verified: verified) },
            inclusion: InclusionBody(try await store.lineage(of: member), member: member))
    }

    /// The file: `{"choices", "decisions", "facts", "generated_at", "inclusion", "member",
    /// "objections", "setting"}`.
    struct Body: Encodable {
        let member: String
        let generatedAt: Date
        let setting: JSONValue
        let decisions: [Span]
        let facts: [Facts]
        let choices: [HistoryItem]
        let objections: [MemberObjectionBody]
        let inclusion: InclusionBody

        /// From `from` until the next span, the member's decision was this.
        struct Span: Encodable {
            let from: Date
            let eligible: Bool
            let reason: String
            @Nullable var region: String?
        }

        /// One version of what the platform told Consentry about the member.
        struct Facts: Encodable {
            @Nullable var birthDate: String?
            let country: String
            @Nullable var notifiedAt: Date?
            @Nullable var validFrom: Date?
            let recordedAt: Date

            enum CodingKeys: String, CodingKey {
                case country
                case birthDate = "birth_date", notifiedAt = "notified_at", validFrom = "valid_from", recordedAt = "recorded_at"
            }
        }

        enum CodingKeys: String, CodingKey {
            case member, setting, decisions, facts, choices, objections, inclusion
            case generatedAt = "generated_at"
        }
    }

    /// The instants at which the member's decision may have changed, up to `now`: each choice,
    /// each step of an objection, each policy activation and each region's start under it, each
    /// version of the facts, each birthday at a policy's minimum age, and `now`.
    static func instants(facts: MemberFacts, versions: [MemberVersion], timeline: PolicyTimeline, until now: Date) -> [Date] {
        var instants = Set<Date>([now])
        instants.formUnion(facts.choices.map(\.at))
        instants.formUnion(facts.objections.flatMap { $0.timeline.map(\.at) })
        for activation in timeline.activations {
            instants.insert(activation.at)
            instants.formUnion(activation.version.policy.regions.map(\.effective))
            if let birth = facts.member.birthDate {
                let year = birth.year + activation.version.policy.minimumAge
                // A 29 February birthday comes of age on 1 March in other years.
                if let day = CivilDate(year: year, month: birth.month, day: birth.day) ?? CivilDate(year: year, month: 3, day: 1) {
                    instants.insert(day.startOfDay)
                }
            }
        }
        instants.formUnion(versions.compactMap(\.validFrom))
        return instants.filter { $0 <= now }.sorted()
    }
}
