import ConsentCore
import ConsentFormats
import Testing

struct JSONTests {
    @Test(arguments: [
        (#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#, #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#),
        (#"  "caf\u00e9 \ud83d\ude80 \"q\" \\ \n"  "#, #""café 🚀 \"q\" \\ \n""#),
        (#"-0.5e+10"#, "-0.5e+10"),
        (#"[]"#, "[]"),
    ])
    func parsesAndWritesBack(_ input: String, _ expected: String) throws {
        #expect(JSONWriter.write(try JSONParser.parse(input)) == expected)
    }

    @Test(arguments: [#"{"a":1,}"#, #"[1 2]"#, #"01"#, #"1."#, #""\x""#, "\"a\u{01}\"", #""\ud800""#, #"tru"#, #"{"a":1} x"#, #"{a:1}"#, ""])
    func rejectsInvalidJSON(_ input: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(input) }
    }

    /// Runs of digits are read 16 bytes a step: every length around that step, alone (ending
    /// the input), inside an array, with a fraction and an exponent, and with a letter after.
    @Test func numbersOfEveryLengthAroundTheSixteenByteStepAreRead() throws {
        for length in 1...40 {
            let digits = "1" + String(repeating: "7", count: length - 1)
            #expect(try JSONParser.parse(digits) == .number(digits), "\(length) digits")
            #expect(try JSONParser.parse("[\(digits),\(digits)]") == .array([.number(digits), .number(digits)]), "\(length) digits")
            #expect(try JSONParser.parse("-\(digits).\(digits)e+\(digits) ") == .number("-\(digits).\(digits)e+\(digits)"), "\(length) digits")
            #expect(throws: JSONSyntaxError.self, "\(length) digits, then a letter") { try JSONParser.parse("[\(digits)x]") }
            #expect(throws: JSONSyntaxError.self, "\(length) digits, a point and none") { try JSONParser.parse("[\(digits).]") }
        }
    }

    /// Strings without escapes: ASCII, other UTF-8 as it is, and bytes that are not UTF-8.
    @Test(arguments: [
        (Array(#""urn:li:member:1001""#.utf8), "urn:li:member:1001"),
        (Array("\"café 🚀\"".utf8), "café 🚀"),
        ([0x22, 0x63, 0x61, 0x66, 0xC3, 0x28, 0x22], nil),
        ([0x22, 0xFF, 0x22], nil),
    ] as [([UInt8], String?)])
    func aStringIsDecodedOnlyWhenItIsUTF8(_ bytes: [UInt8], _ expected: String?) {
        let decoded = bytes.withUnsafeBufferPointer { buffer -> String? in
            var scanner = JSONScanner(buffer)
            return try? scanner.decode(scanner.readString())
        }
        #expect(decoded == expected)
    }

    @Test func objectsAreWrittenWithSortedKeys() {
        #expect(JSONWriter.object(["b": "1", "a": "2", "é": "3", "Z": "4"]) == #"{"Z":4,"a":2,"b":1,"é":3}"#)
    }

    @Test func controlCharactersAreEscaped() {
        #expect(JSONWriter.string("a\u{01}b\"") == #""a\u0001b\"""#)
    }
}

struct CanonicalWritingTests {
    @Test func stringFieldsEscapeOnlyWhatJSONRequires() {
        var writer = JSONObjectWriter()
        writer.stringField("a", "plain text that is longer than sixteen bytes")
        writer.stringField("b", "tab\there, quote \" and backslash \\ after sixteen bytes")
        writer.stringField("c", nil as String?)
        #expect(writer.finish() == #"{"a":"plain text that is longer than sixteen bytes","b":"tab\there, quote \" and backslash \\ after sixteen bytes","c":null}"#)
    }

    @Test func theDigestIsTheDigestOfTheText() {
        var writer = JSONObjectWriter()
        writer.field("x", "[1,2]")
        writer.stringField("y", "é")
        let copy = writer
        #expect(copy.finishDigest() == Digest.sha256Hex(writer.finish()))
    }

    @Test func memberDataIsWrittenInByteOrderOfCategories() {
        let data: [Category: String] = [.serviceIPAddress: "\"10.0.0.1\"", .accountName: "\"Ana\"", .accountEmail: "\"a@example.com\"",
                                        .profileHeadline: "null"]
        #expect(MemberRecords.dataJSON(data)
                == #"{"account.email":"a@example.com","account.name":"Ana","profile.headline":null,"service.ip_address":"10.0.0.1"}"#)
        #expect(MemberRecords.dataJSON([:]) == "{}")
    }

    @Test func categoriesAreFoundByTheirBytesAndHashByCase() {
        for (position, category) in Category.allCases.enumerated() {
            #expect(category.position == position)
            let found = Array(category.rawValue.utf8).withUnsafeBufferPointer { Category(utf8: $0) }
            #expect(found == category)
        }
        #expect(Array("account.nam".utf8).withUnsafeBufferPointer { Category(utf8: $0) } == nil)
        #expect(Set(Category.allCases).count == Category.allCases.count)
    }

    @Test(arguments: [("2025-01-09", "2025-01-09"), ("0099-12-31", "0099-12-31")])
    func datesAreWrittenWithPadding(input: String, expected: String) {
        #expect(CivilDate(parsing: input)?.description == expected)
    }
}
