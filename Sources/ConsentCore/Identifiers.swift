import Foundation

/// A member of the platform, as the platform names them: an opaque string of 1 to 256 bytes.
///
/// Member ids order by their UTF-8 bytes, the same order SQLite and PostgreSQL (`COLLATE "C"`)
/// give, so every listing of members is stable across stores and tools.
public struct MemberID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// The longest id accepted, in UTF-8 bytes.
    public static let maximumLength = 256

    /// Accepts an id of 1 to 256 UTF-8 bytes without control characters; nil otherwise.
    public init?(_ rawValue: String) {
        var rawValue = rawValue
        guard rawValue.withUTF8({ Self.check(UnsafeRawBufferPointer($0)) }) != nil else { return nil }
        self.rawValue = rawValue
    }

    /// The same from UTF-8 bytes, as stores read them: nil also when they are not valid UTF-8.
    public init?(utf8 bytes: UnsafeRawBufferPointer) {
        guard let ascii = Self.check(bytes),
              let rawValue = ascii ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
        else { return nil }
        self.rawValue = rawValue
    }

    /// Nil when `bytes` are no acceptable id; else whether they are all ASCII.
    private static func check(_ bytes: UnsafeRawBufferPointer) -> Bool? {
        guard bytes.count > 0, bytes.count <= maximumLength else { return nil }
        // Control characters (Unicode Cc): U+0000-001F, U+007F, and U+0080-009F (C2 80 ... C2 9F in UTF-8).
        var previous: UInt8 = 0, high: UInt8 = 0
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && byte >= 0x80 && byte <= 0x9F) { return nil }
            previous = byte
            high |= byte
        }
        return high < 0x80
    }

    public var description: String { rawValue }

    /// Byte order of the UTF-8 ids (as SQLite's BINARY and PostgreSQL's "C" collations),
    /// compared on contiguous bytes: snapshots sort a million ids.
    public static func < (lhs: MemberID, rhs: MemberID) -> Bool {
        let fast = lhs.rawValue.utf8.withContiguousStorageIfAvailable { a in
            rhs.rawValue.utf8.withContiguousStorageIfAvailable { b in
                for index in 0..<min(a.count, b.count) where a[index] != b[index] { return a[index] < b[index] }
                return a.count < b.count
            }
        }
        return (fast ?? nil) ?? lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }
}

/// Random identifiers: 64 bits from the system's secure generator as 16 hex digits.
public enum RandomHex {
    public static func sixteen() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = String(generator.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The identifier of one objection, e.g. `obj_3f9a1c2b7d4e8f60`.
public struct ObjectionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// A new random identifier (64 bits from the system's secure generator).
    public static func random() -> ObjectionID {
        ObjectionID(rawValue: "obj_" + RandomHex.sixteen())
    }

    public var description: String { rawValue }

    public static func < (lhs: ObjectionID, rhs: ObjectionID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }
}
