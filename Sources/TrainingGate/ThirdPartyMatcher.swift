import ConsentCore
import ConsentFormats
import Foundation

/// Finds in records the identifiers non-members gave with their objections: every identifier of
/// every objection at once, in one pass over the text (an Aho-Corasick automaton over bytes),
/// each held to the boundaries of its kind (``ThirdPartyIdentifier``). Ten thousand patterns
/// cost one automaton walk per byte, not ten thousand searches.
///
/// Text is matched after ``fold(_:into:)``: ASCII letters in lower case, each run of spaces, tabs
/// and line breaks as one space.
final class ThirdPartyMatcher: @unchecked Sendable {
    private struct Pattern {
        var owner: Int32
        var length: Int32
        var kind: ThirdPartyIdentifier.Kind
        /// Whether the pattern starts or ends with a word character, which then must not continue.
        var wordStart: Bool
        var wordEnd: Bool
    }

    private let patterns: [Pattern]
    /// Bytes that occur in some pattern get a class from 1; every other byte is class 0 and
    /// always leads back to the root. The automaton is a full DFA over these classes.
    private let byteClass: [UInt8]
    /// The class of each byte once folded (``fold(_:into:)``): upper-case ASCII as lower case,
    /// tabs and line breaks as a space. ``mayMatch(json:)`` reads records through it.
    private let foldClass: [UInt8]
    private let classes: Int
    /// `next[node * classes + class]`: the state after reading a byte of that class (failures
    /// already followed), as the start of its row (`state * classes`), bitwise negated when some
    /// pattern ends there: each byte costs one load and one test.
    private let next: [Int32]
    /// The patterns ending at each node, its fail chain's included: `outputStart[node]..<outputStart[node + 1]`.
    private let outputStart: [Int32]
    private let outputs: [Int32]

    /// How many patterns: identifiers that name something to search for.
    var count: Int { patterns.count }

    /// `owners[i]` holds the identifiers of owner `i` (an objection).
    init(_ owners: [[ThirdPartyIdentifier]]) {
        var patterns: [Pattern] = []
        var children: [[UInt8: Int32]] = [[:]]
        var ends: [[Int32]] = [[]]
        var lastByte: [UInt8] = [0]
        for (owner, identifiers) in owners.enumerated() {
            for identifier in Set(identifiers) {
                let bytes = Array(identifier.pattern.utf8)
                guard !bytes.isEmpty else { continue }
                var node = 0
                for byte in bytes {
                    if let next = children[node][byte] {
                        node = Int(next)
                    } else {
                        children.append([:])
                        ends.append([])
                        lastByte.append(byte)
                        children[node][byte] = Int32(children.count - 1)
                        node = children.count - 1
                    }
                }
                ends[node].append(Int32(patterns.count))
                patterns.append(Pattern(owner: Int32(owner), length: Int32(bytes.count), kind: identifier.kind,
                                        wordStart: Self.isWord(bytes[0]), wordEnd: Self.isWord(bytes[bytes.count - 1])))
            }
        }
        // Fail links, breadth first: the longest proper suffix of each node's text that is a node.
        var fail = [Int32](repeating: 0, count: children.count)
        var queue = children[0].values.map(Int.init)
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for (byte, child) in children[node] {
                let child = Int(child)
                var suffix = Int(fail[node])
                while node != 0, suffix != 0, children[suffix][byte] == nil { suffix = Int(fail[suffix]) }
                if node != 0, let target = children[suffix][byte], Int(target) != child { fail[child] = target }
                ends[child] += ends[Int(fail[child])]
                queue.append(child)
            }
        }
        var byteClass = [UInt8](repeating: 0, count: 256)
        var classes = 1
        for node in children {
            for byte in node.keys where byteClass[Int(byte)] == 0 {
                byteClass[Int(byte)] = UInt8(classes)
                classes += 1
            }
        }
        // The DFA, breadth first so that a node's fail state is complete before it.
        var next = [Int32](repeating: 0, count: children.count * classes)
        for (byte, child) in children[0] { next[Int(byteClass[Int(byte)])] = child }
        for node in queue {
            let base = node * classes, failBase = Int(fail[node]) * classes
            for symbol in 0..<classes { next[base + symbol] = next[failBase + symbol] }
            for (byte, child) in children[node] { next[base + Int(byteClass[Int(byte)])] = child }
        }
        var outputStart: [Int32] = [0], outputs: [Int32] = []
        for node in 0..<children.count {
            outputs += ends[node]
            outputStart.append(Int32(outputs.count))
        }
        for index in next.indices {
            let target = Int(next[index])
            next[index] = ends[target].isEmpty ? Int32(target * classes) : ~Int32(target * classes)
        }
        // A space read right after a space changes nothing (runs of spaces read as one): a state
        // entered by a space stays put on another. (Only such states can follow a space: the
        // text's suffix they stand for ends with it.)
        let space = Int(byteClass[0x20])
        if space != 0 {
            for node in 1..<children.count where lastByte[node] == 0x20 { next[node * classes + space] = Int32(node * classes) }
        }
        var foldClass = [UInt8](repeating: 0, count: 256)
        for byte in 0..<256 {
            let folded = byte == 0x09 || byte == 0x0A || byte == 0x0D ? 0x20 : (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            foldClass[byte] = byteClass[folded]
        }
        self.foldClass = foldClass
        self.patterns = patterns
        self.byteClass = byteClass
        self.classes = classes
        self.next = next
        self.outputStart = outputStart
        self.outputs = outputs
    }

    /// Whether an identifier may be in the contents of a JSON string as the record holds them,
    /// read through the automaton in one pass without copying or decoding: false when none is
    /// (nearly every record), true when one may be (``firstMatch(_:)`` on the folded text then
    /// checks its boundaries), nil when a `\u` escape needs the string decoded first.
    func mayMatch(json raw: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard !patterns.isEmpty else { return false }
        return next.withUnsafeBufferPointer { next in
            foldClass.withUnsafeBufferPointer { foldClass in
                var row = 0
                var index = 0
                while index < raw.count {
                    var byte = raw[index]
                    index &+= 1
                    if byte == 0x5C, index < raw.count {
                        guard let plain = Self.unescaped(raw[index]) else { return nil }
                        byte = plain
                        index &+= 1
                    }
                    let entry = next[row &+ Int(foldClass[Int(byte)])]
                    if entry < 0 { return true }
                    row = Int(entry)
                }
                return false
            }
        }
    }

    /// The owner of an identifier anywhere in a JSON record as it lies in the file: its keys,
    /// strings and numbers read as one text in which JSON's punctuation separates words, escapes
    /// decoded. `scratch` is reused between calls for the folded text.
    func owner(inRecord raw: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8]) -> Int? {
        if mayMatch(json: raw) == false { return nil }
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

    /// The owner of the first identifier found in `text` (folded), or nil.
    func firstMatch(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !patterns.isEmpty else { return nil }
        return next.withUnsafeBufferPointer { next in
            byteClass.withUnsafeBufferPointer { byteClass in
                outputStart.withUnsafeBufferPointer { outputStart in
                    var row = 0
                    for position in 0..<text.count {
                        let entry = next[row &+ Int(byteClass[Int(text[position])])]
                        if entry >= 0 {
                            row = Int(entry)
                            continue
                        }
                        row = Int(~entry)
                        let state = row / classes
                        for output in Int(outputStart[state])..<Int(outputStart[state + 1]) {
                            let pattern = patterns[Int(outputs[output])]
                            if accepts(pattern, endingAt: position, in: text) { return Int(pattern.owner) }
                        }
                    }
                    return nil
                }
            }
        }
    }

    /// Whether the text around a match of `pattern` ending at `end` closes it as its kind needs.
    private func accepts(_ pattern: Pattern, endingAt end: Int, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = end - Int(pattern.length) + 1
        let before: UInt8? = start > 0 ? text[start - 1] : nil
        let after: UInt8? = end + 1 < text.count ? text[end + 1] : nil
        switch pattern.kind {
        case .name:
            if pattern.wordStart, let before, Self.isWord(before) { return false }
            if pattern.wordEnd, let after, Self.isWord(after) { return false }
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
