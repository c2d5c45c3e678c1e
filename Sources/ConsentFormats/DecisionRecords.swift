import ConsentCore
import Foundation

/// A decision as one JSON line, written by hand: `decide` and the batch API write millions of them.
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
}

/// The decision counts `consentry stats` prints: `{"as_of", "by_reason", "by_region", "eligible",
/// "excluded", "members", "policy_sha256", "policy_version"}`, every reason and every region of
/// the policy present, zeros included.
public struct StatsBody: Encodable, Sendable {
    public let asOf: Date
    public let policyVersion: String
    public let policySHA256: String
    public let members: Int
    public let eligible: Int
    public let excluded: Int
    public let byReason: [String: Int]
    public let byRegion: [String: Int]

    public init(_ summary: DecisionSummary, policy: PolicyVersion, asOf: Date) {
        self.asOf = asOf
        policyVersion = policy.policy.version
        policySHA256 = policy.sha256
        members = summary.members
        eligible = summary.eligible
        excluded = summary.members - summary.eligible
        var byReason: [String: Int] = [:]
        for reason in Reason.allCases where reason != .memberUnknown {
            byReason[reason.rawValue] = summary.byReason[reason] ?? 0
        }
        self.byReason = byReason
        var byRegion: [String: Int] = [DecisionSummary.outOfScope: 0]
        for region in policy.policy.regions { byRegion[region.id] = 0 }
        for (region, count) in summary.byRegion { byRegion[region] = count }
        self.byRegion = byRegion
    }

    enum CodingKeys: String, CodingKey {
        case members, eligible, excluded
        case asOf = "as_of", policyVersion = "policy_version", policySHA256 = "policy_sha256", byReason = "by_reason", byRegion = "by_region"
    }
}

/// A ledger entry as `consentry member set` prints it:
/// `{"actor", "at", "channel", "choice", "member", "sequence"}`.
public struct LedgerEntryBody: Encodable, Sendable {
    public let member: String
    public let choice: String
    public let channel: String
    public let at: Date
    public let actor: String
    @Nullable public var sequence: Int64?

    public init(_ event: ConsentEvent) {
        member = event.member.rawValue
        choice = event.choice.rawValue
        channel = event.channel.rawValue
        at = event.at
        actor = event.actor
        sequence = event.sequence
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
            let names = region.names.isEmpty ? "" : ", names: { " + region.names.sorted { $0.key < $1.key }
                .map { "\($0.key): \(JSONWriter.string($0.value))" }.joined(separator: ", ") + " }"
            lines.append("  - { id: \(region.id), countries: [\(countries)], effective: \(Timestamp.format(region.effective)), default: \(region.defaultRule.rawValue)\(names) }")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
