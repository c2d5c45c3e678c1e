import ConsentCore
import Foundation

/// An objection with its deadlines and whole timeline, as `consentry objections` prints it, the
/// API returns it and the outbox tells it:
/// `{"decided_at", "decision", "decision_reason", "due", "email", "extended_due", "id",
/// "identifiers", "language", "member", "received_at", "status", "timeline"}` (every key always present).
public struct ObjectionBody: Encodable, Sendable {
    public let id: String
    @Nullable public var member: String?
    /// Where to tell the person; the outbox blanks it until the address is verified.
    @Nullable public var email: String?
    /// What a non-member's objection is about; null for a member's.
    @Nullable public var identifiers: [String]?
    /// The language the person objected in, which every message to them is written in.
    public let language: String
    public let status: String
    public let receivedAt: Date
    public let due: Date
    @Nullable public var extendedDue: Date?
    @Nullable public var decidedAt: Date?
    @Nullable public var decision: String?
    @Nullable public var decisionReason: String?
    public let timeline: [Step]

    public init(_ objection: Objection) {
        let decision = objection.decision
        id = objection.id.rawValue
        member = objection.member?.rawValue
        email = objection.contactEmail
        identifiers = objection.member == nil ? objection.identifiers : nil
        language = objection.language
        status = objection.status.rawValue
        receivedAt = objection.receivedAt
        due = objection.due
        extendedDue = objection.extendedDue
        decidedAt = decision?.at
        self.decision = decision?.outcome.rawValue
        decisionReason = decision?.reason
        timeline = objection.timeline.map(Step.init)
    }

    enum CodingKeys: String, CodingKey {
        case id, member, email, identifiers, language, status, due, decision, timeline
        case receivedAt = "received_at", extendedDue = "extended_due", decidedAt = "decided_at", decisionReason = "decision_reason"
    }

    /// One step of the timeline: `{"event": "received"|"extended"|"upheld"|"rejected"|"completed",
    /// "at", …}` with the step's own fields (`due`, `days`, `reason`).
    public struct Step: Encodable, Sendable {
        public let event: ObjectionEvent

        public init(_ event: ObjectionEvent) { self.event = event }

        enum CodingKeys: String, CodingKey { case event, at, due, days, reason }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(event.at, forKey: .at)
            switch event {
            case .received(_, let due, let reason):
                try container.encode("received", forKey: .event)
                try container.encode(due, forKey: .due)
                try container.encode(reason, forKey: .reason)
            case .extended(_, let days, let due, let reason):
                try container.encode("extended", forKey: .event)
                try container.encode(days, forKey: .days)
                try container.encode(due, forKey: .due)
                try container.encode(reason, forKey: .reason)
            case .decided(_, let outcome, let reason):
                try container.encode(outcome == .uphold ? "upheld" : "rejected", forKey: .event)
                try container.encode(reason, forKey: .reason)
            case .completed(_, let reason):
                try container.encode("completed", forKey: .event)
                try container.encode(reason, forKey: .reason)
            }
        }
    }
}

/// The datasets and models that hold or held a member: `{"datasets", "member", "models"}`, as
/// `GET /api/v1/me/ai-training/inclusion`, an upheld objection's `data_removal` and
/// `consentry datasets lineage --member` show them.
public struct InclusionBody: Encodable, Sendable {
    public let member: String
    public let datasets: [Dataset]
    public let models: [Model]

    public init(_ lineage: MemberLineage, member: MemberID) {
        self.member = member.rawValue
        datasets = lineage.datasets.map(Dataset.init)
        models = lineage.models.map(Model.init)
    }

    public struct Dataset: Encodable, Sendable {
        public let dataset: String
        public let name: String
        public let createdAt: Date
        public let categories: [String]
        public let holdsMember: Bool
        @Nullable public var removedAt: Date?
        @Nullable public var removedInVersion: Int?

        init(_ entry: MemberLineage.DatasetEntry) {
            dataset = entry.dataset.rawValue
            name = entry.name
            createdAt = entry.createdAt
            categories = entry.categories
            holdsMember = entry.removedAt == nil
            removedAt = entry.removedAt
            removedInVersion = entry.removedInVersion
        }

        enum CodingKeys: String, CodingKey {
            case dataset, name, categories
            case createdAt = "created_at", holdsMember = "holds_member", removedAt = "removed_at", removedInVersion = "removed_in_version"
        }
    }

    public struct Model: Encodable, Sendable {
        public let model: String
        public let dataset: String
        public let registeredAt: Date
        /// Trained on a version that still held the member, who has since been removed.
        public let trainedBeforeRemoval: Bool

        init(_ entry: MemberLineage.ModelEntry) {
            model = entry.model
            dataset = entry.dataset.rawValue
            registeredAt = entry.registeredAt
            trainedBeforeRemoval = entry.trainedBeforeRemoval
        }

        enum CodingKeys: String, CodingKey {
            case model, dataset
            case registeredAt = "registered_at", trainedBeforeRemoval = "trained_before_removal"
        }
    }
}
