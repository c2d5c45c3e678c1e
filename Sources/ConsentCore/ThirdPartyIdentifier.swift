/// One thing a non-member gave to identify their data (``Objection/identifiers``), as the gate
/// looks for it in records: a link, a handle or a name.
///
/// - A **link** (it starts with `http://`, `https://` or `www.`) is compared without its scheme,
///   a leading `www.`, the default port, the fragment and trailing slashes, in lower case:
///   `https://www.Example.com/posts/42/` is `example.com/posts/42`. It matches wherever it
///   appears as a whole link: `…com/posts/42` but not `…com/posts/420`; `…/posts/42?ref=x` and
///   `…/posts/42/comments` too (the same resource, or under it).
/// - A **handle** (it starts with `@`) matches as a whole word, in any case: `@SamDoe`.
/// - Anything else is a **name**, matched as whole words in any case (ASCII letters are folded;
///   other letters must match as written), runs of spaces read as one: `Sam Doe` matches
///   "…said sam doe." but not "Samuel Doe".
///
/// Matching over-removes rather than misses: a name shared by someone else takes their records
/// out too. The privacy team sees the identifiers before upholding.
public struct ThirdPartyIdentifier: Hashable, Sendable {
    public enum Kind: Sendable { case link, handle, name }

    public let kind: Kind
    /// What is searched for, in lower case: `example.com/posts/42`, `@samdoe`, `sam doe`.
    public let pattern: String

    /// Nil for an identifier that names nothing to search for (blank, or a bare `@`).
    public init?(_ identifier: String) {
        let lower = Self.foldingASCII(Self.trimmed(identifier))
        if let link = Self.link(lower) {
            (kind, pattern) = (.link, link)
        } else if lower.hasPrefix("@") {
            guard lower.count > 1 else { return nil }
            (kind, pattern) = (.handle, lower)
        } else {
            let words = lower.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            guard !words.isEmpty else { return nil }
            (kind, pattern) = (.name, words.joined(separator: " "))
        }
    }

    /// `https://www.Example.com:443/a/?q=1#top` → `example.com/a?q=1`; nil when `text` is no link.
    static func link(_ text: String) -> String? {
        var rest = Substring(text)
        if let scheme = rest.firstRange(of: "://"), rest[..<scheme.lowerBound].allSatisfy({ $0.isLetter }) {
            rest = rest[scheme.upperBound...]
        } else if !rest.hasPrefix("www.") {
            return nil
        }
        if rest.hasPrefix("www.") { rest = rest.dropFirst(4) }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var host = rest[..<hostEnd]
        for port in [":80", ":443"] where host.hasSuffix(port) { host = host.dropLast(port.count) }
        var path = rest[hostEnd...]
        if !path.contains("?") { while path.hasSuffix("/") { path = path.dropLast() } }
        guard !host.isEmpty, !host.contains(where: { $0 == " " }) else { return nil }
        return String(host) + String(path)
    }

    /// `text` without the white space and line breaks it begins or ends with (Foundation's
    /// `whitespacesAndNewlines`: Unicode's space, line and paragraph separators, tab, and U+000A
    /// to U+000D and U+0085), read scalar by scalar without Foundation, which costs far more for
    /// the thousands of identifiers a snapshot can carry.
    static func trimmed(_ text: String) -> Substring {
        func blank(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x09...0x0D, 0x20, 0x85: return true
            case 0...0x7F: return false
            default:
                switch scalar.properties.generalCategory {
                case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
                default: return false
                }
            }
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !blank($0) }), let last = scalars.lastIndex(where: { !blank($0) }) else { return "" }
        return Substring(scalars[first...last])
    }

    /// `text` with ASCII letters in lower case; other characters as they are.
    public static func foldingASCII(_ text: some StringProtocol) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
