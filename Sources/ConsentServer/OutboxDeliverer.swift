import ConsentCore
import ConsentFormats
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ServiceLifecycle

/// Where outbox events go: `CONSENTRY_WEBHOOK_URL`, signed with `CONSENTRY_WEBHOOK_SECRET`.
public struct WebhookConfiguration: Sendable {
    public var url: URL
    public var secret: String

    public init(url: URL, secret: String) {
        self.url = url
        self.secret = secret
    }

    /// From the environment; nil when no URL is set. A URL without a secret of at least 16 bytes
    /// is refused: unsigned notifications could be forged.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> WebhookConfiguration? {
        guard let text = environment["CONSENTRY_WEBHOOK_URL"], !text.isEmpty else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw ConsentError.invalidField(field: "CONSENTRY_WEBHOOK_URL", message: "\(jsonStringLiteral(text)) is not an http(s) URL")
        }
        guard let secret = environment["CONSENTRY_WEBHOOK_SECRET"], secret.utf8.count >= 16 else {
            throw ConsentError.invalidField(field: "CONSENTRY_WEBHOOK_SECRET", message: "must be set, at least 16 bytes, to sign the webhook's requests")
        }
        return WebhookConfiguration(url: url, secret: secret)
    }
}

/// Delivers outbox events to the webhook at least once, in outbox order, each as one POST:
///
/// - body: the event's JSON (`{"id", "type", "occurred_at", "member", "objection"}`);
/// - `Consentry-Event-Id` and `Idempotency-Key`: the event id, the same on every retry;
/// - `Consentry-Event-Type`: `objection.received`, …;
/// - `Consentry-Signature: sha256=<hex>`: HMAC-SHA256 of the body with the shared secret.
///
/// A 2xx answer marks the event delivered; anything else (or no answer within 10 s) is a failed
/// attempt, retried after 5 s, 10 s, 20 s, … up to an hour apart. An event is never dropped.
public final class OutboxDeliverer: Service, Sendable {
    public struct Report: Sendable, Equatable {
        public var delivered = 0
        public var failed = 0

        public init(delivered: Int = 0, failed: Int = 0) {
            self.delivered = delivered
            self.failed = failed
        }
    }

    let store: any OutboxStore
    let webhook: WebhookConfiguration
    let now: @Sendable () -> Date
    let interval: Duration
    let logger: Logger

    public init(store: any OutboxStore, webhook: WebhookConfiguration, interval: Duration = .seconds(2),
                now: @escaping @Sendable () -> Date = Date.init, logger: Logger = Logger(label: "consentry.outbox")) {
        self.store = store
        self.webhook = webhook
        self.interval = interval
        self.now = now
        self.logger = logger
    }

    /// The signature header's value for `body`.
    public static func signature(of body: Data, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + Digest.hex(code)
    }

    /// One pass: tries every event due now, in order.
    public func deliverDue(limit: Int = 100) async throws -> Report {
        var report = Report()
        for event in try await store.deliverable(at: now(), limit: limit) {
            if let failure = await post(event) {
                let retryAt = now().addingTimeInterval(OutboxBackoff.delay(afterAttempts: event.attempts + 1))
                try await store.markFailed(event.id, error: failure, retryAt: retryAt)
                logger.warning("webhook delivery failed", metadata: ["event": "\(event.id)", "error": "\(failure)",
                                                                    "retry_at": "\(Timestamp.format(retryAt))"])
                report.failed += 1
            } else {
                try await store.markDelivered(event.id, at: now())
                report.delivered += 1
            }
        }
        return report
    }

    /// Delivers until the service group shuts down, a pass every `interval`.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                _ = try await deliverDue()
            } catch {
                logger.error("the outbox could not be read", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Posts one event; nil when the webhook accepted it, otherwise why not.
    private func post(_ event: OutboxEvent) async -> String? {
        let body = Data(event.payloadJSON.utf8)
        var request = URLRequest(url: webhook.url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(event.id, forHTTPHeaderField: "Consentry-Event-Id")
        request.setValue(event.id, forHTTPHeaderField: "Idempotency-Key")
        request.setValue(event.type, forHTTPHeaderField: "Consentry-Event-Type")
        request.setValue(Self.signature(of: body, secret: webhook.secret), forHTTPHeaderField: "Consentry-Signature")
        do {
            let (_, response) = try await URLSession.shared.data(for: request)
            guard let status = (response as? HTTPURLResponse)?.statusCode else { return "no HTTP answer" }
            return (200..<300).contains(status) ? nil : "HTTP \(status)"
        } catch {
            return error.localizedDescription
        }
    }
}
