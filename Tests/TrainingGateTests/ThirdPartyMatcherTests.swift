import ConsentCore
import ConsentFormats
import Foundation
import Testing
@testable import TrainingGate

/// Non-members' identifiers found in records: links, handles and names, whole, many at once.
struct ThirdPartyMatcherTests {
    @Test(arguments: [
        ("https://www.Example.com/posts/42/", ThirdPartyIdentifier.Kind.link, "example.com/posts/42"),
        ("http://example.com:80/a?b=1#top", .link, "example.com/a?b=1"),
        ("www.example.com", .link, "example.com"),
        ("@SamDoe", .handle, "@samdoe"),
        ("  Sam   Doe ", .name, "sam doe"),
        ("José Núñez", .name, "josé núñez"),
        // Unicode's spaces and line breaks are trimmed too, as Foundation's whitespacesAndNewlines.
        ("\u{3000}\tSam Doe\u{2028}\u{85}\r\n", .name, "sam doe"),
        ("\u{A0}@SamDoe\u{2029}", .handle, "@samdoe"),
    ])
    func identifiersAreReadAsLinksHandlesOrNames(_ text: String, _ kind: ThirdPartyIdentifier.Kind, _ pattern: String) throws {
        let identifier = try #require(ThirdPartyIdentifier(text))
        #expect(identifier.kind == kind && identifier.pattern == pattern)
    }

    @Test func blankIdentifiersNameNothing() {
        #expect(ThirdPartyIdentifier("  ") == nil && ThirdPartyIdentifier("@") == nil)
        // An objection whose identifiers all name nothing finds nothing, and reads no text twice.
        let nothing = ThirdPartyMatcher([["  ", "@"].compactMap(ThirdPartyIdentifier.init)])
        #expect(nothing.quickNo != nil && !Array("sam doe".utf8).withUnsafeBufferPointer { nothing.mayMatch(json: $0) })
    }

    func matcher(_ owners: [[String]]) -> ThirdPartyMatcher {
        ThirdPartyMatcher(owners.map { $0.compactMap(ThirdPartyIdentifier.init) })
    }

    func match(_ matcher: ThirdPartyMatcher, _ text: String) -> Int? {
        var folded: [UInt8] = []
        Array(text.utf8).withUnsafeBufferPointer { ThirdPartyMatcher.fold($0, into: &folded) }
        return folded.withUnsafeBufferPointer { matcher.firstMatch($0) }
    }

    @Test(arguments: [
        // Names: whole words, any case, runs of spaces as one.
        ("Lunch with SAM  DOE today", 0), ("sam doe.", 0), ("Samuel Doe", nil), ("sam does", nil), ("xsam doe", nil),
        ("Sam\nDoe", 0), ("josé núñez wrote", 2), ("JOSÉ núñez", nil),
        // Handles: whole, not inside an address.
        ("cc @samdoe!", 1), ("@SamDoe", 1), ("mail x@samdoe", nil), ("@samdoe_2", nil),
        // Links: whole links, with or without scheme or www, not longer paths or hosts.
        ("see https://www.example.com/posts/42 now", 1), ("http://example.com/posts/42?ref=feed", 1),
        ("example.com/posts/42/comments", 1), ("example.com/posts/420", nil), ("myexample.com/posts/42", nil),
        ("example.com/posts/42.html", nil), ("nothing here", nil),
    ] as [(String, Int?)])
    func identifiersAreFoundWholeInText(_ text: String, _ owner: Int?) {
        let matcher = matcher([["Sam Doe"], ["@samdoe", "https://example.com/posts/42"], ["José Núñez"]])
        #expect(match(matcher, text) == owner, "\(text)")
    }

    /// When several identifiers are in a text, the one reported is the one that ends first; of
    /// two that end together, the longer; of two alike, the earlier objection's.
    @Test(arguments: [
        ("sam doe", 0), ("doe sam doe", 1), ("x doe", 1), ("@samdoe and sam doe", 2), ("sam doe @samdoe", 0),
    ] as [(String, Int?)])
    func theFirstIdentifierFoundIsReported(_ text: String, _ owner: Int?) {
        let matcher = matcher([["Sam Doe"], ["Doe"], ["@samdoe"], ["doe"]])
        #expect(match(matcher, text) == owner, "\(text)")
    }

    /// An identifier without a letter or digit has no first word to look up: it is looked for
    /// everywhere, and the quick "no" steps aside.
    @Test func identifiersWithoutWordsAreFoundToo() {
        let matcher = matcher([["?!"], ["Sam Doe"]])
        #expect(matcher.quickNo == nil)
        #expect(match(matcher, "what?! no") == 0 && match(matcher, "sam doe") == 1 && match(matcher, "what? !") == nil)
        #expect(Array("plain text".utf8).withUnsafeBufferPointer { matcher.mayMatch(json: $0) })
    }

    /// A JSON integer (digits and `-`) can hold only an identifier spelled with those alone.
    @Test func integersAreLookedAtOnlyWhenAnIdentifierCouldBeOne() {
        #expect(!matcher([["Sam Doe"], ["@x1"], ["https://example.com/1"]]).mayMatchIntegers)
        #expect(matcher([["Sam Doe"], ["1234-5"]]).mayMatchIntegers)
        #expect(match(matcher([["1234-5"]]), "ref 1234-5") == 0)
    }

    /// Folding a JSON string as it is in the record gives the bytes folding its decoded text does.
    @Test func foldingTheRawStringIsFoldingItsText() throws {
        let samDoe = matcher([["Sam Doe", "doe \"x\""]])
        var generator = SystemRandomNumberGenerator()
        let pieces = ["Sam", " ", "DOE", "\\n", "\\t", "\\\"", "\\\\", "\\/", "\\b", "\\f", "é", "  ", "x", "\\r\\n"]
        for _ in 0..<500 {
            let raw = (0..<Int.random(in: 0...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let decoded = try #require(try JSONParser.parse("\"" + raw + "\""))
            guard case .string(let text) = decoded else { Issue.record("not a string"); continue }
            var expected: [UInt8] = []
            Array(text.utf8).withUnsafeBufferPointer { ThirdPartyMatcher.fold($0, into: &expected) }
            var buffer = [UInt8](repeating: 0, count: raw.utf8.count)
            let length = Array(raw.utf8).withUnsafeBufferPointer { source in
                buffer.withUnsafeMutableBufferPointer { ThirdPartyMatcher.foldJSON(source, into: $0) }
            }
            #expect(length.map { Array(buffer[..<$0]) } == expected, "\(raw)")
            // The one-pass check over the raw string never misses what the folded text holds.
            let found = expected.withUnsafeBufferPointer { samDoe.firstMatch($0) }
            let may = Array(raw.utf8).withUnsafeBufferPointer { samDoe.mayMatch(json: $0) }
            #expect(found == nil || may == true, "\(raw): found \(found.map(String.init) ?? "-"), but mayMatch said \(String(describing: may))")
        }
    }

    /// The quick "no" read from the raw string (``WordSet``, the identifiers' first words) never
    /// hides a match the automaton finds in the decoded text: names with short and long first
    /// words, handles and links, in text with escapes, case and runs of spaces.
    @Test func theQuickNoNeverHidesAMatch() throws {
        let matcher = matcher([["Al Li"], ["@bo_9"], ["https://example.com/p/1"], ["Dimitrios Papadopoulos"], ["#tag here"]])
        var generator = SystemRandomNumberGenerator()
        let pieces = ["al", "AL", "Li", "li", "@bo_9", "@BO_9", "bo_9", "example.com/p/1", "https://www.example.com/p/1",
                      "Dimitrios", "DIMITRIOS", "papadopoulos", "#tag", "here", " ", "  ", "\\n", "\\t", "\\\\", "\\\"",
                      "\\/", "é", ".", "x", "\\\\n"]
        var found = 0
        for _ in 0..<5_000 {
            let raw = (0..<Int.random(in: 0...14, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let decoded = try #require(try JSONParser.parse("\"" + raw + "\""))
            guard case .string(let text) = decoded else { Issue.record("not a string"); continue }
            guard let owner = match(matcher, text) else { continue }
            found += 1
            let may = Array(raw.utf8).withUnsafeBufferPointer { matcher.mayMatch(json: $0) }
            #expect(may == true, "\(raw) names owner \(owner), but mayMatch said \(String(describing: may))")
        }
        #expect(found > 100)
    }

    /// Ten thousand names at once, against a search of each in turn.
    @Test func manyPatternsAgreeWithSearchingEachInTurn() {
        var generator = SystemRandomNumberGenerator()
        let syllables = ["an", "ber", "co", "da", "el", "fi", "go", "ha", "ir", "jo", "ka", "lu", "mo", "na"]
        func word() -> String { (0..<Int.random(in: 2...3, using: &generator)).map { _ in syllables.randomElement(using: &generator)! }.joined() }
        let owners = (0..<10_000).map { _ in [word() + " " + word()] }
        let matcher = matcher(owners)
        #expect(matcher.count == Set(owners.map { $0[0] }).count || matcher.count <= 10_000)
        for _ in 0..<300 {
            let text = (0..<12).map { _ in word() }.joined(separator: " ")
            let expected = owners.firstIndex { owner in
                (" " + text + " ").contains(" " + owner[0] + " ")
            }
            let found = match(matcher, text)
            // Any owner whose name is in the text is a right answer; none only when none is.
            if let found {
                #expect((" " + text + " ").contains(" " + owners[found][0] + " "), "\(text)")
            } else {
                #expect(expected == nil, "\(text) holds \(owners[expected!][0])")
            }
        }
    }
}
