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
        let objection = Objection.file(id: .random(), member: MemberID("urn:li:member:eu")!, at: Harness.now, reason: "no", terms: terms)
        try await harness.store.fileObjection(objection, actor: "urn:li:member:eu")
        let received = Received(answers: [.internalServerError])
        let secret = "webhook-secret-0123456789"
        let clock = Mutex(Harness.now)
        try await receiver(received).test(.live) { client in
            let port = try #require(client.port)
            let webhook = WebhookConfiguration(url: URL(string: "http://127.0.0.1:\(port)/hook")!, secret: secret)
            let deliverer = OutboxDeliverer(store: harness.store, webhook: webhook, now: { clock.withLock { $0 } })

            // The webhook fails: the attempt is recorded and retried only after the backoff.
            #expect(try await deliverer.deliverDue() == .init(delivered: 0, failed: 1))
            let pending = try await harness.store.outbox(pendingOnly: true, limit: 10)
            #expect(pending.count == 1 && pending[0].attempts == 1 && pending[0].lastError == "HTTP 500")
            #expect(try await deliverer.deliverDue() == .init(delivered: 0, failed: 0), "not before the retry time")
            clock.withLock { $0 = $0.addingTimeInterval(5) }
            #expect(try await deliverer.deliverDue() == .init(delivered: 1, failed: 0))
            #expect(try await harness.store.outbox(pendingOnly: true, limit: 10).isEmpty)

            // Both attempts carried the same id, the type, and a valid signature over the body.
            let deliveries = received.deliveries.withLock { $0 }
            #expect(deliveries.count == 2)
            for delivery in deliveries {
                #expect(delivery.headers[HTTPField.Name("Consentry-Event-Id")!] == pending[0].id)
                #expect(delivery.headers[HTTPField.Name("Idempotency-Key")!] == pending[0].id)
                #expect(delivery.headers[HTTPField.Name("Consentry-Event-Type")!] == "objection.received")
                #expect(delivery.headers[HTTPField.Name("Consentry-Signature")!] == OutboxDeliverer.signature(of: delivery.body, secret: secret))
                #expect(String(decoding: delivery.body, as: UTF8.self) == pending[0].payloadJSON)
            }
            #expect(OutboxDeliverer.signature(of: deliveries[0].body, secret: "another-secret-0123456") != deliveries[0].headers[HTTPField.Name("Consentry-Signature")!])
            let body = try #require(try JSONSerialization.jsonObject(with: deliveries[1].body) as? [String: Any])
            #expect((body["objection"] as? [String: Any])?["id"] as? String == objection.id.rawValue)
        }
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
            let webhook = WebhookConfiguration(url: URL(string: "http://127.0.0.1:\(try #require(client.port))/hook")!, secret: "webhook-secret-0123456789")
            let deliverer = OutboxDeliverer(store: reopened, webhook: webhook, now: { clock.withLock { $0 } })
            for _ in 0..<10 where try await !reopened.outbox(pendingOnly: true, limit: 1).isEmpty {
                _ = try await deliverer.deliverDue()
                clock.withLock { $0 = $0.addingTimeInterval(3600) }
            }
        }
        #expect(try await reopened.outbox(pendingOnly: true, limit: 100).isEmpty)
        let deliveries = received.deliveries.withLock { $0 }
        let ids = deliveries.compactMap { $0.headers[HTTPField.Name("Consentry-Event-Id")!] }
        // The first two attempts failed (the first two events), and were retried after the
        // backoff under the same id; every event was accepted exactly once.
        #expect(deliveries.count == pending.count + 2)
        #expect(pending.map { event in ids.filter { $0 == event.id }.count } == [2, 2, 1, 1])
    }

    @Test func aWebhookURLNeedsASecret() throws {
        #expect(try WebhookConfiguration.fromEnvironment([:]) == nil)
        #expect(throws: ConsentError.self) { try WebhookConfiguration.fromEnvironment(["CONSENTRY_WEBHOOK_URL": "http://127.0.0.1:9/hook"]) }
        #expect(throws: ConsentError.self) {
            try WebhookConfiguration.fromEnvironment(["CONSENTRY_WEBHOOK_URL": "ftp://x/y", "CONSENTRY_WEBHOOK_SECRET": "0123456789abcdef"])
        }
        let configured = try WebhookConfiguration.fromEnvironment(["CONSENTRY_WEBHOOK_URL": "http://127.0.0.1:9/hook",
                                                                  "CONSENTRY_WEBHOOK_SECRET": "0123456789abcdef"])
        #expect(configured?.url.port == 9)
    }
}
