import ConsentCore
import Foundation

// Header lines that snapshots and exclusions lists made for the gate carry, beside the ids.

/// A plain exclusions list's word that it also lists every member who was under the minimum age
/// at some time since `since` (ever, when nil): its first line,
/// `# consentry-exclusions minors_in_window since=2020-01-01T00:00:00Z` (or `since=-`). No member
/// id is mistaken for it: ids are listed one per line after it.
public struct MinorsInWindow: Sendable, Equatable {
    public var since: Date?

    public init(since: Date?) { self.since = since }

    public static let prefix = "# consentry-exclusions minors_in_window since="

    /// The first line of such a list, without its newline.
    public static func line(since: Date?) -> String { prefix + (since.map(Timestamp.format) ?? "-") }

    /// The lines before the ids of an exclusions list made for the gate as of `asOf`
    /// (`consentry exclusions --minors-in-window`, `GET /api/v1/exclusions?minors_in_window=true`):
    /// this mark, with the window of the policies at `asOf` and now, then every objection of a
    /// non-member the gate must apply (``ThirdPartyObjection/applying(_:)``).
    public static func headerLines(_ view: DecisionView, asOf: Date, objections: [Objection]) throws -> [String] {
        [line(since: try view.recordTerms(asOf: asOf).windowStart)] + ThirdPartyObjection.applying(objections).map(\.headerLine)
    }
}

/// A non-member's objection as the gate applies it: its id and what identifies their data.
public struct ThirdPartyObjection: Sendable, Equatable {
    public var id: String
    /// As the person gave them.
    public var given: [String]
    public var identifiers: [ThirdPartyIdentifier]

    public init(id: String, identifiers: [String]) {
        self.id = id
        given = identifiers
        self.identifiers = identifiers.compactMap(ThirdPartyIdentifier.init)
    }

    /// The header line that carries it in a snapshot or an exclusions list made for the gate:
    /// `# third_party<TAB>obj_…<TAB>["https://example.com/p/1","Sam Doe"]`. The identifiers are
    /// personal data: such a file is shipped only to where the records are filtered.
    public var headerLine: String { Self.prefix + id + "\t" + JSONWriter.array(given.map(JSONWriter.string)) }

    public static let prefix = "# third_party\t"

    /// Reads ``headerLine`` (without its newline); nil when `line` is not one.
    public static func parse(headerLine line: Substring) -> ThirdPartyObjection? {
        guard line.hasPrefix(prefix) else { return nil }
        let parts = line.dropFirst(prefix.count).split(separator: "\t", maxSplits: 1)
        guard parts.count == 2, case .array(let values)? = try? JSONParser.parse(String(parts[1])) else { return nil }
        let identifiers = values.compactMap { if case .string(let text) = $0 { text } else { nil } }
        guard identifiers.count == values.count else { return nil }
        return ThirdPartyObjection(id: String(parts[0]), identifiers: identifiers)
    }

    /// The non-members' objections records must be checked against: every one not rejected
    /// (pending ones restrict use until decided, upheld ones for good).
    public static func applying(_ objections: [Objection]) -> [ThirdPartyObjection] {
        objections.filter { $0.member == nil && $0.status != .rejected }
            .map { ThirdPartyObjection(id: $0.id.rawValue, identifiers: $0.identifiers) }
    }

    /// The non-members' objections a purge removes records for: upheld ones, and completed ones
    /// (an erasure stays done: records naming them are removed again wherever they turn up).
    public static func removing(_ objections: [Objection]) -> [ThirdPartyObjection] {
        objections.filter { $0.member == nil && ($0.status == .upheld || $0.status == .completed) }
            .map { ThirdPartyObjection(id: $0.id.rawValue, identifiers: $0.identifiers) }
    }
}
