import ConsentCore
import ConsentFormats
import ConsentTesting
import Foundation
import Testing
@testable import TrainingGate

/// The filter on hand-written records: every drop reason, the traps, the byte-exact output.
struct FilterTests {
    static let asOf = Timestamp.parse("2026-01-01T00:00:00Z")!
    static let lookback = Timestamp.parse("2020-01-01T00:00:00Z")!

    /// A scratch directory per test.
    final class Scratch {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("consentry-gate-\(UUID().uuidString)")
        init() { try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        func write(_ name: String, _ bytes: [UInt8]) -> String {
            _ = FileManager.default.createFile(atPath: path(name), contents: Data(bytes))
            return path(name)
        }
        func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }
        func read(_ name: String) -> [UInt8] { Array((try? Data(contentsOf: URL(fileURLWithPath: path(name)))) ?? Data()) }
    }

    /// Decisions as the store would give them: eligible adults, one minor-until-2010 adult, excluded members.
    static func decisions(dense: Bool = false) -> GateDecisions {
        let table = MemberTable()
        let comingOfAge = CivilDate(year: 2010, month: 3, day: 1)!.daysSinceEpoch * 86_400_000_000
        let prefix = dense ? "" : "urn:li:member:"
        table.insert(prefix + "1", GateVerdict(drop: nil))
        table.insert(prefix + "2", GateVerdict(drop: .optedOut))
        table.insert(prefix + "3", GateVerdict(drop: nil, usableFromMicros: comingOfAge))
        table.insert(prefix + "4", GateVerdict(drop: .minor))
        table.insert(prefix + "123", GateVerdict(drop: nil))
        // Turned 18 on 1 June 2022: a minor for part of the window that starts in 2020.
        table.insert(prefix + "5", GateVerdict(drop: nil, usableFromMicros: CivilDate(year: 2022, month: 6, day: 1)!.daysSinceEpoch * 86_400_000_000))
        if !dense { table.insert("ada", GateVerdict(drop: nil)) }
        return GateDecisions(table: table, unknownIsEligible: false, asOf: asOf, lookbackStart: lookback,
                             allowedCategories: [.contentPosts, .contentComments, .profileSummary], policyVersion: "test", policySHA256: nil, source: "test")
    }

    func filter(_ lines: [String], decisions: GateDecisions = FilterTests.decisions(), timeField: String? = "created_at",
                category: Category? = .contentPosts, categoryField: String? = nil, reservationField: String? = nil,
                threads: Int = 1, blockSize: Int = 1 << 20) throws -> (kept: [String], result: FilterResult) {
        let scratch = Scratch()
        let input = scratch.write("in.jsonl", lines.map { $0 + "\n" }.joined())
        let result = try GateFilter.run(inputs: [input], output: scratch.path("out.jsonl"), decisions: decisions,
                                        options: FilterOptions(memberField: "member_id", timeField: timeField, category: category,
                                                               categoryField: categoryField, reservationField: reservationField,
                                                               noRecordTimes: timeField == nil, threads: threads, blockSize: blockSize))
        let kept = String(decoding: scratch.read("out.jsonl"), as: UTF8.self).split(separator: "\n").map(String.init)
        return (kept, result)
    }

    @Test func everyDropReasonIsCountedOnceInPrecedenceOrder() throws {
        let lines = [
            #"{"member_id": "urn:li:member:1", "created_at": "2024-05-01T10:00:00Z", "text": "kept"}"#,
            #"{"member_id": "urn:li:member:1", "created_at": "2024-05-01T10:00:00Z""#,       // malformed
            #"["member_id", "urn:li:member:1"]"#,                                             // malformed: not an object
            #"{"text": "no member", "created_at": "2024-05-01T10:00:00Z"}"#,                 // missing_member
            #"{"member_id": null, "created_at": "2024-05-01T10:00:00Z"}"#,                   // missing_member
            #"{"member_id": "urn:li:member:999", "created_at": "2024-05-01T10:00:00Z"}"#,    // member_unknown
            #"{"member_id": "urn:li:member:2", "created_at": "not a time"}"#,                // opted_out beats missing_time
            #"{"member_id": "urn:li:member:4"}"#,                                            // minor
            #"{"member_id": "urn:li:member:1", "created_at": "yesterday"}"#,                 // missing_time
            #"{"member_id": "urn:li:member:1"}"#,                                            // missing_time
            #"{"member_id": "urn:li:member:1", "created_at": "2026-01-01T00:00:01Z"}"#,      // after_as_of
            #"{"member_id": "urn:li:member:3", "created_at": "2009-06-01T00:00:00Z"}"#,      // created_while_minor (and before lookback)
            #"{"member_id": "urn:li:member:3", "created_at": "2010-03-01T00:00:00Z"}"#,      // before_lookback only
            #"{"member_id": "urn:li:member:3", "created_at": 1700000000}"#,                  // kept: epoch seconds
        ]
        let (kept, result) = try filter(lines)
        #expect(kept == [lines[0], lines[13]])
        #expect(result.records == 14 && result.kept == 2)
        #expect(result.dropped == [.malformed: 2, .missingMember: 2, .memberUnknown: 1, .optedOut: 1, .minor: 1,
                                   .missingTime: 2, .afterAsOf: 1, .createdWhileMinor: 1, .beforeLookback: 1])
    }

    @Test func textThatLooksLikeTheFieldIsNotTheField() throws {
        let lines = [
            #"{"text": "say \"member_id\": \"urn:li:member:1\"", "member_id": "urn:li:member:2"}"#,  // opted out
            #"{"text": "{\"member_id\": \"urn:li:member:1\"}", "n": 1}"#,                           // no member
            #"{"nested": {"member_id": "urn:li:member:1"}, "list": [{"member_id": "urn:li:member:1"}]}"#,
            #"{"meta": {"x": [1, 2, {"y": "}"}]}, "member_id": "urn:li:member:1"}"#,                // kept: last key
            #"{"member_id": "urn:li:member:1", "member_id": "urn:li:member:2"}"#,                  // given twice
        ]
        let (kept, result) = try filter(lines, timeField: nil)
        #expect(kept == [lines[3]])
        #expect(result.dropped == [.optedOut: 1, .missingMember: 3])
    }

    @Test(arguments: [false, true])
    func integerAndStringIdsMatchTheSameMember(_ dense: Bool) throws {
        let lines = [#"{"member_id": 123}"#, #"{"member_id": "123"}"#, #"{"member_id": 123.0}"#, #"{"member_id": 1e2}"#,
                     #"{"member_id": "\u0031\u0032\u0033"}"#, #"{"member_id": 0123}"#, #"{"member_id": -123}"#]
        let prefixed = lines.map { $0.replacingOccurrences(of: "\"123\"", with: "\"urn:li:member:123\"")
            .replacingOccurrences(of: "\\u0031", with: "urn:li:member:\\u0031") }
        let (kept, result) = try filter(dense ? lines : prefixed, decisions: Self.decisions(dense: dense), timeField: nil)
        if dense {
            #expect(kept == [lines[0], lines[1], lines[4]])
            #expect(result.dropped == [.missingMember: 2, .malformed: 1, .memberUnknown: 1])
        } else {
            // Integers never match "urn:…" ids; the escaped string still does.
            #expect(kept == [prefixed[1], prefixed[4]])
        }
    }

    @Test func malformedJSONIsRecognised() throws {
        let bad = [
            #"{"member_id": "urn:li:member:1",}"#, #"{"member_id": "urn:li:member:1" "x": 1}"#, #"{"member_id": 'x'}"#,
            #"{"member_id": "urn:li:member:1", "x": tru}"#, #"{"member_id": "urn:li:member:1", "x": [1,]}"#,
            #"{"member_id": "urn:li:member:1", "x": "\q"}"#, #"{"member_id": "urn:li:member:1", "x": "\u12"}"#,
            #"{"member_id": "urn:li:member:1"} {}"#, #"{"member_id": "urn:li:member:1", "x": 01}"#,
            #"{"member_id": "urn:li:member:1", "x": NaN}"#, "", "   ", #"{"member_id": "urn:li:member:1", "x": "tab"# + "\t" + #"inside"}"#,
            "\u{FEFF}" + #"{"member_id": "urn:li:member:1"}"#, #"{"member_id": "urn:li:member:1", "x": {"a" 1}}"#,
            #"{"member_id": "urn:li:member:1", "x": -}"#, #"{"member_id": "urn:li:member:1", "x": 1.}"#, #"{"member_id": "urn:li:member:1", "x": 1e}"#,
        ]
        let good = [
            #"  {"member_id": "urn:li:member:1", "x": [true, false, null, -0.5e+3, {"a": []}, "\"\\\/\b\f\n\r\t\u00e9"]}  "#,
            #"{"x": {}, "member_id": "urn:li:member:1", "y": [[[]]]}"#,
        ]
        let (kept, result) = try filter(bad + good, timeField: nil)
        #expect(kept == good)
        #expect(result.dropped == [.malformed: bad.count])
    }

    @Test func lineEndingsAndTheLastLineAreKeptAsTheyCame() throws {
        let scratch = Scratch()
        let input = Array(#"{"member_id": "urn:li:member:1", "a": 1}"#.utf8) + [0x0D, 0x0A]
            + Array(#"{"member_id": "urn:li:member:2"}"#.utf8) + [0x0D, 0x0A]
            + Array(#"{"member_id": "urn:li:member:1", "text": "caf"#.utf8) + [0xC3, 0x28, 0xFF] + Array(#"", "b": 2}"#.utf8)
        let path = scratch.write("in.jsonl", input)
        let second = scratch.write("in2.jsonl", #"{"member_id": "urn:li:member:123"}"#)
        let result = try GateFilter.run(inputs: [path, second], output: scratch.path("out.jsonl"), decisions: Self.decisions(),
                                        options: FilterOptions(category: .contentPosts, noRecordTimes: true, threads: 1))
        let expected = Array(#"{"member_id": "urn:li:member:1", "a": 1}"#.utf8) + [0x0D, 0x0A]
            + Array(#"{"member_id": "urn:li:member:1", "text": "caf"#.utf8) + [0xC3, 0x28, 0xFF] + Array(#"", "b": 2}"#.utf8) + [0x0A]
            + Array(#"{"member_id": "urn:li:member:123"}"#.utf8) + [0x0A]
        #expect(scratch.read("out.jsonl") == expected)
        #expect(result.kept == 3 && result.records == 4)
        #expect(result.inputs.map(\.records) == [3, 1])
    }

    @Test func aTwentyMebibyteLineIsReadWhole() throws {
        let text = String(repeating: "a\\\"b ", count: 4 << 20)
        let lines = [#"{"member_id": "urn:li:member:1", "text": ""# + text + #""}"#, #"{"member_id": "urn:li:member:2"}"#]
        let (kept, result) = try filter(lines, timeField: nil, threads: 2, blockSize: 64 << 10)
        #expect(kept == [lines[0]])
        #expect(result.dropped == [.optedOut: 1])
    }

    @Test func outputIsTheSameForOneAndManyThreads() throws {
        var lines: [String] = []
        for index in 0..<20_000 {
            let member = ["urn:li:member:1", "urn:li:member:2", "urn:li:member:3", "urn:li:member:4", "urn:li:member:123", "ada"][index % 6]
            lines.append(#"{"n": \#(index), "member_id": "\#(member)", "created_at": "20\#(10 + index % 15)-06-01T00:00:00Z"}"#)
            if index % 997 == 0 { lines.append("{broken") }
        }
        let one = try filter(lines, threads: 1, blockSize: 4096)
        let four = try filter(lines, threads: 4, blockSize: 4096)
        #expect(one.kept == four.kept)
        #expect(one.result.dropped == four.result.dropped)
        #expect(one.kept.count > 1000)
        let order = one.kept.compactMap { $0.split(separator: ",").first.flatMap { Int($0.dropFirst(6)) } }
        #expect(order == order.sorted())
    }

    @Test func strictStopsAtTheFirstMalformedLineAndWritesNothing() throws {
        let scratch = Scratch()
        var text = ""
        for index in 0..<5000 { text += #"{"member_id": "urn:li:member:1", "i": \#(index)}"# + "\n" }
        text += "{oops\n" + #"{"member_id": "urn:li:member:1"}"# + "\n"
        let input = scratch.write("in.jsonl", text)
        let out = scratch.write("out.jsonl", "previous contents\n")
        #expect(throws: GateError.malformedLine(file: input, line: 5001, detail: "not a valid JSON object")) {
            try GateFilter.run(inputs: [input], output: out, decisions: Self.decisions(),
                               options: FilterOptions(category: .contentPosts, noRecordTimes: true, threads: 2, strict: true, blockSize: 1024))
        }
        #expect(String(decoding: scratch.read("out.jsonl"), as: UTF8.self) == "previous contents\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
    }

    @Test func gzipInputsAreDecompressedAndBrokenOnesRefused() throws {
        let scratch = Scratch()
        let plain = scratch.write("data.jsonl", #"{"member_id": "urn:li:member:1"}"# + "\n" + #"{"member_id": "urn:li:member:2"}"# + "\n")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(plain)' > '\(plain).gz' && head -c 20 '\(plain).gz' > '\(scratch.path("cut.jsonl.gz"))'"]
        try gzip.run()
        gzip.waitUntilExit()
        let result = try GateFilter.run(inputs: [plain + ".gz"], output: scratch.path("out.jsonl"), decisions: Self.decisions(),
                                        options: FilterOptions(category: .contentPosts, noRecordTimes: true, threads: 1))
        #expect(String(decoding: scratch.read("out.jsonl"), as: UTF8.self) == #"{"member_id": "urn:li:member:1"}"# + "\n")
        #expect(result.dropped == [.optedOut: 1])
        #expect(throws: GateError.self) {
            try GateFilter.run(inputs: [scratch.path("cut.jsonl.gz")], output: scratch.path("out2.jsonl"), decisions: Self.decisions(),
                               options: FilterOptions(category: .contentPosts, noRecordTimes: true, threads: 1))
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out2.jsonl")))
    }

    @Test func eachRecordsCategoryMustBeOneThePolicyAllows() throws {
        let lines = [
            #"{"member_id": "urn:li:member:1", "category": "content.posts"}"#,
            #"{"member_id": "urn:li:member:1", "category": "profile.summary"}"#,
            #"{"member_id": "urn:li:member:1", "category": "messages.private"}"#,      // never allowed, whatever the policy
            #"{"member_id": "urn:li:member:1", "category": "account.email"}"#,         // allowable, not allowed here
            #"{"member_id": "urn:li:member:1", "category": "blog"}"#,                  // outside the taxonomy
            #"{"member_id": "urn:li:member:1", "category": 3}"#,
            #"{"member_id": "urn:li:member:1", "category": "content\u002Eposts"}"#,   // escaped: still content.posts
            #"{"member_id": "urn:li:member:1", "category": null}"#,
            #"{"member_id": "urn:li:member:1"}"#,
            #"{"member_id": "urn:li:member:2", "category": "blog"}"#,                 // the member's exclusion comes first
        ]
        let (kept, result) = try filter(lines, timeField: nil, category: nil, categoryField: "category")
        #expect(kept == [lines[0], lines[1], lines[6]])
        #expect(result.dropped == [.categoryNotAllowed: 4, .missingCategory: 2, .optedOut: 1])
        #expect(result.keptCategories == [.contentPosts, .profileSummary])
    }

    @Test func aRunWithoutAKnownAllowedCategoryIsRefusedAndWritesNothing() throws {
        let scratch = Scratch()
        let input = scratch.write("in.jsonl", #"{"member_id": "urn:li:member:1"}"# + "\n")
        func run(_ options: FilterOptions, _ decisions: GateDecisions = FilterTests.decisions()) throws {
            _ = try GateFilter.run(inputs: [input], output: scratch.path("out.jsonl"), decisions: decisions, options: options)
        }
        for (options, words) in [(FilterOptions(), "say what the records are"),
                                 (FilterOptions(category: .messagesPrivate), "--category messages.private is never used for training"),
                                 (FilterOptions(category: .accountEmail), "--category account.email is not allowed by policy test"),
                                 (FilterOptions(category: .contentPosts, categoryField: "category"), "not both")] {
            #expect(performing: { try run(options) }, throws: { "\($0)".contains(words) })
        }
        let list = scratch.write("excluded.txt", "7\n")
        #expect(performing: { try run(FilterOptions(category: .contentPosts), try GateSources.exclusions(path: list, asOf: Self.asOf)) },
                throws: { "\($0)".contains("--policy FILE") })
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out.jsonl")))
    }

    @Test func contentThatReservesItsRightsIsDropped() throws {
        let values = [#""0""#, "0", #""allowed""#, #""train-ai=y, search=n""#, #""search=n""#, "null",          // kept
                      #""1""#, "1", #""notAllowed""#, #""constrained""#, #""train-ai=n""#, #""search=y; v=1, train-genai=n""#,
                      "true", #"{"use": "allowed"}"#, #""maybe""#, #""""#]
        var lines = values.map { #"{"member_id": "urn:li:member:1", "tdm": \#($0)}"# }
        lines.append(#"{"member_id": "urn:li:member:1"}"#)                                                        // kept: no field
        let (kept, result) = try filter(lines, timeField: nil, reservationField: "tdm")
        #expect(kept == Array(lines[0..<6]) + [lines[lines.count - 1]])
        #expect(result.dropped == [.rightsReserved: 10])
    }

    @Test func withoutRecordTimesAMemberWhoWasAMinorInTheWindowIsLeftOutWhole() throws {
        let lines = [#"{"member_id": "urn:li:member:1"}"#, #"{"member_id": "urn:li:member:3"}"#, #"{"member_id": "urn:li:member:5"}"#,
                     #"{"member_id": "urn:li:member:5", "created_at": "2025-01-01T00:00:00Z"}"#]
        let (kept, result) = try filter(lines, timeField: nil)
        #expect(kept == [lines[0], lines[1]], "member 3 came of age in 2010, before the window; member 5 in 2022, inside it")
        #expect(result.dropped == [.minorInWindow: 2])
        // With their times, member 5's adult record is kept.
        let (timed, _) = try filter([lines[3]], timeField: "created_at")
        #expect(timed == [lines[3]])
    }

    @Test func aPolicyWithTimeRulesNeedsTheRecordsTimesOrAnExplicitNone() throws {
        let scratch = Scratch()
        let input = scratch.write("in.jsonl", #"{"member_id": "urn:li:member:1"}"# + "\n")
        #expect(performing: {
            try GateFilter.run(inputs: [input], output: scratch.path("out.jsonl"), decisions: Self.decisions(),
                               options: FilterOptions(category: .contentPosts))
        }, throws: { "\($0)".contains("the policy sets a look-back start of 2020-01-01T00:00:00Z: name the field") })
        #expect(performing: {
            try GateFilter.run(inputs: [input], output: scratch.path("out.jsonl"), decisions: Self.decisions(),
                               options: FilterOptions(timeField: "t", category: .contentPosts, noRecordTimes: true))
        }, throws: { "\($0)".contains("not both") })
        // An exclusions list must say it lists the minors of the policy's whole window.
        let policy = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "p").policy
        for (text, words) in [("7\n", "holds no birth dates"),
                              ("# consentry-exclusions minors_in_window since=2023-01-01T00:00:00Z\n7\n", "only since 2023-01-01T00:00:00Z"),
                              ("# consentry-exclusions minors_in_window since=soon\n7\n", "line 1 is not")] {
            let list = scratch.write("list.txt", text)
            #expect(performing: {
                try GateFilter.run(inputs: [input], output: scratch.path("out.jsonl"),
                                   decisions: try GateSources.exclusions(path: list, asOf: Self.asOf, policy: policy),
                                   options: FilterOptions(category: .contentPosts, noRecordTimes: true))
            }, throws: { "\($0)".contains(words) })
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out.jsonl")))
    }

    @Test func recordsNamingSomeoneWhoObjectedWithoutBeingAMemberAreDropped() throws {
        let base = Self.decisions()
        let decisions = GateDecisions(table: base.table, unknownIsEligible: false, asOf: Self.asOf, lookbackStart: Self.lookback,
                                      allowedCategories: base.allowedCategories,
                                      thirdParty: [ThirdPartyObjection(id: "obj_a", identifiers: ["Sam Doe", "https://example.com/p/1"]),
                                                   ThirdPartyObjection(id: "obj_b", identifiers: ["@jo_w"]),
                                                   ThirdPartyObjection(id: "obj_c", identifiers: ["ADA"])],
                                      policyVersion: "test", policySHA256: nil, source: "test")
        let lines = [
            #"{"member_id": "urn:li:member:1", "text": "Lunch with SAM DOE"}"#,
            #"{"member_id": "urn:li:member:1", "text": "see https://www.example.com/p/1/"}"#,
            #"{"member_id": "urn:li:member:1", "text": "thanks @Jo_W"}"#,
            #"{"member_id": "urn:li:member:1", "text": "Sam\u0020Doe, escaped"}"#,
            #"{"member_id": "urn:li:member:1", "text": "Samuel Doe and example.com/p/10 and @jo_wx"}"#,   // kept: none whole
            #"{"member_id": "urn:li:member:2", "text": "Sam Doe"}"#,                                    // opted out first
            #"{"member_id": "urn:li:member:1", "other": "Sam Doe"}"#,                                   // kept: not the text field
        ]
        let scratch = Scratch()
        let input = scratch.write("in.jsonl", lines.map { $0 + "\n" }.joined())
        var options = FilterOptions(category: .contentPosts, noRecordTimes: true, threads: 2, blockSize: 64)
        #expect(performing: { try GateFilter.run(inputs: [input], output: scratch.path("out.jsonl"), decisions: decisions, options: options) },
                throws: { "\($0)".contains("3 people who are not members object") })
        options.textField = "text"
        let result = try GateFilter.run(inputs: [input], output: scratch.path("out.jsonl"), decisions: decisions, options: options)
        #expect(String(decoding: scratch.read("out.jsonl"), as: UTF8.self) == lines[4] + "\n" + lines[6] + "\n")
        #expect(result.dropped == [.thirdPartyObjection: 4, .optedOut: 1] && result.thirdParty == ["obj_a": 3, "obj_b": 1])
        // --no-text still checks the member field.
        (options.textField, options.noText) = (nil, true)
        let byMember = try GateFilter.run(inputs: [scratch.write("ada.jsonl", #"{"member_id": "ada", "text": "Sam Doe"}"# + "\n")],
                                          output: scratch.path("out2.jsonl"), decisions: decisions, options: options)
        #expect(byMember.dropped == [.thirdPartyObjection: 1] && byMember.thirdParty == ["obj_c": 1], "the member field names them")
        // A purge of a dataset that names no text field searches whole records: any field, nested
        // values, keys, escapes decoded; JSON's punctuation still ends words.
        (options.noText, options.checksRecordRules, options.matchesWholeRecords) = (false, false, true)
        let whole = [
            #"{"member_id": "urn:li:member:1", "other": "Sam Doe"}"#,
            #"{"member_id": "urn:li:member:1", "data": {"comments": ["fine", "by \u0053am Doe"]}}"#,
            #"{"member_id": "urn:li:member:1", "data": {"sam doe": 1}}"#,
            #"{"member_id": "urn:li:member:1", "data": {"samdoe": "Sam Doerr", "x": "@jo_w2"}}"#,                 // kept
        ]
        let searched = try GateFilter.run(inputs: [scratch.write("whole.jsonl", whole.map { $0 + "\n" }.joined())],
                                          output: scratch.path("out3.jsonl"), decisions: decisions, options: options)
        #expect(String(decoding: scratch.read("out3.jsonl"), as: UTF8.self) == whole[3] + "\n")
        #expect(searched.thirdParty == ["obj_a": 3])
    }

    @Test func anExclusionsListDropsOnlyWhoIsListed() throws {
        let scratch = Scratch()
        let list = scratch.write("excluded.txt", "# consentry-exclusions minors_in_window since=-\n7\r\n\n9\n")
        let decisions = try GateSources.exclusions(path: list, asOf: Self.asOf, policy: try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "p").policy)
        #expect(decisions.minorsListed == MinorsInWindow(since: nil) && decisions.table.count == 2, "the first line is not an id")
        let (kept, result) = try filter([#"{"member_id": 7}"#, #"{"member_id": 8}"#, #"{"member_id": "9"}"#], decisions: decisions, timeField: nil)
        #expect(kept == [#"{"member_id": 8}"#])
        #expect(result.dropped == [.excluded: 2])
        let bad = scratch.write("bad.txt", "7\n\u{01}x\n")
        #expect(throws: GateError.badSource(bad, "line 2 is not a member id (1 to 256 bytes, no control characters)")) {
            try GateSources.exclusions(path: bad, asOf: Self.asOf)
        }
    }

    @Test func theDenseLayoutIsChosenOnlyWhenEveryIdAllowsIt() {
        let dense = MemberTable()
        for id in ["urn:li:member:5", "urn:li:member:70", "urn:li:member:0"] { dense.insert(id, GateVerdict(drop: .excluded)) }
        dense.seal()
        #expect(dense.verdict("urn:li:member:70")?.drop == .excluded)
        #expect(dense.verdict("urn:li:member:07") == nil && dense.verdict("urn:li:member:") == nil && dense.verdict("urn:li:membr:5") == nil)
        #expect(dense.verdict("urn:li:member:71") == nil && dense.verdict("urn:li:member:99999999") == nil)
        let mixed = MemberTable()
        for id in ["5", "urn:li:member:70", "ada"] { mixed.insert(id, GateVerdict(drop: nil, usableFromMicros: 42)) }
        mixed.seal()
        #expect(mixed.verdict("5") == GateVerdict(drop: nil, usableFromMicros: 42))
        #expect(mixed.verdict("ada") != nil && mixed.verdict("6") == nil)
    }

    /// Under `--no-record-times` the threads read a dense table that answers "a minor in the
    /// window?" instead of keeping dates: every member keeps their drop, only the answer
    /// changes, and the rule reads the same answer from it. A hashed table is kept as it is.
    @Test(arguments: [true, false])
    func aTableAnswersMinorsInTheWindowWithoutItsDates(dense: Bool) {
        let table = Self.decisions(dense: dense).table
        table.seal()
        let start = Timestamp.microseconds(Self.lookback)
        let answered = table.answeringMinorsInWindow(windowStartMicros: start)
        #expect((answered === table) == !dense)
        let prefix = dense ? "" : "urn:li:member:"
        for number in ["1", "2", "3", "4", "5", "123", "6"] {
            let before = table.verdict(prefix + number)
            let after = answered.verdict(prefix + number)
            #expect(after?.drop == before?.drop && (after == nil) == (before == nil), "\(number)")
            if let before, let after {
                let minor = RecordRules.minorInWindow(before, windowStartMicros: start)
                if dense { #expect(after.usableFromMicros == (minor ? .max : .min), "\(number)") }
                #expect(RecordRules.minorInWindow(after, windowStartMicros: start) == minor, "\(number)")
            }
        }
        // Member 5 turned 18 in 2022, inside the window from 2020; member 3 in 2010, before it.
        #expect(RecordRules.minorInWindow(answered.verdict(prefix + "5")!, windowStartMicros: start))
        #expect(!RecordRules.minorInWindow(answered.verdict(prefix + "3")!, windowStartMicros: start))
        #expect(answered.count == table.count)
        // A list without dates has nothing to answer.
        let list = MemberTable()
        list.insert("7", GateVerdict(drop: .optedOut))
        list.seal()
        #expect(list.answeringMinorsInWindow(windowStartMicros: start) === list)
    }

    @Test(arguments: [["urn:li:member:3", "urn:li:member:10", "urn:li:member:0"],
                      ["3", "10", "007", "4"],
                      ["urn:li:member:3", "ada", "urn:li:member:12"],
                      ["1", "2", "urn:1"]])
    func aLoaderBuildsTheSameTableAsInserts(ids: [String]) {
        var loader = MemberTable.Loader(expectedCount: 4)
        let inserted = MemberTable()
        for (index, id) in ids.enumerated() {
            let verdict = GateVerdict(drop: index % 2 == 0 ? nil : .optedOut, usableFromMicros: index == 1 ? 42 : .min)
            loader.add(id, verdict)
            inserted.insert(id, verdict)
        }
        inserted.seal()
        let loaded = loader.finish()
        #expect(loaded.count == ids.count)
        for id in ids + ["urn:li:member:4", "5", "ad", "0", "urn:li:member:", "urn:10"] {
            #expect(loaded.verdict(id) == inserted.verdict(id), "\(id)")
        }
    }

    @Test func anObjectSpreadOverTwoLinesIsTwoMalformedLines() throws {
        let lines = [#"{"member_id": "urn:li:member:1","#, #" "text": "split"}"#, #"{"member_id": "urn:li:member:1"}"#,
                     #"{"member_id": "urn:li:member:1"} {"member_id": "urn:li:member:1"}"#, #"{"member_id": "urn:li:member:1"}   "#]
        let (kept, result) = try filter(lines, timeField: nil, blockSize: 64)
        #expect(kept == [lines[2], lines[4]])
        #expect(result.dropped == [.malformed: 3] && result.records == 5)
    }

    /// A pipe at the output path may be someone else's, waiting for the records: refused, left
    /// as it is, nothing written beside it. /dev/null stays a sink.
    @Test func aPipeOutputIsRefusedAndDevNullIsASink() throws {
        let scratch = Scratch()
        let fifo = scratch.path("out.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let input = scratch.write("in.jsonl", #"{"member_id": "urn:li:member:1", "n": 1}"# + "\n" + #"{"member_id": "urn:li:member:2"}"# + "\n")
        #expect(throws: GateError.self) {
            try GateFilter.run(inputs: [input], output: fifo, decisions: Self.decisions(),
                               options: FilterOptions(memberField: "member_id", category: .contentPosts, noRecordTimes: true, threads: 1, hashing: true))
        }
        var status = stat()
        #expect(stat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO, "the pipe is still a pipe")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["in.jsonl", "out.fifo"])
        let result = try GateFilter.run(inputs: [input], output: "/dev/null", decisions: Self.decisions(),
                                        options: FilterOptions(memberField: "member_id", category: .contentPosts, noRecordTimes: true, threads: 1, hashing: true))
        #expect(result.kept == 1 && result.outputSHA256?.count == 64)
    }
}

/// Bytes handed from a reader thread to the test.
final class SendableData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data? { lock.withLock { data } }
}
