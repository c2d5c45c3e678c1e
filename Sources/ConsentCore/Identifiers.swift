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
        let count = rawValue.utf8.count
        guard count > 0, count <= Self.maximumLength,
              !rawValue.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: MemberID, rhs: MemberID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }
}

/// The identifier of one objection, e.g. `obj_3f9a1c2b7d4e8f60`.
public struct ObjectionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// A new random identifier (64 bits from the system's secure generator).
    public static func random() -> ObjectionID {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return ObjectionID(rawValue: "obj_" + String(repeating: "0", count: 16 - hex.count) + hex)
    }

    public var description: String { rawValue }

    public static func < (lhs: ObjectionID, rhs: ObjectionID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }
}
