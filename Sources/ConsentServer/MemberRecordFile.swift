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
    /// The body of `GET /api/v1/me/ai-training`.
    let setting: String
    let now: Date

    func json(for member: MemberID) async throws -> String {
        guard let facts = try await store.facts(of: member) else { throw ConsentError.unknownMember(member) }
        let versions = try await store.memberVersions(of: member)
        let timeline = try await store.policyTimeline()
        let view = DecisionView(timeline: timeline, snapshot: try await store.decisionSnapshot(knownAt: nil, members: [member]), moment: now)
        var decisions: [(at: Date, decision: Decision)] = []
        for instant in Self.instants(facts: facts, versions: versions, timeline: timeline, until: now) {
            try? view.forEachDecision(at: instant) { _, decision in decisions.append((instant, decision)) }
        }
        let verified = Set(try await store.emailVerifications(of: member).filter { $0.verifiedAt != nil }.map { EmailAddress.normalised($0.email) })

        var body = JSONObjectWriter()
        body.field("choices", JSONWriter.array(facts.choices.map(AITrainingController.choiceJSON)))
        body.field("decisions", JSONWriter.array(DecisionHistory.spans(decisions).map { span in
            let region = span.decision.regionIndex.flatMap { index in (try? view.policy(at: span.from))?.policy.regions[index].id }
            return JSONWriter.object(["from": JSONWriter.string(Timestamp.format(span.from)), "eligible": span.decision.eligible ? "true" : "false",
                                      "reason": JSONWriter.string(span.decision.reason.rawValue), "region": JSONWriter.optional(region)])
        }))
        body.field("facts", JSONWriter.array(versions.map { version in
            JSONWriter.object([
                "birth_date": JSONWriter.optional(version.member.birthDate?.description), "country": JSONWriter.string(version.member.country.description),
                "notified_at": JSONWriter.optional(version.member.notifiedAt.map(Timestamp.format)),
                "valid_from": JSONWriter.optional(version.validFrom.map(Timestamp.format)), "recorded_at": JSONWriter.string(Timestamp.format(version.recordedAt)),
            ])
        }))
        body.field("generated_at", JSONWriter.string(Timestamp.format(now)))
        body.field("inclusion", DecisionRecords.lineageJSON(try await store.lineage(of: member), member: member))
        body.field("member", JSONWriter.string(member.rawValue))
        body.field("objections", JSONWriter.array(facts.objections.map { ObjectionJSON.forMember($0, lineage: nil, verified: verified) }))
        body.field("setting", setting)
        return body.finish()
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
