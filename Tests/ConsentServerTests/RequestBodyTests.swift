import Foundation
import NIOCore
import Testing

@testable import ConsentServer

/// Request bodies are read into `Decodable` types; what is wrong is named with a pointer and a
/// sentence, and nothing the type does not list gets through.
struct RequestBodyTests {
    @Test(arguments: [
        (#"{"days": 30.5, "reason": "x"}"#, "/days", "must be a whole number, not 30.5"),
        (#"{"days": "thirty", "reason": "x"}"#, "/days", "must be a whole number, not a string"),
        (#"{"days": 10}"#, "/reason", "is required"),
        (#"{"days": 10, "reason": null}"#, "/reason", "must not be null"),
        (#"{"days": null, "months": 2, "reason": "x"}"#, "/days", "must not be null"),
        (#"{"days": 10, "reason": "x", "note": 1, "also": 2}"#, "/also", #"unknown field "also"; the fields are days, months, reason"#),
        (#"[10]"#, "", #"the body must be a JSON object like {"months": 2, "reason": "…"}"#),
        (#"{"days": 10,"#, "", "the body is not valid JSON at byte"),
    ])
    func aBadBodyNamesTheFieldAndWhatIsWrong(_ body: String, _ pointer: String, _ detail: String) throws {
        do {
            _ = try Extension.decode(from: ByteBuffer(string: body))
            Issue.record("accepted \(body)")
        } catch let problem as Problem {
            #expect(problem.pointer == pointer)
            #expect(problem.detail.contains(detail), "\(problem.detail)")
        }
    }

    @Test func elementsOfAnArrayAreNamedByIndex() throws {
        do {
            _ = try PublicObjection.decode(from: ByteBuffer(string: #"{"email": "a@b.example", "identifiers": ["x", 3]}"#))
            Issue.record("accepted a number")
        } catch let problem as Problem {
            #expect(problem.pointer == "/identifiers/1" && problem.detail == "must be a string, not a number")
        }
    }

    @Test func nullIsAcceptedOnlyWhereTheSchemaAllowsIt() throws {
        let filed = try NewObjection.decode(from: ByteBuffer(string: #"{"reason": null, "email": null}"#))
        #expect(filed.reason == nil && filed.email == nil)
        do {
            _ = try PipelineController.BatchRequest.decode(from: ByteBuffer(string: #"{"as_of": null, "members": []}"#))
            Issue.record("accepted a null as_of")
        } catch let problem as Problem {
            #expect(problem.pointer == "/as_of")
        }
    }

    @Test func aWholeNumberWrittenWithAFractionIsAccepted() throws {
        let asked = try Extension.decode(from: ByteBuffer(string: #"{"months": 2.0, "reason": "backlog"}"#))
        #expect(asked.months == 2 && asked.days == nil && asked.reason == "backlog")
    }

    @Test func aSettingIsTrueOrFalseAndNothingElse() throws {
        #expect(try SettingChange.decode(from: ByteBuffer(string: #"{"enabled": false}"#)).enabled == false)
        #expect(try SettingChange.decode(from: ByteBuffer(string: " {\"enabled\":true}\n")).enabled == true)
        do {
            _ = try SettingChange.decode(from: ByteBuffer(string: #"{"enabled": "no"}"#))
            Issue.record("accepted a string")
        } catch let problem as Problem {
            #expect(problem.pointer == "/enabled" && problem.detail == "must be true or false, not a string")
        }
        // What the quick reading does not take goes through the checked decoder, which names what is wrong.
        let refused: [(String, String)] = [
            (#"{"enabled": true, "channel": "ios"}"#, "/channel"), (#"{"enabled": null}"#, "/enabled"), (#"{}"#, "/enabled"),
            (#"{"enabled": true} x"#, ""), (#"[true]"#, ""),
        ]
        for (body, pointer) in refused {
            do {
                _ = try SettingChange.decode(from: ByteBuffer(string: body))
                Issue.record("accepted \(body)")
            } catch let problem as Problem {
                #expect(problem.pointer == pointer, "\(body): \(problem.detail)")
            }
        }
    }
}
