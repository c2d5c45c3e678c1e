import ConsentCore
import ConsentFormats
import ConsentServer
import ConsentSQLite
import ConsentTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A server over a real SQLite file with a few members, a fixed clock and an HS256 verifier.
struct Harness {
    static let secret = "test-secret-test-secret-test-secret-0123"
    static let now = Timestamp.parse("2026-01-15T12:00:00Z")!

    let directory: URL
    let store: SQLiteConsentStore
    let identity: IdentityVerifier

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("consentry-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteConsentStore(path: directory.appendingPathComponent("db.sqlite").path)
        try await store.applyPolicy(try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "policy"), actor: "test")
        let members: [(String, String, String?)] = [
            ("urn:li:member:eu", "DE", "1990-05-17"), ("urn:li:member:minor", "FR", "2012-03-01"),
            ("urn:li:member:ca", "CA", "1985-01-01"), ("<script>alert(1)</script>", "US", "1980-01-01"),
        ]
        let lines = members.enumerated().map { index, member in
            ImportLine(line: index + 1, record: .success(MemberRecord(member: Member(
                id: MemberID(member.0)!, birthDate: member.2.flatMap { CivilDate(parsing: $0) }, country: CountryCode(member.1)!))))
        }
        _ = try await store.importMembers(lines, options: ImportOptions(source: "test", actor: "test"))
        identity = try await IdentityVerifier.sharedSecret(Self.secret, issuer: "test-issuer")
    }

    var app: some ApplicationProtocol { app(now: { Self.now }) }

    static let logSigner = LogSigner(try! NoteSigner.generate(name: "consentry.test/log"))

    /// The application with a clock the test moves, configured as the test needs.
    func app(now: @escaping @Sendable () -> Date, configure: (inout ServerConfiguration) -> Void = { _ in }) -> some ApplicationProtocol {
        var configuration = ServerConfiguration(port: 0, demo: true, demoMembers: [
            ("Adult in Europe", MemberID("urn:li:member:eu")!), ("A <b>bold</b> label", MemberID("<script>alert(1)</script>")!),
        ])
        configure(&configuration)
        return try! buildApplication(store: store, identity: identity, configuration: configuration,
                                     sessionSecret: Self.secret, logSigner: Self.logSigner, now: now)
    }

    func token(_ subject: String, role: Identity.Role = .member) async throws -> String {
        try await identity.token(subject: subject, role: role)
    }
}

func headers(_ token: String?, _ extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
    var fields = HTTPFields()
    if let token { fields[.authorization] = "Bearer " + token }
    for (name, value) in extra { fields[name] = value }
    return fields
}

func object(_ buffer: ByteBuffer) throws -> [String: JSONValue] {
    guard case .object(let members) = try JSONParser.parse(String(buffer: buffer)) else { throw Problem.init(status: .ok, type: "", title: "", detail: "not an object") }
    return Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
}

struct APITests {
    @Test func healthAndReadinessAnswer() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func aKnownAddressAskedWithAnotherMethodAnswers405WithAllow() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, PUT")
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(String(buffer: response.body).contains("DELETE is not answered here"))
            }
            try await client.execute(uri: "/healthz", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
            try await client.execute(uri: "/api/v1/me/nothing-here", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/healthz/deeper", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func aMemberSeesTheirSettingAndWhy() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(token)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let body = try object(response.body)
                #expect(body["enabled"] == .bool(true) && body["eligible"] == .bool(true) && body["can_change"] == .bool(true))
                #expect(body["reason"] == .string("included_by_default") && body["region"] == .string("europe"))
                #expect(body["effective"] == .string("2025-11-03") && body["updated_at"] == .null)
                #expect(body["explanation"] == .string("On — used by default in your region (Europe) since 3 November 2025"))
                guard case .object(let categories)? = body["categories"] else { Issue.record("no categories"); return }
                #expect(categories.first { $0.key == "never_used" }.map { JSONWriter.write($0.value).contains("account.login") } == true)
            }
        }
    }

    @Test func switchingOffIsDurableAndExplained() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            // A GET first, so that the rendered body is cached and the write has to drop it.
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(token)) { response in
                let body = try object(response.body)
                #expect(body["reason"] == .string("included_by_default"))
            }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put,
                                     headers: headers(token, [HTTPField.Name("X-Consentry-Channel")!: "ios"]),
                                     body: ByteBuffer(string: #"{"enabled": false}"#)) { response in
                #expect(response.status == .ok)
                let body = try object(response.body)
                #expect(body["reason"] == .string("opted_out") && body["enabled"] == .bool(false))
                #expect(body["explanation"] == .string("Off — you turned this off on 15 January 2026 (iOS app)"))
            }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(token)) { response in
                let body = try object(response.body)
                #expect(body["reason"] == .string("opted_out"))
            }
        }
        let history = try await harness.store.history(of: MemberID("urn:li:member:eu")!)
        #expect(history.map(\.choice) == [.off] && history.map(\.channel) == [.ios])
        #expect(try await harness.store.verifyAuditChain().entries == 6)
    }

    @Test func aRetryWithTheSameIdempotencyKeyRecordsNothingNew() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:ca")
        try await harness.app.test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/api/v1/me/ai-training", method: .put,
                                         headers: headers(token, [HTTPField.Name("Idempotency-Key")!: "k-1"]),
                                         body: ByteBuffer(string: #"{"enabled": true}"#)) { response in
                    #expect(response.status == .ok)
                    let body = try object(response.body)
                #expect(body["reason"] == .string("opted_in"))
                }
            }
        }
        #expect(try await harness.store.history(of: MemberID("urn:li:member:ca")!).count == 1)
    }

    @Test(arguments: [
        (#"{"enabled": "no"}"#, "/enabled"), (#"{"enabled": false, "member": "x"}"#, "/member"), (#"{}"#, "/enabled"),
        (#"{"enabled": fal"#, ""), (#"[false]"#, ""),
    ])
    func badBodiesAreRefusedNamingTheField(_ body: String, _ pointer: String) async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: headers(token),
                                     body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/problem+json")
                let problem = try object(response.body)
                #expect(problem["status"] == .number("400"))
                #expect(problem["pointer"] == .string(pointer), "a JSON pointer; \"\" is the whole body")
            }
        }
        #expect(try await harness.store.history(of: MemberID("urn:li:member:eu")!).isEmpty)
    }

    @Test func aBodyOver64KiBIsRefused() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            let big = #"{"enabled": false, "pad": ""# + String(repeating: "x", count: 70_000) + #""}"#
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: headers(token),
                                     body: ByteBuffer(string: big)) { #expect($0.status == .contentTooLarge) }
        }
    }

    @Test func aMinorCannotChangeTheOutcome() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:minor")
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(token)) { response in
                let body = try object(response.body)
                #expect(body["reason"] == .string("minor") && body["can_change"] == .bool(false))
                #expect(body["explanation"] == .string("Off — members under 18 are never included"))
            }
        }
    }

    @Test func historyIsNewestFirstAndPaginated() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            for enabled in [false, true, false] {
                try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: headers(token),
                                         body: ByteBuffer(string: #"{"enabled": \#(enabled)}"#)) { #expect($0.status == .ok) }
            }
            var cursor: String?
            try await client.execute(uri: "/api/v1/me/ai-training/history?limit=2", method: .get, headers: headers(token)) { response in
                let body = try object(response.body)
                guard case .array(let items)? = body["items"], case .string(let next)? = body["next_cursor"] else {
                    Issue.record("unexpected page: \(String(buffer: response.body))")
                    return
                }
                #expect(items.count == 2)
                #expect(items.first.map { "\($0)".contains("\"enabled\"") } != nil)
                cursor = next
            }
            try await client.execute(uri: "/api/v1/me/ai-training/history?limit=2&cursor=\(cursor ?? "")", method: .get,
                                     headers: headers(token)) { response in
                let body = try object(response.body)
                guard case .array(let items)? = body["items"] else { Issue.record("no items"); return }
                #expect(items.count == 1 && body["next_cursor"] == .null)
            }
            try await client.execute(uri: "/api/v1/me/ai-training/history?limit=0", method: .get, headers: headers(token)) {
                #expect($0.status == .badRequest)
            }
        }
    }
}

/// Over real HTTP on 127.0.0.1: what the API acknowledged is what the store decides from.
struct LiveAPITests {
    @Test func anAcknowledgedOffOverHTTPIsWhatTheStoreDecides() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.live) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put,
                                     headers: headers(token, [HTTPField.Name("X-Consentry-Channel")!: "android"]),
                                     body: ByteBuffer(string: #"{"enabled": false}"#)) { response in
                #expect(response.status == .ok)
            }
        }
        let policy = try #require(try await harness.store.activePolicy()).policy
        let decision = try await harness.store.decision(for: MemberID("urn:li:member:eu")!, policy: policy, at: Date())
        #expect(decision.reason == .optedOut)
    }
}

struct MetricsTests {
    @Test func metricsCountRequestsByRouteAndChoicesByChannel() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put,
                                     headers: headers(token, [HTTPField.Name("X-Consentry-Channel")!: "android"]),
                                     body: ByteBuffer(string: #"{"enabled": false}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(text.contains(#"consentry_choices_recorded_total{channel="android",value="off"} 1"#))
                #expect(text.contains(#"consentry_http_requests_total{route="/api/v1/me/ai-training",method="PUT",status="200"} 1"#))
                #expect(text.contains(#"consentry_http_requests_total{route="/api/v1/me/ai-training",method="GET",status="401"} 1"#))
                #expect(text.contains("consentry_http_request_duration_seconds_bucket"))
            }
        }
    }

    @Test func metricsCountOpenAndOverdueObjectionsAndTimeToDecision() async throws {
        let harness = try await Harness()
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        // Overdue at Harness.now (due 2026-01-01), open and in time (due 2026-02-13), decided after 2 days.
        let late = Objection.file(id: .random(), member: MemberID("urn:li:member:eu")!, at: Timestamp.parse("2025-12-02T00:00:00Z")!,
                                  reason: nil, terms: terms)
        let fresh = Objection.file(id: .random(), member: MemberID("urn:li:member:ca")!, at: Timestamp.parse("2026-01-14T00:00:00Z")!,
                                   reason: nil, terms: terms)
        let decided = Objection.file(id: .random(), member: MemberID("urn:li:member:minor")!, at: Timestamp.parse("2026-01-01T00:00:00Z")!,
                                     reason: nil, terms: terms)
        for objection in [late, fresh, decided] { try await harness.store.fileObjection(objection, actor: "test") }
        _ = try await harness.store.updateObjection(decided.id, actor: "privacy") {
            try $0.deciding(.reject, reason: "no data", at: Timestamp.parse("2026-01-03T00:00:00Z")!)
        }
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("consentry_objections_open 2\n"), "\(text)")
                #expect(text.contains("consentry_objections_overdue 1\n"))
                #expect(text.contains("consentry_objection_time_to_decision_seconds_sum 172800.000\n"))
                #expect(text.contains("consentry_objection_time_to_decision_seconds_count 1\n"))
            }
        }
    }
}

/// Two instances over one store, as behind a load balancer: each keeps its own in-memory view.
struct MultiInstanceTests {
    @Test func anOffAcknowledgedOnOneInstanceShowsOnTheOtherWithinASecond() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        // The second instance has its own store connection, as another process would.
        let otherStore = try SQLiteConsentStore(path: harness.directory.appendingPathComponent("db.sqlite").path)
        let other = try buildApplication(store: otherStore, identity: harness.identity, configuration: ServerConfiguration(port: 0),
                                         sessionSecret: Harness.secret, now: { Harness.now })
        try await other.test(.router) { b in
            // B has the member in memory, "On".
            try await b.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(token)) { response in
                let body = try object(response.body)
                #expect(body["enabled"] == .bool(true))
            }
            try await harness.app.test(.router) { a in
                try await a.execute(uri: "/api/v1/me/ai-training", method: .put, headers: headers(token),
                                    body: ByteBuffer(string: #"{"enabled": false}"#)) { #expect($0.status == .ok) }
            }
            let acknowledged = ContinuousClock.now
            // The bound is the cache's design (state trusted 0.5 s, bodies 0.4 s): every request
            // sent more than a second after the acknowledgement must show "Off", however long
            // the answers take on a busy machine.
            var answers: [(asked: Duration, off: Bool)] = []
            while ContinuousClock.now - acknowledged < .milliseconds(1_500) || !answers.contains(where: { $0.asked > .seconds(1) }) {
                let asked = ContinuousClock.now - acknowledged
                guard asked < .seconds(30) else { break }
                try await b.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(token)) { response in
                    let body = try object(response.body)
                    answers.append((asked, body["enabled"] == .bool(false)))
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let late = answers.filter { $0.asked > .seconds(1) }
            let stale = late.filter { !$0.off }.map(\.asked)
            #expect(!late.isEmpty, "no request was sent after a second")
            #expect(stale.isEmpty, "B showed the stale On after a second: \(stale)")
        }
    }

    @Test func aRetryOnAnotherInstanceRecordsNothingNew() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        let otherStore = try SQLiteConsentStore(path: harness.directory.appendingPathComponent("db.sqlite").path)
        let other = try buildApplication(store: otherStore, identity: harness.identity, configuration: ServerConfiguration(port: 0),
                                         sessionSecret: Harness.secret, now: { Harness.now })
        let retry = headers(token, [HTTPField.Name("Idempotency-Key")!: "phone-7f1c"])
        try await harness.app.test(.router) { a in
            try await a.execute(uri: "/api/v1/me/ai-training", method: .put, headers: retry, body: ByteBuffer(string: #"{"enabled": false}"#)) {
                #expect($0.status == .ok)
            }
            try await a.execute(uri: "/api/v1/me/objections", method: .post, headers: retry, body: ByteBuffer(string: "{}")) {
                #expect($0.status == .created)
            }
        }
        try await other.test(.router) { b in
            try await b.execute(uri: "/api/v1/me/ai-training", method: .put, headers: retry, body: ByteBuffer(string: #"{"enabled": false}"#)) {
                #expect($0.status == .ok)
            }
            try await b.execute(uri: "/api/v1/me/objections", method: .post, headers: retry, body: ByteBuffer(string: "{}")) {
                #expect($0.status == .created)
            }
        }
        #expect(try await harness.store.history(of: MemberID("urn:li:member:eu")!).count == 1, "the retry on B recorded nothing")
        #expect(try await harness.store.objections(of: MemberID("urn:li:member:eu")!).count == 1)
    }

    /// A key reused for another request is a 422 problem, never a 200 with the first answer;
    /// the same request with other spacing is the same request; a key 24 hours old is forgotten.
    @Test func aReusedKeyForAnotherRequestIsRefusedAndKeysExpire() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        let clock = TestClock(Harness.now)
        let store = try SQLiteConsentStore(path: harness.directory.appendingPathComponent("db.sqlite").path, now: { clock.now })
        let app = try buildApplication(store: store, identity: harness.identity, configuration: ServerConfiguration(port: 0),
                                       sessionSecret: Harness.secret, now: { clock.now })
        let key = headers(token, [HTTPField.Name("Idempotency-Key")!: "phone-1"])
        let member = MemberID("urn:li:member:eu")!
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: key, body: ByteBuffer(string: #"{"enabled": false}"#)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: key, body: ByteBuffer(string: #"{"enabled":false}"#)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: key, body: ByteBuffer(string: #"{"enabled": true}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(String(buffer: response.body).contains("idempotency-key-reused"))
            }
            #expect(try await store.history(of: member).map(\.choice) == [.off], "the opposite choice was not dropped silently: it was refused")
            // A day later the key is forgotten: the same header now names a new write.
            clock.advance(by: IdempotencyKey.lifetime + 1)
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: key, body: ByteBuffer(string: #"{"enabled": true}"#)) {
                #expect($0.status == .ok)
            }
            #expect(try await store.history(of: member).map(\.choice) == [.off, .on])
        }
    }
}

/// A clock a test moves.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(by seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// The switch shows the member's setting; `eligible` says whether the data is used, and the
/// explanation why the two differ.
struct SettingVersusUseTests {
    @Test func aMemberWhoseObjectionIsUnderReviewStillSeesTheirSettingOn() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/objections", method: .post, headers: headers(token), body: ByteBuffer(string: "{}")) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(token)) { response in
                let body = try object(response.body)
                #expect(body["enabled"] == .bool(true), "nobody switched it off: Europe's default is on")
                #expect(body["eligible"] == .bool(false) && body["reason"] == .string("objection_pending"))
                #expect(body["explanation"] == .string("Your setting is on, but your data is not used — your objection is being reviewed; your data is not used meanwhile"))
            }
            let cookie = try await WebPagesTests().signIn(client, harness, as: "urn:li:member:eu")
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"value="on" checked"#) && html.contains("Your setting is on, but your data is not used"))
            }
        }
    }

    @Test func aMemberInAnOptInRegionWhoChoseNothingSeesItOff() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:ca")
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(token)) { response in
                let body = try object(response.body)
                #expect(body["enabled"] == .bool(false) && body["eligible"] == .bool(false) && body["reason"] == .string("awaiting_consent"))
            }
        }
    }
}

/// "Where my data is": the member's datasets and models, over the API and on the page.
struct InclusionTests {
    static let eu = MemberID("urn:li:member:eu")!

    @Test func aMemberSeesTheDatasetTheirDataLeftAndTheModelThatSawIt() async throws {
        let harness = try await Harness()
        let store = harness.store
        let manifest = #"{"categories":["profile.headline","content.posts"],"format":"test"}"#
        try await store.registerDataset(NewDataset(id: DatasetID(rawValue: "ds_export"), name: "spring-export", kind: .export, location: "/data/x",
                                                   memberField: "member", asOf: Harness.now, policyVersion: "2025-11-03", policySHA256: nil,
                                                   manifestJSON: manifest, manifestSHA256: String(repeating: "a", count: 64), records: 2),
                                        members: [Self.eu, MemberID("urn:li:member:ca")!], actor: "test")
        _ = try await store.registerModel(name: "assistant-v1", datasets: [DatasetID(rawValue: "ds_export")], actor: "test")
        try await store.beginPurge(of: DatasetID(rawValue: "ds_export"),
                                   version: DatasetVersion(version: 2, state: .pending, createdAt: Harness.now.addingTimeInterval(60), manifestJSON: manifest,
                                                           manifestSHA256: String(repeating: "b", count: 64), records: 1, removedMembers: 1),
                                   removing: [Self.eu], actor: "test")
        _ = try await store.finishPurge(of: DatasetID(rawValue: "ds_export"), version: 2, committed: true, actor: "test")

        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training/inclusion", method: .get, headers: headers(try await harness.token(Self.eu.rawValue))) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains(#""categories":["profile.headline","content.posts"]"#) && body.contains(#""holds_member":false"#))
                #expect(body.contains(#""model":"assistant-v1""#) && body.contains(#""trained_before_removal":true"#))
                #expect(!body.contains("urn:li:member:ca"), "nobody else is named")
            }
            // The other member sees the same dataset still holding them, and nothing of the first.
            try await client.execute(uri: "/api/v1/me/ai-training/inclusion", method: .get, headers: headers(try await harness.token("urn:li:member:ca"))) { response in
                let body = String(buffer: response.body)
                #expect(body.contains(#""holds_member":true"#) && body.contains(#""member":"urn:li:member:ca""#) && !body.contains(Self.eu.rawValue))
            }
            let cookie = try await WebPagesTests().signIn(client, harness, as: Self.eu.rawValue)
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Where your data is") && html.contains("<strong>spring-export</strong>"))
                #expect(html.contains("Categories taken: Profile headline, Your posts."))
                #expect(html.contains("Your data was removed on"))
                #expect(html.contains("<strong>assistant-v1</strong>") && html.contains("before your data was removed from it"))
            }
        }
    }

    @Test func aMemberDownloadsTheirWholeRecord() async throws {
        let harness = try await Harness()
        let token = try await harness.token(Self.eu.rawValue)
        // The clock stands at Harness.now: the objection and the choice land there.
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: headers(token, [HTTPField.Name("X-Consentry-Channel")!: "ios"]),
                                     body: ByteBuffer(string: #"{"enabled": false}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/me/objections", method: .post, headers: headers(token), body: ByteBuffer(string: "{}")) {
                #expect($0.status == .created)
            }
            let record = try await client.execute(uri: "/api/v1/me/ai-training/record", method: .get, headers: headers(token)) { response in
                #expect(response.status == .ok && response.headers[.contentDisposition] == #"attachment; filename="consentry-record.json""#)
                return try object(response.body)
            }
            #expect(record["member"] == .string(Self.eu.rawValue))
            guard case .array(let decisions)? = record["decisions"], case .array(let choices)? = record["choices"],
                  case .array(let objections)? = record["objections"], case .array(let facts)? = record["facts"],
                  case .object(let setting)? = record["setting"], case .object(let inclusion)? = record["inclusion"] else {
                Issue.record("missing parts: \(record.keys.sorted())")
                return
            }
            #expect(choices.count == 1 && objections.count == 1 && facts.count == 1 && inclusion.contains { $0.key == "datasets" })
            #expect(setting.contains { $0.key == "enabled" && $0.value == .bool(false) })
            // Not yet in force when the policy was applied, used by default from the region's start,
            // then excluded from the objection on (it outranks the opt-out made at the same instant).
            let reasons = decisions.compactMap { entry -> String? in
                guard case .object(let fields) = entry, case .string(let reason)? = fields.first(where: { $0.key == "reason" })?.value else { return nil }
                return reason
            }
            #expect(reasons == ["not_yet_effective", "included_by_default", "objection_pending"], "\(reasons)")
            let cookie = try await WebPagesTests().signIn(client, harness, as: Self.eu.rawValue)
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) { response in
                #expect(String(buffer: response.body).contains(#"<a href="/settings/data-privacy/generative-ai/record" download>Download my record</a>"#))
            }
            try await client.execute(uri: "/settings/data-privacy/generative-ai/record", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains(#""member":"urn:li:member:eu""#))
            }
        }
    }
}
