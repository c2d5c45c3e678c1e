import ConsentCore
import Foundation

/// A signed exclusion list: the ids of the members who may not be used, between a header that
/// says when and from which log state they were decided and a trailer that counts them and
/// signs every byte before it, so that a worker can refuse one edited or cut short (a plain list
/// cut short would keep everyone it lost).
///
///     # consentry-exclusions 1
///     # as_of	2026-01-01T00:00:00Z
///     # decided_at	2026-03-02T10:00:00.123456Z
///     # log_origin	consentry.example/log
///     # log_size	1949992
///     # log_root	<base64>
///     urn:li:member:1001
///     …
///     # count	638371
///     # signature	NAME	BASE64(key ID || Ed25519 signature of every byte before this line)
///
/// The header is always the first six lines and the trailer the last two, so an id that starts
/// with "#" is never mistaken for either.
public enum SignedExclusions {
    public static let magic = "# consentry-exclusions 1"

    public static func text(ids: some Sequence<String>, asOf: Date, decidedAt: Date, log: Checkpoint, signer: LogSigner) throws -> String {
        var text = """
            \(magic)
            # as_of\t\(Timestamp.format(asOf))
            # decided_at\t\(Timestamp.format(decidedAt))
            # log_origin\t\(log.origin)
            # log_size\t\(log.size)
            # log_root\t\(log.root.base64)

            """
        var count = 0
        for id in ids {
            text += id + "\n"
            count += 1
        }
        text += "# count\t\(count)\n"
        let (name, signature) = try signer.signer.sign(bytes: Array(text.utf8))
        return text + "# signature\t\(name)\t\(signature)\n"
    }

    public struct Opened: Sendable {
        public var asOf: Date
        public var decidedAt: Date
        public var log: Checkpoint
        /// Byte ranges of the ids in the file.
        public var ids: [Range<Int>]
    }

    /// Checks a signed list's signature (when `verifier` is given), shape and count; returns
    /// where its ids are.
    public static func open(_ bytes: UnsafeBufferPointer<UInt8>, verifier: NoteVerifier?) throws -> Opened {
        func bad(_ why: String) -> NoteError { .notVerified("not a usable signed exclusion list: " + why) }
        var lines: [Range<Int>] = []
        var start = 0
        for index in 0..<bytes.count where bytes[index] == 0x0A {
            lines.append(start..<index)
            start = index + 1
        }
        guard start == bytes.count else { throw bad("its last line is cut off") }
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        guard lines.count >= 8, text(lines[0]) == magic else { throw bad("it does not have the header and trailer of \(magic)") }
        let signature = text(lines[lines.count - 1]).split(separator: "\t", omittingEmptySubsequences: false)
        guard signature.count == 3, signature[0] == "# signature" else { throw bad("its last line is not its signature") }
        if let verifier {
            try verifier.verify(name: String(signature[1]), signature: String(signature[2]),
                                of: UnsafeBufferPointer(rebasing: bytes[0..<lines[lines.count - 1].lowerBound]))
        }
        func field(_ line: Int, _ name: String) throws -> String {
            let parts = text(lines[line]).split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "# " + name else { throw bad("line \(line + 1) is not \(name)") }
            return String(parts[1])
        }
        guard let asOf = Timestamp.parse(try field(1, "as_of")), let decidedAt = Timestamp.parse(try field(2, "decided_at")),
              let size = Int(try field(4, "log_size")), let rootBytes = Data(base64Encoded: try field(5, "log_root")),
              let root = TreeHash(rootBytes), let count = Int(try field(lines.count - 2, "count")) else {
            throw bad("its header or count is unreadable")
        }
        let ids = Array(lines[6..<(lines.count - 2)])
        guard ids.count == count else { throw bad("it holds \(ids.count) ids, its trailer says \(count)") }
        return Opened(asOf: asOf, decidedAt: decidedAt, log: Checkpoint(origin: try field(3, "log_origin"), size: size, root: root), ids: ids)
    }
}
