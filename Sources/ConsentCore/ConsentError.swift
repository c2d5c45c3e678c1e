import Foundation

/// Everything that can go wrong in Consentry, each case carrying what a person needs to fix it.
public enum ConsentError: Error, Equatable, CustomStringConvertible {
    /// A policy failed validation; nothing was changed.
    case invalidPolicy(source: String, problems: [PolicyProblem])
    /// The version string is taken by a policy with different content.
    case policyVersionConflict(version: String, existingSHA256: String, newSHA256: String)
    /// No policy has been applied yet, so nobody can be decided eligible.
    case noActivePolicy
    case unknownPolicyVersion(String)
    /// One line of an import file is wrong: `FILE:LINE: field: message`.
    case invalidRecord(source: String, line: Int, field: String, message: String)
    /// A value given directly (an option, a request field) is wrong.
    case invalidField(field: String, message: String)
    /// A well-formed value the active policy does not allow (an extension beyond its
    /// max_extension): the field, and the policy's limit in a sentence.
    case outsidePolicy(field: String, message: String)
    case unknownMember(MemberID)
    case unknownObjection(ObjectionID)
    /// An objection cannot move that way from where it stands.
    case illegalTransition(objection: ObjectionID, message: String)
    case unknownDataset(DatasetID)
    /// A dataset or model cannot be registered or changed that way (a name taken, a purge
    /// already pending, a version out of order).
    case lineageConflict(String)
    /// Too many requests of one kind from one member, address or client in a window; one more
    /// is allowed after `retryAfter` seconds.
    case rateLimited(String, retryAfter: Int)
    /// A verification code was wrong: it proves nothing. `triesLeft` codes may still be tried.
    case verificationFailed(String, triesLeft: Int)
    /// A verification request can no longer be answered: expired, out of tries, or already verified.
    case verificationClosed(String)
    /// No non-member's objection request has this id.
    case unknownObjectionRequest(String)
    /// The store could not be read or written; nothing may be assumed about eligibility.
    case storeUnavailable(String)
    /// The audit chain does not verify at this entry.
    case auditChainBroken(sequence: Int64, message: String)
    /// A stored fact (a choice, a member, an objection event, a policy, a dataset, a model) does
    /// not match the log entry recorded with it, or has none: it was altered, deleted or inserted
    /// behind Consentry's back.
    case factAltered(String)
    /// An `Idempotency-Key` used before for a request with other content.
    case idempotencyKeyReused(String)

    public var description: String {
        switch self {
        case .invalidPolicy(let source, let problems):
            let lines = problems.map { problem in
                (problem.line.map { "\(source):\($0): " } ?? "\(source): ") + problem.description
            }
            return "invalid policy, nothing changed:\n" + lines.joined(separator: "\n")
        case .policyVersionConflict(let version, let existing, let new):
            return "policy version \(jsonStringLiteral(version)) already exists with different content (sha256 \(existing.prefix(12))…, this file \(new.prefix(12))…); give the new policy a new version"
        case .noActivePolicy:
            return "no policy is active; apply one with `consentry policy apply FILE.yaml`"
        case .unknownPolicyVersion(let version):
            return "no policy version \(jsonStringLiteral(version)) has been applied"
        case .invalidRecord(let source, let line, let field, let message):
            return field.isEmpty ? "\(source):\(line): \(message)" : "\(source):\(line): \(field): \(message)"
        case .invalidField(let field, let message), .outsidePolicy(let field, let message):
            return "\(field): \(message)"
        case .unknownMember(let id):
            return "unknown member \(jsonStringLiteral(id.rawValue))"
        case .unknownObjection(let id):
            return "unknown objection \(jsonStringLiteral(id.rawValue))"
        case .illegalTransition(let id, let message):
            return "objection \(id): \(message)"
        case .unknownDataset(let id):
            return "unknown dataset \(jsonStringLiteral(id.rawValue)); `consentry datasets list` shows them"
        case .lineageConflict(let message):
            return message
        case .rateLimited(let message, _), .verificationFailed(let message, _), .verificationClosed(let message), .idempotencyKeyReused(let message):
            return message
        case .unknownObjectionRequest(let id):
            return "no objection request \(jsonStringLiteral(id)) is waiting for a code; ask again at /objections/public"
        case .storeUnavailable(let message):
            return "the consent store is unavailable: \(message)"
        case .auditChainBroken(let sequence, let message):
            return "audit chain broken at entry \(sequence): \(message)"
        case .factAltered(let message):
            return "a stored fact does not match the audit log: \(message)"
        }
    }
}
