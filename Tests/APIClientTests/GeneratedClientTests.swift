import ConsentTesting
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import OpenAPIRuntime
import OpenAPIURLSession
import Testing

/// The JSON API as the apps use it: a Swift client generated from `openapi.yaml` (the same file
/// the server serves) by swift-openapi-generator, against a live `consentry serve` on 127.0.0.1.
/// Each call goes through the generated types, so a route that drifts from its document fails
/// here: a status it does not declare, a field it does not have, a body it cannot decode.
@Suite(.serialized)
struct GeneratedClientTests {
    static let secret = "client-secret-client-secret-client-secret-01"

    /// A served store with the example policy and members, and a client per identity.
    final class Served: @unchecked Sendable {
        let directory: URL
        let server: ServedProcess
        var db: String { directory.appendingPathComponent("store.sqlite").path }

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("consentry-client-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            _ = try Self.run(["policy", "apply", root.appendingPathComponent("examples/policy.yaml").path, "--db", directory.appendingPathComponent("store.sqlite").path])
            _ = try Self.run(["import", "members", root.appendingPathComponent("examples/members.jsonl").path, "--db", directory.appendingPathComponent("store.sqlite").path])
            _ = try Self.run(["log", "init", "--name", "consentry.client-test/log", "--out", directory.appendingPathComponent("log.key").path])
            server = try await ServedProcess(["serve", "--db", directory.appendingPathComponent("store.sqlite").path, "--insecure-cookies"],
                                             environment: Self.environment.merging(["CONSENTRY_LOG_KEY_FILE": directory.appendingPathComponent("log.key").path]) { $1 })
        }

        deinit {
            try? FileManager.default.removeItem(at: directory)
        }

        static let environment = ProcessInfo.processInfo.environment.merging(["CONSENTRY_JWT_SECRET": secret]) { $1 }

        static var binary: String { BuiltBinary.consentry }

        /// Runs the CLI; its standard output.
        @discardableResult
        static func run(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.environment = environment
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }

        func client(as subject: String, role: String = "member") throws -> Client {
            let token = try Self.run(["token", "--member", subject, "--role", role]).trimmingCharacters(in: .whitespacesAndNewlines)
            return Client(serverURL: URL(string: server.baseURL)!, configuration: Self.configuration, transport: URLSessionTransport(),
                          middlewares: [BearerToken(token: token)])
        }

        var anonymous: Client {
            Client(serverURL: URL(string: server.baseURL)!, configuration: Self.configuration, transport: URLSessionTransport())
        }

        /// RFC 3339 instants, with fractional seconds when they are not whole (as the server writes them).
        static let configuration = Configuration(dateTranscoder: RFC3339Dates())

        /// The code a pending outbox event carries to `email` (as the platform's mailer would get it).
        func code(sentTo email: String) throws -> String {
            for line in try Self.run(["outbox", "list", "--pending", "--db", db]).split(separator: "\n") {
                guard let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let payload = event["payload"] as? [String: Any], payload["email"] as? String == email,
                      let code = payload["code"] as? String else { continue }
                return code
            }
            throw CancellationError()
        }
    }

    /// Reads `2026-01-15T12:00:00Z` and `2026-01-15T12:00:00.123456Z` alike; writes the first form.
    struct RFC3339Dates: DateTranscoder {
        func encode(_ date: Date) throws -> String { ISO8601DateFormatter().string(from: date) }

        func decode(_ text: String) throws -> Date {
            let whole = ISO8601DateFormatter(), fractional = ISO8601DateFormatter()
            fractional.formatOptions.insert(.withFractionalSeconds)
            guard let date = whole.date(from: text) ?? fractional.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(text) is not an RFC 3339 instant"))
            }
            return date
        }
    }

    /// Adds `Authorization: Bearer <token>` to every request, as an app's networking layer would.
    struct BearerToken: ClientMiddleware {
        let token: String
        func intercept(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
                       next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
            var request = request
            request.headerFields[.authorization] = "Bearer " + token
            return try await next(request, body, baseURL)
        }
    }

    @Test func aMemberSwitchesItOffAndSeesWhy() async throws {
        let served = try await Served()
        let member = try served.client(as: "urn:li:member:1001")
        let before = try await member.getSetting().ok.body.json
        #expect(before.reason == .included_by_default && before.eligible)

        let changed = try await member.changeSetting(headers: .init(X_hyphen_Consentry_hyphen_Channel: .ios, Idempotency_hyphen_Key: "phone-1"),
                                                     body: .json(.init(enabled: false))).ok.body.json
        #expect(changed.reason == .opted_out && !changed.eligible && !changed.enabled)
        #expect(changed.explanation.contains("iOS app"))
        let retried = try await member.changeSetting(headers: .init(X_hyphen_Consentry_hyphen_Channel: .ios, Idempotency_hyphen_Key: "phone-1"),
                                                     body: .json(.init(enabled: false))).ok.body.json
        #expect(retried == changed, "a retry with the same key answers the same")

        let history = try await member.getSettingHistory().ok.body.json
        #expect(history.items.count == 1 && history.items.first?.enabled == false && history.items.first?.channel == .ios)
        let receipt = try await member.getMyChoiceReceipt(path: .init(sequence: try #require(history.items.first?.sequence))).ok.body.json
        #expect(receipt.checkpoint.contains("consentry.client-test/log"))

        // Without a token: the problem the document promises.
        let refused = try await served.anonymous.getSetting()
        guard case .unauthorized(let problem) = refused else { Issue.record("expected 401, got \(refused)"); return }
        #expect(try problem.body.application_problem_plus_json.status == 401)
    }

    @Test func objectionsGoFromTheMemberToThePrivacyTeamAndBack() async throws {
        let served = try await Served()
        let member = try served.client(as: "urn:li:member:1002")
        let filed = try await member.fileMyObjection(body: .json(.init(reason: "Not my data to give", email: "kim@example.com"))).created.body.json
        #expect(filed.value1.status == .received && filed.value2.email_verified == false)
        let id = filed.value1.id
        #expect(try await member.listMyObjections().ok.body.json.items.map(\.value1.id) == [id])

        let verified = try await member.verifyMyEmail(body: .json(.init(code: try served.code(sentTo: "kim@example.com")))).ok.body.json
        #expect(verified.email == "kim@example.com" && verified.verified)
        #expect(try await member.getMyObjection(path: .init(id: id)).ok.body.json.value2.email_verified == true)

        let staff = try served.client(as: "dana@privacy", role: "privacy")
        let queue = try await staff.listObjectionQueue().ok.body.json
        #expect(queue.items.contains { $0.value1.id == id })
        let tooLong = try await staff.extendObjection(path: .init(id: id), body: .json(.case1(.init(days: 366, reason: "A year"))))
        guard case .unprocessableContent = tooLong else { Issue.record("expected 422, got \(tooLong)"); return }
        let extended = try await staff.extendObjection(path: .init(id: id), body: .json(.case1(.init(days: 10, reason: "Checking archives")))).ok.body.json
        #expect(extended.value1.status == .extended)
        let decided = try await staff.decideObjection(path: .init(id: id), body: .json(.init(decision: .uphold, reason: "Upheld"))).ok.body.json
        #expect([.upheld, .completed].contains(decided.value1.status))
        #expect(try await staff.getQueuedObjection(path: .init(id: id)).ok.body.json.value1.value1.decision == .uphold)

        // A member's token is not the privacy team's.
        let forbidden = try await member.listObjectionQueue()
        guard case .forbidden = forbidden else { Issue.record("expected 403, got \(forbidden)"); return }
    }

    @Test func aNonMemberObjectsAfterConfirmingTheirAddress() async throws {
        let served = try await Served()
        let asked = try await served.anonymous.requestPublicObjection(body: .json(.init(email: "sam@example.com",
                                                                                       identifiers: ["https://example.com/posts/42"]))).accepted.body.json
        let filed = try await served.anonymous.verifyPublicObjection(body: .json(.init(request: asked.request, code: try served.code(sentTo: "sam@example.com"))))
            .created.body.json
        #expect(filed.value1.member == nil && filed.value1.identifiers == ["https://example.com/posts/42"] && filed.value2.email_verified == true)
    }

    /// Issue 18's end to end: posts that name someone were filtered into two datasets before they
    /// objected; their objection, confirmed and upheld through the API, makes a purge remove the
    /// records naming them (in the text field one dataset was filtered with; anywhere in the
    /// records of the other, which names no text field), and then completes the objection.
    @Test func aNonMemberObjectionUpheldThroughTheAPIIsPurgedFromTheDatasets() async throws {
        let served = try await Served()
        let posts = served.directory.appendingPathComponent("posts.jsonl").path
        try """
            {"member_id":"urn:li:member:1001","created_at":"2025-10-01T09:00:00Z","text":"Lunch with SAM  Doe today"}
            {"member_id":"urn:li:member:1001","created_at":"2025-10-02T09:00:00Z","text":"See https://www.example.com/posts/42/"}
            {"member_id":"urn:li:member:1001","created_at":"2025-10-03T09:00:00Z","text":"Nothing about anyone","note":"met Sam Doe"}
            {"member_id":"urn:li:member:1001","created_at":"2025-10-04T09:00:00Z","text":"Samuel Doerr wrote https://example.com/posts/420"}

            """.write(toFile: posts, atomically: true, encoding: .utf8)
        func filter(_ name: String, _ extra: [String]) throws -> String {
            let out = served.directory.appendingPathComponent(name + ".jsonl").path
            _ = try Served.run(["datasets", "filter", posts, "--db", served.db, "--category", "content.posts", "--time-field", "created_at",
                                "--register", name, "--out", out] + extra)
            return out
        }
        let withText = try filter("with-text", ["--text-field", "text"]), whole = try filter("whole", [])
        #expect(try String(contentsOfFile: withText, encoding: .utf8).split(separator: "\n").count == 4, "nobody had objected yet")

        let asked = try await served.anonymous.requestPublicObjection(body: .json(.init(
            email: "sam@example.com", identifiers: ["Sam Doe", "https://example.com/posts/42"]))).accepted.body.json
        let filed = try await served.anonymous.verifyPublicObjection(body: .json(.init(request: asked.request, code: try served.code(sentTo: "sam@example.com"))))
            .created.body.json
        let id = filed.value1.id
        let staff = try served.client(as: "dana@privacy", role: "privacy")
        let decided = try await staff.decideObjection(path: .init(id: id), body: .json(.init(decision: .uphold, reason: "Their name and post"))).ok.body.json
        #expect(decided.value1.status == .upheld, "records still name them")

        let purged = try Served.run(["datasets", "purge", "--all", "--db", served.db])
        #expect(purged.contains("objection \(id): completed"), "\(purged)")
        #expect(purged.contains("removed 0 members, 2 records (searched them for 1 person who objected without being a member: 2 records named them)"), "\(purged)")
        #expect(purged.contains("removed 0 members, 3 records (searched them for 1 person who objected without being a member: 3 records named them)"), "\(purged)")
        // The name in any case and spacing, the link with or without www and a trailing slash: gone.
        // A longer name and a longer link are other people's.
        let leftWithText = try String(contentsOfFile: withText, encoding: .utf8)
        #expect(leftWithText.split(separator: "\n").map { $0.contains("Nothing about anyone") || $0.contains("Samuel Doerr") } == [true, true])
        #expect(try String(contentsOfFile: whole, encoding: .utf8).split(separator: "\n").count == 1, "the note names them too")
        let manifest = try String(contentsOfFile: withText + ".manifest.json", encoding: .utf8)
        #expect(manifest.contains(#""third_party":{"\#(id)":2}"#) && manifest.contains(#""third_party_checked":["\#(id)"]"#), "\(manifest)")

        let completed = try await staff.getQueuedObjection(path: .init(id: id)).ok.body.json.value1.value1
        #expect(completed.status == .completed)
        #expect(completed.timeline.last?.reason?.contains("Every registered dataset was searched for what identifies them") == true)
        // Done stays done: a second purge finds nothing more to search or remove.
        let again = try Served.run(["datasets", "purge", "--all", "--db", served.db])
        #expect(again.components(separatedBy: "nothing to remove").count == 3 && !again.contains("completed"), "\(again)")
    }

    @Test func aPipelineGetsDecisionsInBulk() async throws {
        let served = try await Served()
        let pipeline = try served.client(as: "etl", role: "pipeline")
        let batch = try await pipeline.decideBatch(body: .json(.init(members: ["urn:li:member:1001", "urn:li:member:1003"]))).ok.body.json
        #expect(batch.decisions.count == 2)
        let exclusions = try await String(collecting: try await pipeline.getExclusions().ok.body.plainText, upTo: 1 << 20)
        // The example population holds minors and members out of scope: the list is not empty, and
        // holds exactly the batch's excluded member.
        #expect(exclusions.split(separator: "\n").contains("urn:li:member:1003") == !(batch.decisions.last?.eligible ?? true))
        let checkpoint = try await served.anonymous.getCheckpoint().ok.body.plainText
        #expect(try await String(collecting: checkpoint, upTo: 1 << 16).hasPrefix("consentry.client-test/log\n"))
    }
}
