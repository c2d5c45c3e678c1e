import ConsentCore
import ConsentFormats
import ConsentServer
import ConsentSQLite
import ConsentTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// The outbox delivered to a real webhook over loopback HTTP: signed, idempotent, retried.
struct WebhookTests {
    /// What the receiving end saw.
    final class Received: Sendable {
        struct Delivery: Sendable {
            var headers: HTTPFields
            var body: Data
        }

        let deliveries = Mutex<[Delivery]>([])
        /// The statuses to answer, in turn; 200 once they run out.
        let answers: Mutex<[HTTPResponse.Status]>

        init(answers: [HTTPResponse.Status]) { self.answers = Mutex(answers) }
    }

    func receiver(_ received: Received) -> some ApplicationProtocol {
        let router = Router()
        router.post("hook") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            received.deliveries.withLock { $0.append(.init(headers: request.headers, body: Data(buffer: body))) }
            let status = received.answers.withLock { $0.isEmpty ? .ok : $0.removeFirst() }
            return Response(status: status)
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test func eventsAreSignedRetriedAndDeliveredOnceAccepted() async throws {
        let harness = try await Harness()
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        let objection = Objection.file(id: .random(), member: MemberID("urn:li:member:eu")!, at: Harness.now, reason: "no", language: "de",
                                       terms: terms)
        try await harness.store.fileObjection(objection, actor: "urn:li:member:eu")
        let received = Received(answers: [.internalServerError])
        let clock = Mutex(Harness.now)
        try await receiver(received).test(.live) { client in
            let port = try #require(client.port)
            let webhook = try WebhookConfiguration(url: URL(string: "http://127.0.0.1:\(port)/hook")!, secret: Self.secret, allowPlainHTTP: true)
            let deliverer = OutboxDeliverer(store: harness.store, webhook: webhook, now: { clock.withLock { $0 } })

            // The webhook fails: the attempt is recorded and retried only after the backoff.
            #expect(try await deliverer.deliverDue() == .init(delivered: 0, failed: 1))
            let pending = try await harness.store.outbox(pendingOnly: true, limit: 10)
            #expect(pending.count == 1 && pending[0].attempts == 1 && pending[0].lastError == "HTTP 500")
            #expect(try await deliverer.deliverDue() == .init(delivered: 0, failed: 0), "not before the retry time")
            clock.withLock { $0 = $0.addingTimeInterval(5) }
            #expect(try await deliverer.deliverDue() == .init(delivered: 1, failed: 0))
            #expect(try await harness.store.outbox(pendingOnly: true, limit: 10).isEmpty)

            // Both attempts carried the same id, each its own time, and a signature over
            // id.timestamp.body: a captured delivery signed for another time does not verify.
            let deliveries = received.deliveries.withLock { $0 }
            #expect(deliveries.count == 2)
            for (attempt, delivery) in deliveries.enumerated() {
                let timestamp = Int(Harness.now.timeIntervalSince1970) + 5 * attempt
                #expect(delivery.headers[HTTPField.Name("webhook-id")!] == pending[0].id)
                #expect(delivery.headers[HTTPField.Name("webhook-timestamp")!] == String(timestamp))
                #expect(delivery.headers[HTTPField.Name("Consentry-Event-Type")!] == "objection.received")
                #expect(delivery.headers[HTTPField.Name("webhook-signature")!] == webhook.signature(id: pending[0].id, timestamp: timestamp, body: delivery.body))
                #expect(String(decoding: delivery.body, as: UTF8.self) == OutboxMessages.body(of: pending[0]))
            }
            #expect(deliveries[0].headers[HTTPField.Name("webhook-signature")!] != deliveries[1].headers[HTTPField.Name("webhook-signature")!])
            let other = try WebhookConfiguration(url: webhook.url, secret: "whsec_" + Data(repeating: 7, count: 32).base64EncodedString(), allowPlainHTTP: true)
            #expect(other.signature(id: pending[0].id, timestamp: Int(Harness.now.timeIntervalSince1970), body: deliveries[0].body)
                    != deliveries[0].headers[HTTPField.Name("webhook-signature")!])
            let body = try #require(try JSONSerialization.jsonObject(with: deliveries[1].body) as? [String: Any])
            #expect((body["objection"] as? [String: Any])?["id"] as? String == objection.id.rawValue)
            // The payload's facts are all there, and the message to send, in the member's language.
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(pending[0].payloadJSON.utf8)) as? [String: Any])
            #expect(Set(body.keys) == Set(payload.keys).union(["message"]) && body["language"] as? String == "de")
            let message = try #require(body["message"] as? [String: String])
            #expect(message["subject"] == "Wir haben Ihren Widerspruch erhalten")
            let due = Catalog.named("de")!.longDate(objection.due)
            #expect(message["text"]?.contains("Wir haben Ihren Widerspruch \(objection.id) am ") == true && message["text"]?.contains("bis zum \(due)") == true,
                    "the text names the objection and its deadline, the date in German: \(message["text"] ?? "")")
        }
    }

    /// A receiver that answers with a redirect to a second one: the delivery fails and is
    /// retried, and the second receiver never hears of it.
    @Test func redirectsAreNotFollowed() async throws {
        let harness = try await Harness()
        let objection = Objection.file(id: .random(), member: MemberID("urn:li:member:eu")!, at: Harness.now, reason: "no",
                                       terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60))
        try await harness.store.fileObjection(objection, actor: "urn:li:member:eu")
        let elsewhere = Received(answers: [])
        try await receiver(elsewhere).test(.live) { target in
            let targetPort = try #require(target.port)
            let router = Router()
            router.post("hook") { _, _ -> Response in
                Response(status: .temporaryRedirect, headers: [.location: "http://127.0.0.1:\(targetPort)/hook"])
            }
            try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
                let webhook = try WebhookConfiguration(url: URL(string: "http://127.0.0.1:\(try #require(client.port))/hook")!,
                                                       secret: Self.secret, allowPlainHTTP: true)
                let report = try await OutboxDeliverer(store: harness.store, webhook: webhook, now: { Harness.now }).deliverDue()
                #expect(report == .init(delivered: 0, failed: 1))
            }
        }
        #expect(elsewhere.deliveries.withLock { $0 }.isEmpty, "the redirect's target got nothing")
        let pending = try await harness.store.outbox(pendingOnly: true, limit: 10)
        #expect(pending.first?.lastError == "HTTP 307: a redirect, which is not followed")
    }

    /// Objections filed over HTTP, then the server goes away before anything is delivered: a new
    /// process over the same database delivers every event, and a receiver that fails twice gets
    /// each one accepted exactly once.
    @Test func eventsSurviveARestartAndAreAcceptedOnceEach() async throws {
        let harness = try await Harness()
        let staff = try await harness.token("dana@privacy", role: .privacy)
        for member in ["urn:li:member:eu", "urn:li:member:ca"] {
            let token = try await harness.token(member)
            try await harness.app.test(.router) { client in
                let id = try await client.execute(uri: "/api/v1/me/objections", method: .post, headers: headers(token),
                                                  body: ByteBuffer(string: "{}")) { response in
                    guard case .string(let id)? = try object(response.body)["id"] else { throw CancellationError() }
                    return id
                }
                try await client.execute(uri: "/api/v1/admin/objections/\(id)/decision", method: .post, headers: headers(staff),
                                         body: ByteBuffer(string: #"{"decision": "reject", "reason": "Needed for security."}"#)) {
                    #expect($0.status == .ok)
                }
            }
        }
        // The "restarted" process: a new store over the same file.
        let reopened = try SQLiteConsentStore(path: harness.directory.appendingPathComponent("db.sqlite").path)
        let pending = try await reopened.outbox(pendingOnly: true, limit: 100)
        #expect(pending.map(\.type) == ["objection.received", "objection.rejected", "objection.received", "objection.rejected"])

        let received = Received(answers: [.internalServerError, .badGateway])
        let clock = Mutex(Harness.now)
        try await receiver(received).test(.live) { client in
            let webhook = try WebhookConfiguration(url: URL(string: "http://127.0.0.1:\(try #require(client.port))/hook")!, secret: Self.secret,
                                                   allowPlainHTTP: true)
            let deliverer = OutboxDeliverer(store: reopened, webhook: webhook, now: { clock.withLock { $0 } })
            for _ in 0..<10 where try await !reopened.outbox(pendingOnly: true, limit: 1).isEmpty {
                _ = try await deliverer.deliverDue()
                clock.withLock { $0 = $0.addingTimeInterval(3600) }
            }
        }
        #expect(try await reopened.outbox(pendingOnly: true, limit: 100).isEmpty)
        let deliveries = received.deliveries.withLock { $0 }
        let ids = deliveries.compactMap { $0.headers[HTTPField.Name("webhook-id")!] }
        // The first two attempts failed (the first two events), and were retried after the
        // backoff under the same id; every event was accepted exactly once.
        #expect(deliveries.count == pending.count + 2)
        #expect(pending.map { event in ids.filter { $0 == event.id }.count } == [2, 2, 1, 1])
    }

    static let secret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()

    @Test func aWebhookNeedsAStandardSecretAndHTTPS() throws {
        #expect(try WebhookConfiguration.fromEnvironment([:]) == nil)
        let refused: [[String: String]] = [
            ["CONSENTRY_WEBHOOK_URL": "https://hooks.example.com/x"],
            ["CONSENTRY_WEBHOOK_URL": "https://hooks.example.com/x", "CONSENTRY_WEBHOOK_SECRET": "0123456789abcdef0123456789abcdef"],
            ["CONSENTRY_WEBHOOK_URL": "https://hooks.example.com/x", "CONSENTRY_WEBHOOK_SECRET": "whsec_" + Data(count: 16).base64EncodedString()],
            ["CONSENTRY_WEBHOOK_URL": "http://hooks.example.com/x", "CONSENTRY_WEBHOOK_SECRET": Self.secret],
            ["CONSENTRY_WEBHOOK_URL": "ftp://x/y", "CONSENTRY_WEBHOOK_SECRET": Self.secret, "CONSENTRY_WEBHOOK_ALLOW_HTTP": "1"],
        ]
        for environment in refused {
            #expect(throws: ConsentError.self, "\(environment)") { try WebhookConfiguration.fromEnvironment(environment) }
        }
        let plain = try WebhookConfiguration.fromEnvironment(["CONSENTRY_WEBHOOK_URL": "http://127.0.0.1:9/hook",
                                                              "CONSENTRY_WEBHOOK_SECRET": Self.secret, "CONSENTRY_WEBHOOK_ALLOW_HTTP": "1"])
        #expect(plain?.url.port == 9)
    }

    @Test func credentialsInTheURLAreNeverPrinted() throws {
        let webhook = try WebhookConfiguration(url: URL(string: "https://user:hunter2@hooks.example.com:8443/in?token=s3cret#x")!, secret: Self.secret)
        #expect(webhook.printableURL == "https://hooks.example.com:8443/in")
        do {
            _ = try WebhookConfiguration(url: URL(string: "http://user:hunter2@hooks.example.com/in?token=s3cret")!, secret: Self.secret)
            Issue.record("plain http was accepted")
        } catch {
            #expect(!"\(error)".contains("hunter2") && !"\(error)".contains("s3cret"))
        }
    }
}
