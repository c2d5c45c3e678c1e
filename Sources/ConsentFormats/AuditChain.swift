import ConsentCore
import Foundation

/// How audit entries are hashed and written, the same for every store.
public enum AuditChain {
    /// The previous hash of the first entry.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Canonical JSON of everything an entry says, its predecessor's hash included.
    public static func canonicalContent(sequence: Int64, recordedAt: Date, actor: String, action: AuditAction,
                                        subject: String, details: [String: String], previousHash: String) -> String {
        JSONWriter.object([
            "sequence": String(sequence),
            "recorded_at": JSONWriter.string(Timestamp.format(recordedAt)),
            "actor": JSONWriter.string(actor),
            "action": JSONWriter.string(action.rawValue),
            "subject": JSONWriter.string(subject),
            "details": detailsJSON(details),
            "previous_hash": JSONWriter.string(previousHash),
        ])
    }

    /// Seals a new entry after `previousHash`.
    public static func entry(sequence: Int64, recordedAt: Date, actor: String, action: AuditAction, subject: String,
                             details: [String: String], previousHash: String) -> AuditEntry {
        let content = canonicalContent(sequence: sequence, recordedAt: recordedAt, actor: actor, action: action,
                                       subject: subject, details: details, previousHash: previousHash)
        return AuditEntry(sequence: sequence, recordedAt: recordedAt, actor: actor, action: action, subject: subject,
                          details: details, previousHash: previousHash, hash: Digest.sha256Hex(content))
    }

    /// Checks `entry` against its predecessor's hash and sequence; nil when it holds.
    public static func problem(with entry: AuditEntry, previousHash: String, previousSequence: Int64) -> String? {
        if entry.sequence != previousSequence + 1 {
            return "expected entry \(previousSequence + 1) next, found \(entry.sequence): entries were deleted or reordered"
        }
        if entry.previousHash != previousHash {
            return "its previous_hash does not match the hash of entry \(previousSequence)"
        }
        let recomputed = self.entry(sequence: entry.sequence, recordedAt: entry.recordedAt, actor: entry.actor,
                                    action: entry.action, subject: entry.subject, details: entry.details,
                                    previousHash: entry.previousHash).hash
        if recomputed != entry.hash {
            return "its content does not match its hash: the entry was altered"
        }
        return nil
    }

    public static func detailsJSON(_ details: [String: String]) -> String {
        JSONWriter.object(details.mapValues(JSONWriter.string))
    }

    /// Decodes stored details (a flat object of strings).
    public static func details(fromJSON text: String) -> [String: String]? {
        guard case .object(let members)? = try? JSONParser.parse(text) else { return nil }
        var result: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let string) = value else { return nil }
            result[key] = string
        }
        return result
    }

    /// One JSON Lines row of `consentry audit export`.
    public static func exportLine(_ entry: AuditEntry) -> String {
        JSONWriter.object([
            "sequence": String(entry.sequence),
            "recorded_at": JSONWriter.string(Timestamp.format(entry.recordedAt)),
            "actor": JSONWriter.string(entry.actor),
            "action": JSONWriter.string(entry.action.rawValue),
            "subject": JSONWriter.string(entry.subject),
            "details": detailsJSON(entry.details),
            "previous_hash": JSONWriter.string(entry.previousHash),
            "hash": JSONWriter.string(entry.hash),
        ])
    }
}
