import ConsentCore
import ConsentFormats
import Foundation

/// Finds in records the identifiers non-members gave with their objections: every identifier of
/// every objection at once, in one pass over the text (an Aho-Corasick automaton over bytes),
/// each held to the boundaries of its kind (``ThirdPartyIdentifier``). Ten thousand patterns
/// cost one automaton walk per byte, not ten thousand searches; and before it, a set of every
/// identifier's first word (``WordSet``) looked up once per word of the text rules out nearly
/// every record without the walk.
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
    /// The patterns ending at each node, its fail chain's included: `outputs[outputStart[node]..<outputEnd[node]]`.
    private let outputStart: [Int32]
    private let outputEnd: [Int32]
    private let outputs: [Int32]
    /// Each pattern's first word (its first run of word bytes, which a match must hold whole),
    /// for a quick "no" many bytes at a time before the automaton; nil when some pattern has no
    /// word byte.
    private let firstWords: WordSet?

    /// The quick "no" ``mayMatch(json:)`` asks first (``firstWords``), for a caller that keeps
    /// the matcher alive and asks many times; nil when there is none.
    let quickNo: WordSet.Probe?

    /// How many patterns: identifiers that name something to search for.
    var count: Int { patterns.count }

    /// `owners[i]` holds the identifiers of owner `i` (an objection).
    init(_ owners: [[ThirdPartyIdentifier]]) {
        var patterns: [Pattern] = []
        var texts: [[UInt8]] = []
        for (owner, identifiers) in owners.enumerated() {
            for identifier in Set(identifiers) {
                let bytes = Array(identifier.pattern.utf8)
                guard !bytes.isEmpty else { continue }
                texts.append(bytes)
                patterns.append(Pattern(owner: Int32(owner), length: Int32(bytes.count), kind: identifier.kind,
                                        wordStart: Self.isWord(bytes[0]), wordEnd: Self.isWord(bytes[bytes.count - 1])))
            }
        }
        // Bytes that occur in some pattern get a class from 1; every other byte is class 0.
        var byteClass = [UInt8](repeating: 0, count: 256)
        var classes = 1
        for text in texts {
            for byte in text where byteClass[Int(byte)] == 0 {
                byteClass[Int(byte)] = UInt8(classes)
                classes += 1
            }
        }
        // The trie, as rows of `classes` children (0: none; the root is nobody's child).
        var next = [Int32](repeating: 0, count: classes)
        var lastByte: [UInt8] = [0]
        var endsAt = [Int32](repeating: 0, count: texts.count)
        for (index, text) in texts.enumerated() {
            var node = 0
            for byte in text {
                let slot = node * classes + Int(byteClass[Int(byte)])
                if next[slot] == 0 {
                    next[slot] = Int32(lastByte.count)
                    next.append(contentsOf: repeatElement(0, count: classes))
                    lastByte.append(byte)
                }
                node = Int(next[slot])
            }
            endsAt[index] = Int32(node)
        }
        let nodes = lastByte.count
        // The patterns ending at each node: `own[ownStart[node]..<ownStart[node + 1]]`.
        var ownStart = [Int32](repeating: 0, count: nodes + 1)
        for node in endsAt { ownStart[Int(node) + 1] += 1 }
        for node in 0..<nodes { ownStart[node + 1] += ownStart[node] }
        var own = [Int32](repeating: 0, count: texts.count)
        var filled = ownStart
        for (pattern, node) in endsAt.enumerated() {
            own[Int(filled[Int(node)])] = Int32(pattern)
            filled[Int(node)] += 1
        }
        // Breadth first, so that a node's fail state (the longest proper suffix of its text that
        // is a node) is complete before it: missing children become the fail state's transitions
        // (a full DFA), and a node's outputs are its own and its fail state's.
        var fail = [Int32](repeating: 0, count: nodes)
        var outputStart = [Int32](repeating: 0, count: nodes), outputEnd = [Int32](repeating: 0, count: nodes)
        var outputs: [Int32] = []
        var queue: [Int32] = []
        queue.reserveCapacity(nodes)
        for symbol in 0..<classes where next[symbol] != 0 { queue.append(next[symbol]) }
        var head = 0
        while head < queue.count {
            let node = Int(queue[head])
            head += 1
            let failState = Int(fail[node])
            outputStart[node] = Int32(outputs.count)
            outputs += own[Int(ownStart[node])..<Int(ownStart[node + 1])]
            outputs += outputs[Int(outputStart[failState])..<Int(outputEnd[failState])]
            outputEnd[node] = Int32(outputs.count)
            let base = node * classes, failBase = failState * classes
            for symbol in 0..<classes {
                let child = next[base + symbol]
                if child != 0 {
                    fail[Int(child)] = next[failBase + symbol]
                    queue.append(child)
                } else {
                    next[base + symbol] = next[failBase + symbol]
                }
            }
        }
        // Each entry as the start of its target's row, bitwise negated when some pattern ends there.
        for index in next.indices {
            let target = Int(next[index])
            next[index] = outputEnd[target] == outputStart[target] ? Int32(target * classes) : ~Int32(target * classes)
        }
        // A space read right after a space changes nothing (runs of spaces read as one): a state
        // entered by a space stays put on another. (Only such states can follow a space: the
        // text's suffix they stand for ends with it.)
        let space = Int(byteClass[0x20])
        if space != 0 {
            for node in 1..<nodes where lastByte[node] == 0x20 { next[node * classes + space] = Int32(node * classes) }
        }
        var foldClass = [UInt8](repeating: 0, count: 256)
        for byte in 0..<256 {
            let folded = byte == 0x09 || byte == 0x0A || byte == 0x0D ? 0x20 : (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            foldClass[byte] = byteClass[folded]
        }
        let firstWords = texts.map { Array($0.drop { !Self.isWord($0) }.prefix(while: Self.isWord)) }
        self.firstWords = firstWords.contains(where: \.isEmpty) ? nil : WordSet(words: firstWords)
        quickNo = self.firstWords?.probe
        self.foldClass = foldClass
        self.patterns = patterns
        self.byteClass = byteClass
        self.classes = classes
        self.next = next
        self.outputStart = outputStart
        self.outputEnd = outputEnd
        self.outputs = outputs
    }

    /// Whether an identifier may be in the contents of a JSON string as the record holds them,
    /// without copying or decoding: false when none is (nearly every record), true when one may
    /// be (``firstMatch(_:)`` on the folded text then checks its boundaries), nil when a `\u`
    /// escape needs the string decoded first. The first words of the identifiers are looked for
    /// first, many bytes at a time (``quickNo``); only a text holding one of them is read through
    /// the automaton, a byte at a time.
    func mayMatch(json raw: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard !patterns.isEmpty else { return false }
        if let quickNo, !quickNo.mayHold(json: raw) { return false }
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
                var row = 0
                for position in 0..<text.count {
                    let entry = next[row &+ Int(byteClass[Int(text[position])])]
                    if entry >= 0 {
                        row = Int(entry)
                        continue
                    }
                    row = Int(~entry)
                    let state = row / classes
                    for output in Int(outputStart[state])..<Int(outputEnd[state]) {
                        let pattern = patterns[Int(outputs[output])]
                        if accepts(pattern, endingAt: position, in: text) { return Int(pattern.owner) }
                    }
                }
                return nil
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
