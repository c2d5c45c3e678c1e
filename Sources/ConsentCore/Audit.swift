import Foundation

/// What an audit entry records.
public enum AuditAction: String, Sendable, CaseIterable {
    case policyApplied = "policy_applied"
    case memberImported = "member_imported"
    case choiceRecorded = "choice_recorded"
    case objectionFiled = "objection_filed"
    case objectionExtended = "objection_extended"
    case objectionDecided = "objection_decided"
    case objectionCompleted = "objection_completed"
    case datasetRegistered = "dataset_registered"
    case datasetPurgeStarted = "dataset_purge_started"
    case datasetPurged = "dataset_purged"
    case datasetPurgeAbandoned = "dataset_purge_abandoned"
    case modelRegistered = "model_registered"
}

/// Whose facts (``MemberFacts``) an audit entry's write changed.
public enum ChangedFacts: Sendable {
    /// The member the entry's subject names.
    case subjectMember
    /// The member (if any) of the objection the entry's subject names.
    case objectionMember
    /// No member's: policies (read on their own), datasets and models.
    case noMember
}

extension AuditAction {
    /// Whose facts an entry of this action changed. Every write of facts appends its entries in
    /// the transaction that writes them, so a cache of members' facts follows the log with this
    /// (``ConsentStore/factChanges(after:limit:)``).
    public var changedFacts: ChangedFacts {
        switch self {
        case .memberImported, .choiceRecorded: .subjectMember
        case .objectionFiled, .objectionExtended, .objectionDecided, .objectionCompleted: .objectionMember
        case .policyApplied, .datasetRegistered, .datasetPurgeStarted, .datasetPurged, .datasetPurgeAbandoned, .modelRegistered: .noMember
        }
    }
}

/// One link of the tamper-evident audit log.
///
/// `hash` is the SHA-256 over the previous entry's hash, this entry's sequence and the digest
/// of its canonical content, so altering, deleting or reordering any entry breaks every later
/// link (the formats module defines the exact bytes).
public struct AuditEntry: Sendable, Equatable {
    public var sequence: Int64
    public var recordedAt: Date
    public var actor: String
    public var action: AuditAction
    /// What the entry is about: a member id, an objection id, a policy version.
    public var subject: String
    /// Further facts, flat; personal data is referred to by digest, never copied here.
    public var details: [String: String]
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, recordedAt: Date, actor: String, action: AuditAction, subject: String,
                details: [String: String], previousHash: String, hash: String) {
        self.sequence = sequence
        self.recordedAt = recordedAt
        self.actor = actor
        self.action = action
        self.subject = subject
        self.details = details
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// The outcome of checking the whole chain.
public struct AuditVerification: Sendable, Equatable {
    public var entries: Int64
    /// The last entry's hash: anchor it elsewhere to detect truncation of the log's tail.
    public var headHash: String

    public init(entries: Int64, headHash: String) {
        self.entries = entries
        self.headHash = headHash
    }
}
