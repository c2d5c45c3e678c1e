import ConsentCore
import Foundation

/// The public transparency report as JSON (`consentry report transparency --format json`):
/// the same figures as `/transparency`, with every withheld count as `null` (a count from 1 to
/// `minimum_count - 1`, or one that could be worked out from a total), and the policy as data.
public struct TransparencyBody: Encodable, Sendable {
    public static let format = "consentry-transparency/1"

    let format = TransparencyBody.format
    let from: Date
    let to: Date
    let policyVersion: String
    let minimumCount: Int
    @Nullable var members: Int?
    @Nullable var eligible: Int?
    @Nullable var excluded: Int?
    let byReason: [String: Int?]
    let regions: [Region]
    let weeks: [Week]
    let objections: Objections
    let removal: Removal
    let policy: PolicyWords

    struct Region: Encodable, Sendable {
        let id: String
        @Nullable var members: Int?
        @Nullable var eligible: Int?
        @Nullable var excluded: Int?
    }

    struct Week: Encodable, Sendable {
        let start: Date
        let end: Date
        let switchedOn: [String: Int?]
        let switchedOff: [String: Int?]
        let optedOutShare: [String: Double?]
        let optedInShare: [String: Double?]
        @Nullable var objectionsReceived: Int?
        @Nullable var objectionsDecided: Int?
        @Nullable var objectionsOverdue: Int?

        enum CodingKeys: String, CodingKey {
            case start, end
            case switchedOn = "switched_on", switchedOff = "switched_off", optedOutShare = "opted_out_share", optedInShare = "opted_in_share"
            case objectionsReceived = "objections_received", objectionsDecided = "objections_decided", objectionsOverdue = "objections_overdue"
        }
    }

    struct Objections: Encodable, Sendable {
        @Nullable var decided: Int?
        @Nullable var onTime: Int?
        @Nullable var late: Int?
        @Nullable var medianDaysToDecision: Double?
        @Nullable var percentile95DaysToDecision: Double?
        let responseTerm: String

        enum CodingKeys: String, CodingKey {
            case decided, late
            case onTime = "on_time", medianDaysToDecision = "median_days_to_decision"
            case percentile95DaysToDecision = "p95_days_to_decision", responseTerm = "response_term"
        }
    }

    struct Removal: Encodable, Sendable {
        let purges: Int
        @Nullable var removedMembers: Int?
        let modelsTrainedBeforeRemoval: Int
        @Nullable var removedMembersSeenByModels: Int?

        enum CodingKeys: String, CodingKey {
            case purges
            case removedMembers = "removed_members", modelsTrainedBeforeRemoval = "models_trained_before_removal"
            case removedMembersSeenByModels = "removed_members_seen_by_models"
        }
    }

    /// The active policy, as data: what a reader of the report needs to interpret the figures.
    struct PolicyWords: Encodable, Sendable {
        let regions: [PolicyRegion]
        let categoriesUsed: [String]
        let categoriesNeverUsed: [String]
        let minimumAge: Int
        let noticeDays: Int
        let honorGPC: Bool
        @Nullable var lookbackStart: Date?
        let objectionResponse: String
        let objectionMaxExtension: String

        enum CodingKeys: String, CodingKey {
            case regions
            case categoriesUsed = "categories_used", categoriesNeverUsed = "categories_never_used", minimumAge = "minimum_age"
            case noticeDays = "notice_days", honorGPC = "honor_gpc", lookbackStart = "lookback_start"
            case objectionResponse = "objection_response", objectionMaxExtension = "objection_max_extension"
        }

    }

    struct PolicyRegion: Encodable, Sendable {
        let id: String
        let countries: [String]
        let effective: Date
        let `default`: String
    }

    public init(_ figures: PublicFigures) {
        let policy = figures.policy
        from = figures.from
        to = figures.to
        policyVersion = figures.policyVersion
        minimumCount = figures.minimumCount
        members = figures.members
        eligible = figures.eligible
        excluded = figures.excluded
        byReason = Dictionary(uniqueKeysWithValues: figures.byReason.map { ($0.reason.rawValue, $0.count) })
        regions = figures.regions.map { Region(id: $0.id, members: $0.members, eligible: $0.eligible, excluded: $0.excluded) }
        weeks = figures.weeks.map { week in
            Week(start: week.start, end: week.end,
                 switchedOn: Dictionary(uniqueKeysWithValues: week.switchedOn.map { ($0.channel.rawValue, $0.count) }),
                 switchedOff: Dictionary(uniqueKeysWithValues: week.switchedOff.map { ($0.channel.rawValue, $0.count) }),
                 optedOutShare: Dictionary(uniqueKeysWithValues: week.shares.map { ($0.region, $0.optedOut) }),
                 optedInShare: Dictionary(uniqueKeysWithValues: week.shares.map { ($0.region, $0.optedIn) }),
                 objectionsReceived: week.objectionsReceived, objectionsDecided: week.objectionsDecided,
                 objectionsOverdue: week.objectionsOverdue)
        }
        objections = Objections(decided: figures.decided, onTime: figures.decidedOnTime, late: figures.decidedLate,
                                medianDaysToDecision: figures.medianDaysToDecision,
                                percentile95DaysToDecision: figures.percentile95DaysToDecision, responseTerm: figures.responseTerm.description)
        removal = Removal(purges: figures.purges, removedMembers: figures.removedMembers,
                          modelsTrainedBeforeRemoval: figures.modelsWithRemovedData, removedMembersSeenByModels: figures.removedMembersInModels)
        self.policy = PolicyWords(
            regions: policy.regions.map { PolicyRegion(id: $0.id, countries: $0.countries.map(\.description), effective: $0.effective,
                                                       default: $0.defaultRule.rawValue) },
            categoriesUsed: policy.allowedCategories.map(\.rawValue), categoriesNeverUsed: policy.excludedCategories.map(\.rawValue),
            minimumAge: policy.minimumAge, noticeDays: policy.noticeDays, honorGPC: policy.honorGPC, lookbackStart: policy.lookbackStart,
            objectionResponse: policy.objectionTerms.response.description, objectionMaxExtension: policy.objectionTerms.maxExtension.description)
    }

    enum CodingKeys: String, CodingKey {
        case format, from, to, members, eligible, excluded, regions, weeks, objections, removal, policy
        case policyVersion = "policy_version", minimumCount = "minimum_count", byReason = "by_reason"
    }
}
