import ConsentCore
import Foundation

/// How audit entries are hashed and written, the same for every store.
///
/// Sealing has two steps. The *content digest* is the SHA-256 of the entry's canonical JSON
/// (action, actor, details, recorded_at in RFC 3339 UTC, subject; keys sorted): it depends on
/// nothing else, so imports compute it on another core. The *hash* links it into the chain:
/// SHA-256 of `previous_hash:sequence:content_digest`, where `previous_hash` is the hash of the
/// entry before (the genesis hash for the first). Details are stored as the exact JSON text that
/// was digested, so verification recomputes both from the stored columns, walking the log in order.
public enum AuditChain {
    /// The previous hash of the first entry.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// What an entry says, sealed except for its place in the chain.
    public struct Content: Sendable {
        public var actor: String
        public var action: AuditAction
        public var subject: String
        public var detailsJSON: String
        public var digest: String

        public init(recordedAt: String, actor: String, action: AuditAction, subject: String, detailsJSON: String) {
            self.actor = actor
            self.action = action
            self.subject = subject
            self.detailsJSON = detailsJSON
            digest = AuditChain.contentDigest(recordedAt: recordedAt, actor: actor, action: action.rawValue,
                                              subject: subject, detailsJSON: detailsJSON)
        }
    }

    /// SHA-256 (hex) of the entry's canonical content.
    public static func contentDigest(recordedAt: String, actor: String, action: String, subject: String,
                                     detailsJSON: String) -> String {
        var writer = JSONObjectWriter(capacity: 192 + detailsJSON.utf8.count)
        writer.stringField("action", action)
        writer.stringField("actor", actor)
        writer.field("details", detailsJSON)
        writer.stringField("recorded_at", recordedAt)
        writer.stringField("subject", subject)
        return writer.finishDigest()
    }

    /// SHA-256 (hex) linking content at `sequence` after `previousHash`.
    public static func link(previousHash: String, sequence: Int64, contentDigest: String) -> String {
        // One buffer, where concatenating the strings allocated one for each step.
        var bytes = [UInt8]()
        bytes.reserveCapacity(previousHash.utf8.count + contentDigest.utf8.count + 22)
        bytes.append(contentsOf: previousHash.utf8)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: String(sequence).utf8)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: contentDigest.utf8)
        return Digest.sha256Hex(bytes)
    }

    /// The hash sealing one entry after `previousHash`.
    public static func hash(sequence: Int64, recordedAt: String, actor: String, action: String, subject: String,
                            detailsJSON: String, previousHash: String) -> String {
        link(previousHash: previousHash, sequence: sequence,
             contentDigest: contentDigest(recordedAt: recordedAt, actor: actor, action: action, subject: subject, detailsJSON: detailsJSON))
    }

    /// Seals a new entry after `previousHash`.
    public static func entry(sequence: Int64, recordedAt: Date, actor: String, action: AuditAction, subject: String,
                             details: [String: String], previousHash: String) -> AuditEntry {
        let hash = hash(sequence: sequence, recordedAt: Timestamp.format(recordedAt), actor: actor, action: action.rawValue,
                        subject: subject, detailsJSON: detailsJSON(details), previousHash: previousHash)
        return AuditEntry(sequence: sequence, recordedAt: recordedAt, actor: actor, action: action, subject: subject,
                          details: details, previousHash: previousHash, hash: hash)
    }

    /// The stored columns of one entry, exactly as written, with the hash of the entry before
    /// it (the row before's `hash`; the log does not store it twice).
    public struct StoredEntry: Sendable {
        public var sequence: Int64
        public var recordedAt: Date
        public var actor: String
        public var action: String
        public var subject: String
        public var detailsJSON: String
        public var previousHash: String
        public var hash: String

        public init(sequence: Int64, recordedAt: Date, actor: String, action: String, subject: String,
                    detailsJSON: String, previousHash: String, hash: String) {
            self.sequence = sequence
            self.recordedAt = recordedAt
            self.actor = actor
            self.action = action
            self.subject = subject
            self.detailsJSON = detailsJSON
            self.previousHash = previousHash
            self.hash = hash
        }

        /// The entry as the domain sees it, or nil when its action or details are unreadable.
        public var entry: AuditEntry? {
            guard let action = AuditAction(rawValue: action), let details = AuditChain.details(fromJSON: detailsJSON) else { return nil }
            return AuditEntry(sequence: sequence, recordedAt: recordedAt, actor: actor, action: action, subject: subject,
                              details: details, previousHash: previousHash, hash: hash)
        }
    }

    /// Checks a stored entry against its predecessor; nil when it holds.
    public static func problem(with stored: StoredEntry, previousHash: String, previousSequence: Int64) -> String? {
        if stored.sequence != previousSequence + 1 {
            return "expected entry \(previousSequence + 1) next, found \(stored.sequence): entries were deleted or reordered"
        }
        let recomputed = hash(sequence: stored.sequence, recordedAt: Timestamp.format(stored.recordedAt), actor: stored.actor,
                              action: stored.action, subject: stored.subject, detailsJSON: stored.detailsJSON,
                              previousHash: previousHash)
        if recomputed != stored.hash {
            return "its content does not match its hash: the entry was altered"
        }
        if AuditAction(rawValue: stored.action) == nil {
            return "unknown action \(stored.action)"
        }
        return nil
    }

    /// Canonical JSON of flat string details.
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
        var writer = JSONObjectWriter(capacity: 384)
        writer.field("action", JSONWriter.string(entry.action.rawValue))
        writer.field("actor", JSONWriter.string(entry.actor))
        writer.field("details", detailsJSON(entry.details))
        writer.field("hash", JSONWriter.string(entry.hash))
        writer.field("previous_hash", JSONWriter.string(entry.previousHash))
        writer.field("recorded_at", JSONWriter.string(Timestamp.format(entry.recordedAt)))
        writer.field("sequence", String(entry.sequence))
        writer.field("subject", JSONWriter.string(entry.subject))
        return writer.finish()
    }
}
