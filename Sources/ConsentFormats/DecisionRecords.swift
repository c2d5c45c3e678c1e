import ConsentCore
import Foundation

/// The JSON shapes of decisions, stats and objections, shared by the CLI and (later) the API.
public enum DecisionRecords {
    /// `{"member":"…","eligible":false,"reason":"minor","region":"europe"}`; region null when out of scope.
    public static func decisionLine(member: MemberID, decision: Decision, policy: Policy, use: TrainingUse? = nil) -> String {
        var line = "{\"member\":" + JSONWriter.string(member.rawValue)
            + ",\"eligible\":" + (decision.eligible ? "true" : "false")
            + ",\"reason\":\"" + decision.reason.rawValue
            + "\",\"region\":" + JSONWriter.optional(decision.regionIndex.map { policy.regions[$0].id })
        if let use {
            line += ",\"usable\":" + (use.usable ? "true" : "false")
                + ",\"usable_reason\":" + (use.usable ? "null" : "\"" + use.reason.rawValue + "\"")
        }
        return line + "}"
    }

    /// One object: members, eligible, counts by reason (every reason, zeros included) and by region.
    public static func statsJSON(_ summary: DecisionSummary, policy: PolicyVersion, asOf: Date) -> String {
        var byReason: [String: String] = [:]
        for reason in Reason.allCases where reason != .memberUnknown {
            byReason[reason.rawValue] = String(summary.byReason[reason] ?? 0)
        }
        var byRegion: [String: String] = [DecisionSummary.outOfScope: "0"]
        for region in policy.policy.regions { byRegion[region.id] = "0" }
        for (region, count) in summary.byRegion { byRegion[region] = String(count) }
        return JSONWriter.object([
            "as_of": JSONWriter.string(Timestamp.format(asOf)),
            "policy_version": JSONWriter.string(policy.policy.version),
            "policy_sha256": JSONWriter.string(policy.sha256),
            "members": String(summary.members),
            "eligible": String(summary.eligible),
            "excluded": String(summary.members - summary.eligible),
            "by_reason": JSONWriter.object(byReason),
            "by_region": JSONWriter.object(byRegion),
        ])
    }

    /// The datasets and models that hold or held a member: `{"datasets", "member", "models"}`.
    public static func lineageJSON(_ lineage: MemberLineage, member: MemberID) -> String {
        var object = JSONObjectWriter()
        object.field("datasets", JSONWriter.array(lineage.datasets.map { entry in
            var item = JSONObjectWriter()
            item.field("categories", JSONWriter.array(entry.categories.map(JSONWriter.string)))
            item.field("created_at", JSONWriter.string(Timestamp.format(entry.createdAt)))
            item.field("dataset", JSONWriter.string(entry.dataset.rawValue))
            item.field("holds_member", entry.removedAt == nil ? "true" : "false")
            item.field("name", JSONWriter.string(entry.name))
            item.field("removed_at", JSONWriter.optional(entry.removedAt.map(Timestamp.format)))
            item.field("removed_in_version", entry.removedInVersion.map { String($0) } ?? "null")
            return item.finish()
        }))
        object.field("member", JSONWriter.string(member.rawValue))
        object.field("models", JSONWriter.array(lineage.models.map { entry in
            var item = JSONObjectWriter()
            item.field("dataset", JSONWriter.string(entry.dataset.rawValue))
            item.field("model", JSONWriter.string(entry.model))
            item.field("registered_at", JSONWriter.string(Timestamp.format(entry.registeredAt)))
            item.field("trained_before_removal", entry.trainedBeforeRemoval ? "true" : "false")
            return item.finish()
        }))
        return object.finish()
    }

    /// An objection with its deadlines and full timeline.
    public static func objectionJSON(_ objection: Objection) -> String {
        JSONWriter.object(objectionFields(objection))
    }

    /// The fields of ``objectionJSON(_:)``, for callers that add their own.
    public static func objectionFields(_ objection: Objection) -> [String: String] {
        let decision = objection.decision
        return [
            "id": JSONWriter.string(objection.id.rawValue),
            "member": JSONWriter.optional(objection.member?.rawValue),
            "email": JSONWriter.optional(objection.contactEmail),
            "identifiers": objection.member == nil ? JSONWriter.array(objection.identifiers.map(JSONWriter.string)) : "null",
            "status": JSONWriter.string(objection.status.rawValue),
            "received_at": JSONWriter.string(Timestamp.format(objection.receivedAt)),
            "due": JSONWriter.string(Timestamp.format(objection.due)),
            "extended_due": JSONWriter.optional(objection.extendedDue.map(Timestamp.format)),
            "decided_at": JSONWriter.optional(decision.map { Timestamp.format($0.at) }),
            "decision": JSONWriter.optional(decision?.outcome.rawValue),
            "decision_reason": JSONWriter.optional(decision?.reason),
            "timeline": JSONWriter.array(objection.timeline.map(timelineJSON)),
        ]
    }

    static func timelineJSON(_ event: ObjectionEvent) -> String {
        switch event {
        case .received(let at, let due, let reason):
            JSONWriter.object(["event": "\"received\"", "at": JSONWriter.string(Timestamp.format(at)),
                               "due": JSONWriter.string(Timestamp.format(due)), "reason": JSONWriter.optional(reason)])
        case .extended(let at, let days, let due, let reason):
            JSONWriter.object(["event": "\"extended\"", "at": JSONWriter.string(Timestamp.format(at)), "days": String(days),
                               "due": JSONWriter.string(Timestamp.format(due)), "reason": JSONWriter.string(reason)])
        case .decided(let at, let outcome, let reason):
            JSONWriter.object(["event": JSONWriter.string(outcome == .uphold ? "upheld" : "rejected"),
                               "at": JSONWriter.string(Timestamp.format(at)), "reason": JSONWriter.string(reason)])
        case .completed(let at, let reason):
            JSONWriter.object(["event": "\"completed\"", "at": JSONWriter.string(Timestamp.format(at)),
                               "reason": JSONWriter.string(reason)])
        }
    }

    /// A ledger entry as `consentry member set` prints it.
    public static func choiceJSON(_ event: ConsentEvent) -> String {
        JSONWriter.object([
            "member": JSONWriter.string(event.member.rawValue),
            "choice": JSONWriter.string(event.choice.rawValue),
            "channel": JSONWriter.string(event.channel.rawValue),
            "at": JSONWriter.string(Timestamp.format(event.at)),
            "actor": JSONWriter.string(event.actor),
            "sequence": event.sequence.map { String($0) } ?? "null",
        ])
    }
}

extension PolicyFile {
    /// The policy as YAML that `consentry policy apply` accepts and that hashes the same.
    public static func yaml(_ version: PolicyVersion) -> String {
        let policy = version.policy
        var lines = [
            "# sha256: \(version.sha256)",
            "# activated_at: \(Timestamp.format(version.activatedAt))",
            "purpose: \(policy.purpose)",
            "version: \(JSONWriter.string(policy.version))",
            "minimum_age: \(policy.minimumAge)",
            "unknown_age: \(policy.unknownAge.rawValue)",
            "notice_days: \(policy.noticeDays)",
        ]
        if let lookback = policy.lookbackStart { lines.append("lookback_start: \(Timestamp.format(lookback))") }
        lines += [
            "honor_gpc: \(policy.honorGPC)",
            "objections: { " + [("response", policy.objectionTerms.response), ("max_extension", policy.objectionTerms.maxExtension)].map { name, term in
                if case .days(let days) = term { "\(name)_days: \(days)" } else { "\(name): \(term)" }
            }.joined(separator: ", ") + " }",
            "categories:",
            "  allow: [\(policy.allowedCategories.map(\.rawValue).joined(separator: ", "))]",
            "  # never used: \(policy.excludedCategories.map(\.rawValue).joined(separator: ", "))",
            policy.regions.isEmpty ? "regions: []" : "regions:",
        ]
        for region in policy.regions {
            let countries = region.countries.map { JSONWriter.string($0.description) }.joined(separator: ", ")
            lines.append("  - { id: \(region.id), countries: [\(countries)], effective: \(Timestamp.format(region.effective)), default: \(region.defaultRule.rawValue) }")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
