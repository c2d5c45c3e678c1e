import ConsentCore
import ConsentFormats
import Foundation

/// The data-protection parts of the EU AI Act's public summary of training content (Art. 53(1)(d),
/// the Commission's template of July 2025) for one registered model, from what Consentry recorded:
/// the members' data it was trained on (which datasets, which categories, up to when), how
/// members' choices and objections were honoured when those datasets were made, and who was
/// removed after training. `consentry report training-summary --model NAME` prints it.
///
/// Counts here are totals over a model's datasets, published by the provider about its own
/// model; none is broken down by member.
public struct TrainingSummary: Encodable, Sendable {
    public static let format = "consentry-training-summary/1"

    let format = TrainingSummary.format
    let model: String
    let registeredAt: Date
    /// Each dataset version the model was trained on.
    let sources: [Source]
    /// Every category any source took; empty when no source recorded its categories.
    let categories: [String]
    /// The latest instant any source's data was decided as of.
    @Nullable var dataUntil: Date?
    /// The earliest look-back start of the policies the sources were made under: nothing made
    /// before it was used. Null when a policy set none.
    @Nullable var dataFrom: Date?
    /// Members left out when the exported sources were made, by why, summed over them: opted
    /// out, Global Privacy Control, objections pending or upheld, minors, out-of-scope regions, …
    let membersExcludedByReason: [String: Int]
    /// Members in the model's training data who were removed from the datasets afterwards
    /// (objections upheld, or a purge of members no longer eligible).
    let membersRemovedAfterTraining: Int
    let removalsAfterTraining: [Removal]

    struct Source: Encodable, Sendable {
        let dataset: String
        let name: String
        let kind: String
        let version: Int
        let createdAt: Date
        let asOf: Date
        @Nullable var policyVersion: String?
        let categories: [String]
        let records: Int
        let members: Int
        /// What was left out when it was made, by why: members for an export, records for a
        /// filtered file (`left_out_unit`).
        let leftOut: [String: Int]
        let leftOutUnit: String

        enum CodingKeys: String, CodingKey {
            case dataset, name, kind, version, categories, records, members
            case createdAt = "created_at", asOf = "as_of", policyVersion = "policy_version", leftOut = "left_out", leftOutUnit = "left_out_unit"
        }
    }

    /// A purge of a source dataset after the model's registration.
    struct Removal: Encodable, Sendable {
        let dataset: String
        let version: Int
        let at: Date
        let removedMembers: Int
        let reasons: [String: Int]

        enum CodingKeys: String, CodingKey {
            case dataset, version, at, reasons
            case removedMembers = "removed_members"
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, model, sources, categories
        case registeredAt = "registered_at", dataUntil = "data_until", dataFrom = "data_from"
        case membersExcludedByReason = "members_excluded_by_reason", membersRemovedAfterTraining = "members_removed_after_training"
        case removalsAfterTraining = "removals_after_training"
    }

    /// The outcomes a manifest counts that are not exclusions: totals kept, and the reasons of
    /// members whose data may be used.
    static let kept: Set<String> = ["eligible", "kept", "eligible_without_allowed_data", Reason.optedIn.rawValue, Reason.includedByDefault.rawValue]

    /// - Throws: ``GateError`` when a source's dataset or version is not registered, or its manifest does not read.
    public static func make(model: TrainedModel, datasets: [Dataset], timeline: PolicyTimeline) throws -> TrainingSummary {
        var sources: [Source] = []
        var categories: [String] = []
        var excluded: [String: Int] = [:]
        var removals: [Removal] = []
        var lookbacks: [Date] = []
        var everyPolicyBounded = true
        for source in model.sources {
            guard let dataset = datasets.first(where: { $0.id == source.dataset }),
                  let version = dataset.versions.first(where: { $0.version == source.version }) else {
                throw GateError.badSource("model \(model.name)", "dataset \(source.dataset) version \(source.version) is not registered")
            }
            let manifest = try DatasetManifest.parse(version.manifestJSON, source: "\(dataset.id) version \(version.version)")
            let leftOut = manifest.counts.filter { !kept.contains($0.key) && $0.value > 0 }
            let byMember = dataset.kind == .export
            sources.append(Source(dataset: dataset.id.rawValue, name: dataset.name, kind: dataset.kind.rawValue, version: version.version,
                                  createdAt: version.createdAt, asOf: manifest.asOf, policyVersion: manifest.policyVersion,
                                  categories: manifest.categories, records: version.records, members: manifest.members,
                                  leftOut: leftOut, leftOutUnit: byMember ? "members" : "records"))
            for category in manifest.categories where !categories.contains(category) { categories.append(category) }
            if byMember { for (reason, count) in leftOut { excluded[reason, default: 0] += count } }
            if let lookback = timeline.version(at: manifest.asOf)?.policy.lookbackStart { lookbacks.append(lookback) } else { everyPolicyBounded = false }
            for later in dataset.versions where later.version > source.version && later.removedMembers > 0 && later.state == .committed {
                let purge = try DatasetManifest.parse(later.manifestJSON, source: "\(dataset.id) version \(later.version)").purge
                removals.append(Removal(dataset: dataset.id.rawValue, version: later.version, at: later.createdAt,
                                        removedMembers: later.removedMembers, reasons: purge?.reasons ?? [:]))
            }
        }
        return TrainingSummary(model: model.name, registeredAt: model.registeredAt, sources: sources, categories: categories,
                               dataUntil: sources.map(\.asOf).max(), dataFrom: everyPolicyBounded ? lookbacks.min() : nil,
                               membersExcludedByReason: excluded, membersRemovedAfterTraining: model.removedMembers,
                               removalsAfterTraining: removals)
    }

    /// The summary as text a person reads, in the template's order.
    public var text: String {
        var lines = ["Training data summary: data-protection parts (EU AI Act, Art. 53(1)(d))",
                     "Model: \(model), registered \(Timestamp.format(registeredAt))", "",
                     "Members' data it was trained on:"]
        for source in sources {
            lines.append("  - \(source.name) (\(source.dataset), \(source.kind), version \(source.version)): \(source.records) records of \(source.members) members, decided as of \(Timestamp.format(source.asOf))")
            let leftOut = source.leftOut.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            if !leftOut.isEmpty { lines.append("    left out (\(source.leftOutUnit)): \(leftOut)") }
        }
        lines.append("Categories: " + (categories.isEmpty ? "not recorded (filtered files keep what their input held)" : categories.joined(separator: ", ")))
        lines.append("Time span: " + (dataFrom.map { "from \(Timestamp.format($0))" } ?? "no look-back start") + (dataUntil.map { " up to \(Timestamp.format($0))" } ?? ""))
        lines.append("")
        lines.append("Members left out when the exported data was made, by why:")
        for (reason, count) in membersExcludedByReason.sorted(by: { $0.key < $1.key }) { lines.append("  \(reason): \(count)") }
        lines.append("")
        lines.append("Members removed from the training data after the model was trained: \(membersRemovedAfterTraining)")
        for removal in removalsAfterTraining {
            lines.append("  - \(removal.dataset) version \(removal.version), \(Timestamp.format(removal.at)): \(removal.removedMembers) removed (\(removal.reasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
