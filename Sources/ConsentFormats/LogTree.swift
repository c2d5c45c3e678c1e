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

    /// This log's checkpoint of a tree of `size` leaves with head `root`.
    public func checkpoint(size: Int, root: TreeHash) -> Checkpoint { Checkpoint(origin: origin, size: size, root: root) }

    /// This log's checkpoint of the tree of `leaves`.
    public func checkpoint(of leaves: [TreeHash]) -> Checkpoint { checkpoint(size: leaves.count, root: MerkleTree.root(leaves)) }

    /// `checkpoint` as a signed note.
    public func sign(_ checkpoint: Checkpoint) throws -> String { try SignedNote.sign(checkpoint.text, by: signer) }
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

    /// A proof's hashes, each base64 of 32 bytes.
    static func hashes(_ items: [JSONValue]) throws -> [TreeHash] {
        try items.map { item -> TreeHash in
            guard case .string(let text) = item, let bytes = Data(base64Encoded: text), let hash = TreeHash(bytes) else {
                throw NoteError.notVerified("a proof hash is not 32 bytes of base64")
            }
            return hash
        }
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
        let proof = try ConsistencyProofJSON.hashes(items)
        return (m, n, proof)
    }
}

/// A receipt: the proof that one fact is in the log, which its member can keep and anyone can
/// check offline with the log's verifier key, trusting nothing else.
///
///     {"checkpoint": "<signed note>", "format": "consentry-receipt/1", "index": 8,
///      "leaf": "<the leaf's canonical JSON, exactly as hashed>", "proof": ["<base64>", …], "size": 12}
///
/// To check one: open the checkpoint with the verifier key (C2SP signed note, Ed25519); take its
/// size and tree head; hash the leaf as SHA-256(0x00 || leaf bytes); verify the RFC 9162 inclusion
/// proof of that hash at `index` in the tree of `size` leaves against the head; `size` must be the
/// checkpoint's.
public enum Receipt {
    public static let format = "consentry-receipt/1"

    /// The receipt of `entry`, whose inclusion proof in the tree `checkpoint` heads is `proof`,
    /// with the checkpoint signed now.
    public static func json(for entry: AuditEntry, proof: [TreeHash], in checkpoint: Checkpoint, signer: LogSigner) throws -> String {
        JSONWriter.object([
            "checkpoint": JSONWriter.string(try signer.sign(checkpoint)),
            "format": JSONWriter.string(format),
            "index": String(entry.sequence - 1),
            "leaf": JSONWriter.string(String(decoding: LogTree.leaf(entry), as: UTF8.self)),
            "proof": JSONWriter.array(proof.map { JSONWriter.string($0.base64) }),
            "size": String(checkpoint.size),
        ])
    }

    /// Checks a receipt; returns the leaf it proves and the checkpoint it is proved in.
    public static func verify(_ text: String, verifier: NoteVerifier) throws -> (leaf: String, index: Int, checkpoint: Checkpoint) {
        guard case .object(let members)? = try? JSONParser.parse(text) else { throw NoteError.notVerified("a receipt is a JSON object") }
        let fields = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard case .string(format)? = fields["format"], case .string(let note)? = fields["checkpoint"], case .string(let leaf)? = fields["leaf"],
              case .number(let indexText)? = fields["index"], let index = Int(indexText),
              case .number(let sizeText)? = fields["size"], let size = Int(sizeText), case .array(let items)? = fields["proof"] else {
            throw NoteError.notVerified("not a \(format) receipt: checkpoint, format, index, leaf, proof and size are required")
        }
        let checkpoint = try Checkpoint.open(note, verifier: verifier, origin: verifier.name)
        guard checkpoint.size == size else { throw NoteError.notVerified("the receipt's size \(size) is not its checkpoint's, \(checkpoint.size)") }
        let proof = try ConsistencyProofJSON.hashes(items)
        guard MerkleTree.verifyInclusion(leaf: MerkleTree.leafHash(Array(leaf.utf8)), index: index, size: size, proof: proof, root: checkpoint.root) else {
            throw NoteError.notVerified("the leaf is not at index \(index) of the log its checkpoint signs: the receipt was altered")
        }
        return (leaf, index, checkpoint)
    }
}

/// The log's leaves kept in memory and extended with only the entries recorded since the last
/// look: a checkpoint costs the new entries, not the whole log, and its head the right edge of
/// the tree (``MerkleTree/CompactRange``).
public actor LogTreeCache {
    private let store: any ConsentStore
    public private(set) var leaves: [TreeHash] = []
    private var range = MerkleTree.CompactRange()

    public init(store: any ConsentStore) { self.store = store }

    /// Reads the entries recorded since the last call; returns the size and head now.
    public func refresh() async throws -> (size: Int, root: TreeHash) {
        var fresh: [(sequence: Int64, hash: TreeHash)] = []
        try await store.auditEntries(after: Int64(leaves.count), limit: nil) { entry in fresh.append((entry.sequence, LogTree.leafHash(entry))) }
        // Another refresh may have run while this one read (an actor is reentrant at await):
        // take only the leaves that come next.
        for (sequence, leaf) in fresh where sequence == Int64(leaves.count) + 1 {
            leaves.append(leaf)
            range.append(leaf)
        }
        return (leaves.count, range.root)
    }

    /// The head of the tree of every leaf held.
    public var root: TreeHash { range.root }

    /// The audit path of leaf `index` in the tree of every leaf held, with that tree's size and
    /// head; nil when the tree has no such leaf. Computed here, so the leaves are never copied.
    public func inclusionProof(index: Int) -> (proof: [TreeHash], size: Int, root: TreeHash)? {
        guard index >= 0, index < leaves.count else { return nil }
        return (MerkleTree.inclusionProof(index: index, leaves: leaves[...]), leaves.count, range.root)
    }

    /// The consistency proof between the trees of `first` and `second` leaves; nil unless
    /// first ≤ second ≤ the leaves held.
    public func consistencyProof(first: Int, second: Int) -> [TreeHash]? {
        guard first >= 0, first <= second, second <= leaves.count else { return nil }
        return MerkleTree.consistencyProof(first: first, leaves: leaves[..<second])
    }
}
