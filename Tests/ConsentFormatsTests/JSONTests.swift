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

    @Test func objectsAreWrittenWithSortedKeys() {
        #expect(JSONWriter.object(["b": "1", "a": "2", "é": "3", "Z": "4"]) == #"{"Z":4,"a":2,"b":1,"é":3}"#)
    }

    @Test func controlCharactersAreEscaped() {
        #expect(JSONWriter.string("a\u{01}b\"") == #""a\u0001b\"""#)
    }
}
