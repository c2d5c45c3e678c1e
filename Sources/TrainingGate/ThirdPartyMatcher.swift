import ConsentCore
import ConsentFormats
import Foundation

/// Finds in records the identifiers non-members gave with their objections: every identifier of
/// every objection at once, each held to the boundaries of its kind (``ThirdPartyIdentifier``).
///
/// A match holds its identifier's first word (its first run of word bytes) as a whole word of
/// the text. So the text's words are looked up in the set of every identifier's first word
/// (``WordSet``, in C, many bytes at a time), which rules out nearly every record; only a text
/// holding one of them is folded and checked word by word against the identifiers that begin
/// with it. Ten thousand identifiers cost one lookup a word, not ten thousand searches.
///
/// Text is matched after ``fold(_:into:)``: ASCII letters in lower case, each run of spaces, tabs
/// and line breaks as one space.
final class ThirdPartyMatcher: @unchecked Sendable {
    private struct Pattern {
        var owner: Int32
        var bytes: [UInt8]
        var kind: ThirdPartyIdentifier.Kind
        /// Where its first word begins, and how long it is (0 when it has no word byte).
        var anchorOffset: Int
        var anchorLength: Int
    }

    private let patterns: [Pattern]
    /// The patterns by their first word's print (``WordSet/print(_:)``).
    private let byFirstWord: [UInt64: [Int32]]
    /// Patterns without a word byte (`?!`): looked for at every position.
    private let wordless: [Int32]
    /// Every pattern's first word; nil when some pattern has none.
    private let firstWords: WordSet?

    /// The quick "no" ``mayMatch(json:)`` asks (``firstWords``), for a caller that keeps the
    /// matcher alive and asks many times; nil when there is none.
    let quickNo: WordSet.Probe?

    /// Whether some identifier is spelled with digits and `-` alone, and so may be found in a JSON
    /// integer (a member field's id, usually); when none is, integers are not looked at.
    let mayMatchIntegers: Bool

    /// How many patterns: identifiers that name something to search for.
    var count: Int { patterns.count }

    /// `owners[i]` holds the identifiers of owner `i` (an objection).
    init(_ owners: [[ThirdPartyIdentifier]]) {
        var patterns: [Pattern] = []
        var byFirstWord: [UInt64: [Int32]] = [:]
        var wordless: [Int32] = []
        for (owner, identifiers) in owners.enumerated() {
            // In a stable order: which of two identifiers found at once is reported must not
            // depend on how a set happens to iterate.
            for identifier in Set(identifiers).sorted(by: { ($0.pattern, $0.kind.rank) < ($1.pattern, $1.kind.rank) }) {
                let bytes = Array(identifier.pattern.utf8)
                guard !bytes.isEmpty else { continue }
                let offset = bytes.firstIndex(where: Self.isWord) ?? bytes.count
                let length = bytes[offset...].prefix(while: Self.isWord).count
                let index = Int32(patterns.count)
                patterns.append(Pattern(owner: Int32(owner), bytes: bytes, kind: identifier.kind, anchorOffset: offset, anchorLength: length))
                if length == 0 {
                    wordless.append(index)
                } else {
                    byFirstWord[WordSet.print(Array(bytes[offset..<offset + length])), default: []].append(index)
                }
            }
        }
        self.patterns = patterns
        mayMatchIntegers = patterns.contains { $0.bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D } }
        self.byFirstWord = byFirstWord
        self.wordless = wordless
        // (With no patterns at all, an empty set: it answers "no" to every text.)
        firstWords = !wordless.isEmpty ? nil
            : WordSet(words: patterns.map { Array($0.bytes[$0.anchorOffset..<$0.anchorOffset + $0.anchorLength]) })
        quickNo = firstWords?.probe
    }

    /// Whether an identifier may be in the contents of a JSON string as the record holds them
    /// (escapes as they are), read without copying or decoding: false when none is (nearly every
    /// record); true when one may be, and ``firstMatch(_:)`` on the folded text must tell.
    func mayMatch(json raw: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !patterns.isEmpty else { return false }
        return quickNo?.mayHold(json: raw) ?? true
    }

    /// The owner of an identifier anywhere in a JSON record as it lies in the file: its keys,
    /// strings and numbers read as one text in which JSON's punctuation separates words, escapes
    /// decoded. `scratch` is reused between calls for the folded text.
    func owner(inRecord raw: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8]) -> Int? {
        if !mayMatch(json: raw) { return nil }
        if scratch.count < raw.count { scratch = [UInt8](repeating: 0, count: max(raw.count, 2 * scratch.count)) }
        let length = scratch.withUnsafeMutableBufferPointer { Self.foldJSON(raw, into: $0) }
        if let length { return scratch.withUnsafeBufferPointer { firstMatch(UnsafeBufferPointer(rebasing: $0[..<length])) } }
        // A \u escape: decode the record, and match its keys and values one by one.
        guard let value = try? JSONParser.parse(String(decoding: raw, as: UTF8.self)) else { return nil }
        var texts: [String] = []
        Self.collectTexts(value, into: &texts)
        var decoded: [UInt8] = []
        for text in texts {
            Array(text.utf8).withUnsafeBufferPointer { Self.fold($0, into: &decoded) }
            if let owner = decoded.withUnsafeBufferPointer({ firstMatch($0) }) { return owner }
        }
        return nil
    }

    /// Every key, string and number in `value`.
    private static func collectTexts(_ value: JSONValue, into texts: inout [String]) {
        switch value {
        case .string(let text), .number(let text): texts.append(text)
        case .array(let values): for element in values { collectTexts(element, into: &texts) }
        case .object(let members):
            for member in members {
                texts.append(member.key)
                collectTexts(member.value, into: &texts)
            }
        case .null, .bool: break
        }
    }

    /// The owner of the first identifier found in `text` (folded), or nil: the one that ends
    /// first, the longer of two that end together, the earlier given of two alike.
    func firstMatch(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        var best: (end: Int, length: Int, index: Int32)?
        func consider(_ index: Int32, at start: Int) {
            let pattern = patterns[Int(index)]
            let end = start + pattern.bytes.count - 1
            guard start >= 0, end < text.count else { return }
            if let best, (best.end, -best.length, best.index) < (end, -pattern.bytes.count, index) { return }
            guard pattern.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, text.baseAddress! + start, $0.count) == 0 }),
                  accepts(pattern, endingAt: end, in: text) else { return }
            best = (end, pattern.bytes.count, index)
        }
        var position = 0
        while position < text.count {
            guard Self.isWord(text[position]) else {
                position += 1
                continue
            }
            let wordStart = position
            while position < text.count, Self.isWord(text[position]) { position += 1 }
            let word = UnsafeBufferPointer(rebasing: text[wordStart..<position])
            guard let candidates = byFirstWord[WordSet.print(word)] else { continue }
            for index in candidates where patterns[Int(index)].anchorLength == word.count {
                consider(index, at: wordStart - patterns[Int(index)].anchorOffset)
            }
        }
        for index in wordless {
            for start in 0..<text.count { consider(index, at: start) }
        }
        return best.map { Int(patterns[Int($0.index)].owner) }
    }

    /// Whether the text around a match of `pattern` ending at `end` closes it as its kind needs.
    private func accepts(_ pattern: Pattern, endingAt end: Int, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = end - pattern.bytes.count + 1
        let before: UInt8? = start > 0 ? text[start - 1] : nil
        let after: UInt8? = end + 1 < text.count ? text[end + 1] : nil
        switch pattern.kind {
        case .name:
            // A name that starts or ends with a word character must not continue a word there.
            if Self.isWord(pattern.bytes[0]), let before, Self.isWord(before) { return false }
            if Self.isWord(pattern.bytes[pattern.bytes.count - 1]), let after, Self.isWord(after) { return false }
            return true
        case .handle:
            if let before, Self.isWord(before) { return false }
            if let after, Self.isWord(after) { return false }
            return true
        case .link:
            // Whole links: not the end of a longer host, and not a longer path segment.
            if let before, Self.isWord(before) || before == 0x2D { return false }
            if let after, Self.isWord(after) || after == 0x2D || after == 0x2E || after == 0x25 || after == 0x7E { return false }
            return true
        }
    }

    /// ASCII letters and digits, `_`, and every byte of a non-ASCII character (letters of other scripts).
    @inline(__always)
    static func isWord(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F || byte >= 0x80
    }

    /// Writes `text` folded for matching into `buffer` (replacing its contents): ASCII letters in
    /// lower case, each run of whitespace as one space.
    static func fold(_ text: UnsafeBufferPointer<UInt8>, into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        var space = false
        for byte in text {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                if !space { buffer.append(0x20) }
                space = true
                continue
            }
            space = false
            buffer.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
        }
    }

    /// The byte a JSON escape `\\X` stands for when folding (`\\n`, `\\t`, `\\r` as a space, the
    /// others as their character); nil for `\\u`, which needs the string decoded.
    @inline(__always)
    static func unescaped(_ escaped: UInt8) -> UInt8? {
        switch escaped {
        case 0x6E, 0x74, 0x72: 0x20
        case 0x75: nil
        case 0x62: 0x08
        case 0x66: 0x0C
        default: escaped
        }
    }

    /// Folds the contents of a JSON string as they are in the record, escapes included, into
    /// `buffer` (which must hold `raw.count` bytes); returns the folded length, or nil when the
    /// string holds a `\u` escape (decode it first). `\n`, `\t`, `\r` count as whitespace;
    /// `\"`, `\\`, `\/`, `\b`, `\f` as their character: the same bytes as ``fold(_:into:)`` of
    /// the decoded string.
    static func foldJSON(_ raw: UnsafeBufferPointer<UInt8>, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        var length = 0
        var space = false
        var index = 0
        while index < raw.count {
            var byte = raw[index]
            index += 1
            if byte == 0x5C, index < raw.count {
                guard let plain = Self.unescaped(raw[index]) else { return nil }
                byte = plain
                index += 1
            }
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                if !space { buffer[length] = 0x20; length += 1 }
                space = true
                continue
            }
            space = false
            buffer[length] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            length += 1
        }
        return length
    }
}

private extension ThirdPartyIdentifier.Kind {
    /// An order for identifiers whose patterns are alike (a link and a name can both read `example.com/a`).
    var rank: Int {
        switch self {
        case .link: 0
        case .handle: 1
        case .name: 2
        }
    }
}
