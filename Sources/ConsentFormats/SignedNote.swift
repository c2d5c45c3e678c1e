import Crypto
import Foundation

/// Ed25519 keys for C2SP signed notes (https://c2sp.org/signed-note), in the text forms Go's
/// `golang.org/x/mod/sumdb/note` uses: a verifier key `NAME+HASH+BASE64(0x01 || public key)`
/// that anyone may hold, and a signer key `PRIVATE+KEY+NAME+HASH+BASE64(0x01 || seed)` that
/// only the log holds. HASH is the key ID: the first four bytes of
/// SHA-256(NAME || 0x0A || 0x01 || public key), as eight hex digits.
public struct NoteSigner: Sendable {
    public let name: String
    let key: Curve25519.Signing.PrivateKey

    /// A new random key named `name` (a schema-less URL such as `consentry.example/log`).
    public static func generate(name: String) throws -> NoteSigner {
        try NoteVerifier.checkName(name)
        return NoteSigner(name: name, key: Curve25519.Signing.PrivateKey())
    }

    /// Reads a signer key; throws naming what is wrong (never echoing the key).
    public init(signerKey text: String) throws {
        // The base64 key part may hold "+" itself.
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw NoteError.badKey("a signer key has the form PRIVATE+KEY+NAME+HASH+KEY")
        }
        let name = String(parts[2])
        try NoteVerifier.checkName(name)
        guard let bytes = NoteVerifier.ed25519Bytes(parts[4]), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes) else {
            throw NoteError.badKey("the signer key's key part is not an Ed25519 key (base64 of 0x01 and 32 bytes)")
        }
        self.init(name: name, key: key)
        guard verifier.keyIDHex == parts[3] else { throw NoteError.badKey("the signer key's hash does not match its key") }
    }

    init(name: String, key: Curve25519.Signing.PrivateKey) {
        self.name = name
        self.key = key
    }

    public var verifier: NoteVerifier { NoteVerifier(name: name, key: key.publicKey) }

    /// The text form of this key: keep it secret.
    public var signerKey: String {
        "PRIVATE+KEY+\(name)+\(verifier.keyIDHex)+" + Data([0x01] + key.rawRepresentation).base64EncodedString()
    }

    /// The signature line's value: base64(key ID || Ed25519 signature of `text`).
    func signature(of text: String) throws -> String {
        let signature = try key.signature(for: Data(text.utf8))
        return Data(verifier.keyID + signature).base64EncodedString()
    }
}

/// The public half of a ``NoteSigner``: checks notes signed by it.
public struct NoteVerifier: Sendable, Equatable {
    public let name: String
    let key: Curve25519.Signing.PublicKey

    init(name: String, key: Curve25519.Signing.PublicKey) {
        self.name = name
        self.key = key
    }

    /// Reads `NAME+HASH+BASE64(0x01 || public key)`.
    public init(verifierKey text: String) throws {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw NoteError.badKey("a verifier key has the form NAME+HASH+KEY") }
        let name = String(parts[0])
        try Self.checkName(name)
        guard let bytes = Self.ed25519Bytes(parts[2]), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
            throw NoteError.badKey("the verifier key's key part is not an Ed25519 public key (base64 of 0x01 and 32 bytes)")
        }
        self.init(name: name, key: key)
        guard keyIDHex == parts[1] else { throw NoteError.badKey("the verifier key's hash does not match its key") }
    }

    /// `NAME+HASH+BASE64(0x01 || public key)`.
    public var verifierKey: String { "\(name)+\(keyIDHex)+" + Data([0x01] + key.rawRepresentation).base64EncodedString() }

    /// SHA-256(name || 0x0A || 0x01 || public key)[:4].
    var keyID: [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8) + [0x0A, 0x01])
        hasher.update(data: key.rawRepresentation)
        return Array(hasher.finalize().prefix(4))
    }

    var keyIDHex: String { Digest.hex(keyID) }

    public static func == (lhs: NoteVerifier, rhs: NoteVerifier) -> Bool {
        lhs.name == rhs.name && lhs.key.rawRepresentation == rhs.key.rawRepresentation
    }

    /// The 32 key bytes of a key part, base64 of the Ed25519 type byte 0x01 and the key.
    static func ed25519Bytes(_ part: Substring) -> Data? {
        guard let data = Data(base64Encoded: String(part)), data.count == 33, data.first == 0x01 else { return nil }
        return data.dropFirst()
    }

    static func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.contains("+"), !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) else {
            throw NoteError.badKey("a key name is not empty and has no space, control character or \"+\"")
        }
    }
}

public enum NoteError: Error, Equatable, CustomStringConvertible {
    case badKey(String)
    /// The note is malformed, or no signature of the trusted key verifies.
    case notVerified(String)

    public var description: String {
        switch self {
        case .badKey(let why): "bad key: \(why)"
        case .notVerified(let why): "the note does not verify: \(why)"
        }
    }
}

/// A C2SP signed note: a text ending in a newline, a blank line, then signature lines
/// `— NAME BASE64(key ID || signature)`.
public enum SignedNote {
    static let dash = "\u{2014} "

    /// `text` (ending in a newline) signed by `signer`.
    public static func sign(_ text: String, by signer: NoteSigner) throws -> String {
        guard text.hasSuffix("\n"), !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) else {
            throw NoteError.notVerified("a note's text ends in a newline and holds no other control character")
        }
        return text + "\n" + dash + signer.name + " " + (try signer.signature(of: text)) + "\n"
    }

    /// The text of `note` once a signature by `verifier` verifies; throws otherwise. Signatures of
    /// other keys are ignored; a signature of this key that fails rejects the note.
    public static func open(_ note: String, verifier: NoteVerifier) throws -> String {
        guard let split = note.range(of: "\n\n" + dash, options: .backwards) else {
            throw NoteError.notVerified("no signature lines after a blank line")
        }
        let text = String(note[..<note.index(after: split.lowerBound)])
        let lines = note[note.index(split.lowerBound, offsetBy: 2)...].split(separator: "\n", omittingEmptySubsequences: false)
        guard note.hasSuffix("\n"), lines.last == "" else { throw NoteError.notVerified("the last signature line is cut off") }
        var verified = false
        for line in lines.dropLast() {
            guard line.hasPrefix(dash) else { throw NoteError.notVerified("a signature line does not start with an em dash") }
            let fields = line.dropFirst(dash.count).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, let data = Data(base64Encoded: String(fields[1])), data.count > 4 else {
                throw NoteError.notVerified("a signature line is malformed")
            }
            guard fields[0] == verifier.name, Array(data.prefix(4)) == verifier.keyID else { continue }
            guard data.count == 68, verifier.key.isValidSignature(data.dropFirst(4), for: Data(text.utf8)) else {
                throw NoteError.notVerified("the signature of \(verifier.name) is wrong (the note was altered, or signed by another key)")
            }
            verified = true
        }
        guard verified else { throw NoteError.notVerified("no signature of \(verifier.name)") }
        return text
    }
}

/// A C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the log's origin, its size and
/// its tree head, as the text of a signed note.
public struct Checkpoint: Sendable, Equatable {
    public var origin: String
    public var size: Int
    public var root: TreeHash

    public init(origin: String, size: Int, root: TreeHash) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// `ORIGIN\nSIZE\nBASE64(ROOT)\n`.
    public var text: String { "\(origin)\n\(size)\n\(root.base64)\n" }

    /// The checkpoint of a signed note's text; extension lines after the root are allowed.
    public init(text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines.last == "", !lines[0].isEmpty, let size = Int(lines[1]), size >= 0, String(size) == lines[1],
              let bytes = Data(base64Encoded: String(lines[2])), let root = TreeHash(bytes) else {
            throw NoteError.notVerified("not a checkpoint: origin, size and base64 tree head, each on its line")
        }
        self.init(origin: String(lines[0]), size: size, root: root)
    }

    /// Opens `note` with `verifier` and reads the checkpoint; the origin must be `origin` when given.
    public static func open(_ note: String, verifier: NoteVerifier, origin: String? = nil) throws -> Checkpoint {
        let checkpoint = try Checkpoint(text: try SignedNote.open(note, verifier: verifier))
        if let origin, checkpoint.origin != origin {
            throw NoteError.notVerified("the checkpoint is of log \(checkpoint.origin), not \(origin)")
        }
        return checkpoint
    }
}

/// Ed25519 signatures over whole files (snapshots), in the signed-note form: the key's name and
/// base64(key ID || signature).
extension NoteSigner {
    public func sign(bytes: some DataProtocol) throws -> (name: String, signature: String) {
        (name, Data(verifier.keyID + (try key.signature(for: Data(bytes)))).base64EncodedString())
    }
}

extension NoteVerifier {
    /// Throws unless `signature` (base64(key ID || signature)) is this key's over `bytes`.
    public func verify(name: String, signature: String, of bytes: some DataProtocol) throws {
        guard name == self.name, let data = Data(base64Encoded: signature), data.count == 68, Array(data.prefix(4)) == keyID else {
            throw NoteError.notVerified("it is signed by another key than \(self.name)")
        }
        guard key.isValidSignature(data.dropFirst(4), for: Data(bytes)) else {
            throw NoteError.notVerified("the signature of \(self.name) does not match: the file was altered")
        }
    }
}
