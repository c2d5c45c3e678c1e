import ConsentCore
import Crypto
import Foundation

/// SHA-256 digests as lower-case hex, the form every Consentry record uses.
public enum Digest {
    public static func sha256Hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { hex(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// The SHA-256 (hex) of a set of members: each id followed by a newline, in byte order,
    /// taken one id at a time so a million members are never held. The log records datasets'
    /// members this way, so a member added, dropped or swapped is found without any id being
    /// written into the log.
    public struct MemberSet {
        private var hasher = SHA256()

        public init() {}

        /// Adds the next id (in byte order, each once).
        public mutating func add(_ id: String) {
            var line = id + "\n"
            line.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        }

        public var sha256: String { Digest.hex(hasher.finalize()) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A digest (or an authentication code) as lower-case hex.
    public static func hex(_ digest: some ContiguousBytes) -> String {
        digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                hexDigits.withUnsafeBufferPointer { digits in
                    for (offset, byte) in bytes.enumerated() {
                        out[offset * 2] = digits[Int(byte >> 4)]
                        out[offset * 2 + 1] = digits[Int(byte & 0x0F)]
                    }
                }
                return bytes.count * 2
            }
        }
    }

    /// Compares two secrets (MACs, hashes, tokens) in time that depends only on their length.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

extension IdempotencyKey {
    /// The key `clientKey` (an `Idempotency-Key` header) means within `scope` (a member and an operation).
    /// `request` is what the request asks for, in a form equal for equal requests; only its
    /// SHA-256 is kept.
    public init(scope: String, clientKey: String, request: String? = nil) {
        self.init(digest: Digest.sha256Hex(scope + "\u{0}" + clientKey), request: request.map(Digest.sha256Hex))
    }
}
