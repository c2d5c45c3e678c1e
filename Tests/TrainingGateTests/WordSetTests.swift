import ConsentFormats
import Glibc
import Testing
@testable import TrainingGate

/// ``WordSet`` reads JSON string contents 64 bytes at a time in C (AVX-512BW, AVX2 or portable
/// C); these tests hold every version this processor runs to a plain reading of the decoded text:
/// words split at every byte that is not a word byte, escapes decoded, across window edges.
struct WordSetTests {
    /// The reference: whether the decoded text holds a word of `set` (compared by its first eight
    /// bytes, case folded, and only words at least as long as the shortest), or a `\u` escape.
    static func reference(_ raw: String, words: [[UInt8]]) throws -> Bool {
        if raw.contains("\\u") && hasUnicodeEscape(Array(raw.utf8)) { return true }
        let decoded = try #require(try JSONParser.parse("\"" + raw + "\""))
        guard case .string(let text) = decoded else { throw Failure.notAString }
        let prints = Set(words.map(WordSet.print))
        let shortest = min(8, words.map(\.count).min() ?? 1)
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            guard ThirdPartyMatcher.isWord(bytes[start]) else { start += 1; continue }
            var end = start
            while end < bytes.count, ThirdPartyMatcher.isWord(bytes[end]) { end += 1 }
            if end - start >= shortest, prints.contains(WordSet.print(Array(bytes[start..<end]))) { return true }
            start = end
        }
        return false
    }

    enum Failure: Error { case notAString }

    /// Whether a backslash that is not itself escaped is followed by `u`.
    static func hasUnicodeEscape(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x5C {
                if index + 1 < bytes.count, bytes[index + 1] == 0x75 { return true }
                index += 2
            } else {
                index += 1
            }
        }
        return false
    }

    static let levels = [0, 2, 3]

    func check(_ set: WordSet, _ raw: String, _ words: [[UInt8]]) throws {
        let expected = try Self.reference(raw, words: words)
        try Array(raw.utf8).withUnsafeBufferPointer { bytes in
            #expect(set.mayHold(json: bytes) == expected, "\(raw)")
            for level in Self.levels {
                guard let answer = set.mayHold(json: bytes, level: level) else { continue }
                #expect(answer == expected, "level \(level): \(raw)")
            }
            _ = try #require(bytes.count >= 0)
        }
    }

    @Test(arguments: [
        ("lunch with SAM today", true), ("sammy", false), ("xsam", false), ("sam_", false), ("_sam", false),
        ("\\nsam", true), ("\\\\nsam", false), ("\\\\\\nsam", true), ("a\\tSam\\r", true), ("\\\"sam\\\"", true),
        ("s\\u0061m", true), ("\\\\u0041", false), ("", false), ("sa", false), ("Ésam", false), ("Sam-Doe", true),
        ("internationalisation", true), ("internationalise", true), ("internat", true), ("internal", false), ("internationalXYZ", true),
        ("7sam", false), ("sam7", false), ("x7", true),
    ] as [(String, Bool)])
    func wordsAreFoundWhole(_ raw: String, _ expected: Bool) throws {
        // Prints of eight bytes: a word of ten bytes is found by its first eight.
        let words = ["sam", "internationally", "x7"].map { Array($0.utf8) }
        let set = WordSet(words: words)
        #expect(try Self.reference(raw, words: words) == expected, "the reference on \(raw)")
        try check(set, raw, words)
    }

    /// Random texts of words, escapes, non-ASCII letters and punctuation, 0 to 300 bytes, so that
    /// words and escapes fall on every window edge (windows of 64 bytes, 56 apart).
    @Test func everyVersionAgreesWithTheReference() throws {
        var generator = SystemRandomNumberGenerator()
        let words = ["al", "Bo", "carmen", "dimitrios", "zorvakqui", "ünal", "o_k", "x9"].map { Array($0.utf8) }
        let pieces = ["al", "AL", "bo", "bob", "Carmen", "carmenx", "Dimitrios", "DIMITRIO", "zorvakquix", "ünal", "Ünal",
                      "o_k", "x9", "x99", " ", "  ", ".", ",", "-", "\\n", "\\t", "\\\\", "\\\"", "\\/", "\\b", "\\f",
                      "\\u00e9", "é", "日本", "n", "t", "u", "0", "__", "😀", "\\\\n"]
        for shortest in [nil, 3, 6] {
            let chosen = shortest.map { length in words.filter { $0.count >= length } } ?? words
            let set = WordSet(words: chosen)
            for _ in 0..<3_000 {
                var raw = ""
                let target = Int.random(in: 0...300, using: &generator)
                while raw.utf8.count < target { raw += pieces.randomElement(using: &generator)! }
                try check(set, raw, chosen)
            }
        }
    }

    /// A text that ends right where readable memory ends (a page that may not be read follows)
    /// is read without touching a byte past it: a read past the end would crash this test.
    @Test func theLastBytesAreReadInPlace() throws {
        let words = [Array("needle".utf8)]
        let set = WordSet(words: words)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let memory = try #require(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        #expect(memory != MAP_FAILED)
        defer { munmap(memory, 2 * page) }
        #expect(mprotect(memory + page, page, PROT_NONE) == 0)
        for length in 0...140 {
            let text = String(String(repeating: "a b ", count: 40).prefix(max(0, length - 6))) + (length >= 6 ? "needle" : "")
            let bytes = Array(text.utf8)
            let start = (memory + page - bytes.count).assumingMemoryBound(to: UInt8.self)
            bytes.withUnsafeBufferPointer { start.update(from: $0.baseAddress!, count: bytes.count) }
            let placed = UnsafeBufferPointer(start: start, count: bytes.count)
            let expected = try Self.reference(text, words: words)
            #expect(set.mayHold(json: placed) == expected, "\(length)")
            for level in Self.levels {
                guard let answer = set.mayHold(json: placed, level: level) else { continue }
                #expect(answer == expected, "level \(level), \(length) bytes")
            }
        }
    }
}
