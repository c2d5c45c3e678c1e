import ConsentCore
import Foundation

/// The transparency log: the audit log's entries as the leaves of one RFC 9162 Merkle tree, in
/// order (leaf index = sequence - 1), whose heads are published as signed C2SP checkpoints.
///
/// A leaf is the entry's canonical JSON, keys sorted and no spaces:
/// `{"actor":…,"details":{…},"recorded_at":"…","sequence":N,"subject":…,"type":"choice_recorded"}`.
/// Details refer to members' data by digest, so a leaf and its proofs can be shown without
/// exposing anyone else.
public enum LogTree {
    public static func leaf(_ entry: AuditEntry) -> [UInt8] {
        var writer = JSONObjectWriter(capacity: 256)
        writer.field("actor", JSONWriter.string(entry.actor))
        writer.field("details", AuditChain.detailsJSON(entry.details))
        writer.field("recorded_at", JSONWriter.string(Timestamp.format(entry.recordedAt)))
        writer.field("sequence", String(entry.sequence))
        writer.field("subject", JSONWriter.string(entry.subject))
        writer.field("type", JSONWriter.string(entry.action.rawValue))
        return Array(writer.finish().utf8)
    }

    public static func leafHash(_ entry: AuditEntry) -> TreeHash { MerkleTree.leafHash(leaf(entry)) }
}

/// Where the log's checkpoints are signed: the signer key and the origin line (the key's name).
public struct LogSigner: Sendable {
    public let signer: NoteSigner
    public var origin: String { signer.name }

    public init(_ signer: NoteSigner) { self.signer = signer }

    /// The key in `CONSENTRY_LOG_KEY` (a signer key's text) or in the file it names with
    /// `CONSENTRY_LOG_KEY_FILE`; nil when neither is set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LogSigner? {
        if let text = environment["CONSENTRY_LOG_KEY"], !text.isEmpty { return LogSigner(try NoteSigner(signerKey: text)) }
        if let path = environment["CONSENTRY_LOG_KEY_FILE"], !path.isEmpty { return try load(path: path) }
        return nil
    }

    public static func load(path: String) throws -> LogSigner {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw NoteError.badKey("cannot read the log key file \(path)")
        }
        return LogSigner(try NoteSigner(signerKey: text))
    }

    /// The signed checkpoint of the tree of `leaves`.
    public func checkpoint(of leaves: [TreeHash]) throws -> String {
        try SignedNote.sign(Checkpoint(origin: origin, size: leaves.count, root: MerkleTree.root(leaves)).text, by: signer)
    }
}

extension ConsentStore {
    /// Every leaf hash of the log, in order, read from one snapshot of the audit log.
    public func logLeafHashes() async throws -> [TreeHash] {
        var hashes: [TreeHash] = []
        try await auditEntries(from: nil, to: nil) { entry in hashes.append(LogTree.leafHash(entry)) }
        return hashes
    }
}

/// A consistency proof as the log serves it: `{"first":N,"proof":["base64",…],"second":M}`.
public enum ConsistencyProofJSON {
    public static func encode(first: Int, second: Int, proof: [TreeHash]) -> String {
        JSONWriter.object(["first": String(first), "second": String(second),
                           "proof": JSONWriter.array(proof.map { JSONWriter.string($0.base64) })])
    }

    public static func decode(_ text: String) throws -> (first: Int, second: Int, proof: [TreeHash]) {
        guard case .object(let members)? = try? JSONParser.parse(text) else {
            throw NoteError.notVerified("not a consistency proof: {\"first\", \"second\", \"proof\": [base64, …]}")
        }
        let fields = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard case .number(let first)? = fields["first"], let m = Int(first),
              case .number(let second)? = fields["second"], let n = Int(second),
              case .array(let items)? = fields["proof"] else {
            throw NoteError.notVerified("not a consistency proof: {\"first\", \"second\", \"proof\": [base64, …]}")
        }
        let proof = try items.map { item -> TreeHash in
            guard case .string(let text) = item, let bytes = Data(base64Encoded: text), let hash = TreeHash(bytes) else {
                throw NoteError.notVerified("a proof hash is not 32 bytes of base64")
            }
            return hash
        }
        return (m, n, proof)
    }
}
