import ConsentCore
import ConsentFormats
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ServiceLifecycle

/// Where outbox events go: `CONSENTRY_WEBHOOK_URL`, signed as Standard Webhooks do with
/// `CONSENTRY_WEBHOOK_SECRET` (`whsec_` and the base64 of 24 to 64 random bytes).
public struct WebhookConfiguration: Sendable {
    public let url: URL
    /// The signing key: the bytes the secret's base64 stands for.
    let key: SymmetricKey

    /// Checks the URL and the secret. An `http://` URL is refused unless `allowPlainHTTP`
    /// (a receiver on the same machine): deliveries carry personal data and codes.
    public init(url: URL, secret: String, allowPlainHTTP: Bool = false) throws {
        guard let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw ConsentError.invalidField(field: "CONSENTRY_WEBHOOK_URL", message: "\(jsonStringLiteral(Self.printable(url))) is not an https URL")
        }
        guard scheme == "https" || allowPlainHTTP else {
            throw ConsentError.invalidField(field: "CONSENTRY_WEBHOOK_URL", message: """
                \(jsonStringLiteral(Self.printable(url))) is plain http: deliveries carry personal data, so use https \
                (or set CONSENTRY_WEBHOOK_ALLOW_HTTP=1 for a receiver on this machine)
                """)
        }
        guard secret.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(secret.dropFirst(6))), (24...64).contains(bytes.count) else {
            throw ConsentError.invalidField(field: "CONSENTRY_WEBHOOK_SECRET", message: """
                must be whsec_ followed by the base64 of 24 to 64 random bytes (the Standard Webhooks form); \
                make one with: echo whsec_$(openssl rand -base64 32)
                """)
        }
        self.url = url
        key = SymmetricKey(data: bytes)
    }

    /// From the environment; nil when no URL is set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> WebhookConfiguration? {
        guard let text = environment["CONSENTRY_WEBHOOK_URL"], !text.isEmpty else { return nil }
        guard let url = URL(string: text) else {
            throw ConsentError.invalidField(field: "CONSENTRY_WEBHOOK_URL", message: "is not a URL")
        }
        return try WebhookConfiguration(url: url, secret: environment["CONSENTRY_WEBHOOK_SECRET"] ?? "",
                                        allowPlainHTTP: environment["CONSENTRY_WEBHOOK_ALLOW_HTTP"] == "1")
    }

    /// The URL as it may be printed or logged: scheme, host, port and path; never a user name,
    /// password, query or fragment, which may hold credentials.
    public var printableURL: String { Self.printable(url) }

    static func printable(_ url: URL) -> String {
        guard var parts = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "(a URL)" }
        parts.user = nil
        parts.password = nil
        parts.query = nil
        parts.fragment = nil
        return parts.string ?? "(a URL)"
    }

    /// The `webhook-signature` value for a delivery: `v1,` and the base64 HMAC-SHA256 of
    /// `id.timestamp.body` (Standard Webhooks). A receiver refuses a timestamp more than a few
    /// minutes off, so a captured delivery cannot be replayed later.
    public func signature(id: String, timestamp: Int, body: Data) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        return "v1," + Data(HMAC<SHA256>.authenticationCode(for: signed, using: key)).base64EncodedString()
    }
}

/// Delivers outbox events to the webhook at least once, in outbox order, each as one POST
/// signed as Standard Webhooks (standardwebhooks.com) are:
///
/// - body: the event's JSON (`{"id", "type", "occurred_at", "member", "objection"}`);
/// - `webhook-id`: the event id, the same on every retry (receivers deduplicate on it);
/// - `webhook-timestamp`: this attempt's time, in Unix seconds;
/// - `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`;
/// - `Consentry-Event-Type`: `objection.received`, ….
///
/// A 2xx answer marks the event delivered; anything else (a redirect too: none is followed, so
/// a delivery never goes anywhere but the URL configured), or no answer within 10 s, is a failed
/// attempt, retried after 5 s, 10 s, 20 s, … up to an hour apart. An event is never dropped,
/// except a verification code's once it can verify nothing (``OutboxStore/expireCodes(at:)``).
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

    /// One pass: closes events whose code expired, then tries every event due now, in order.
    public func deliverDue(limit: Int = 100) async throws -> Report {
        var report = Report()
        let expired = try await store.expireCodes(at: now())
        if expired > 0 { logger.notice("verification codes expired before delivery", metadata: ["events": "\(expired)"]) }
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

    /// Posts one event; nil when the webhook accepted it, otherwise why not (never the URL).
    private func post(_ event: OutboxEvent) async -> String? {
        let body = Data(OutboxMessages.body(of: event).utf8)
        let timestamp = Int(now().timeIntervalSince1970)
        var request = URLRequest(url: webhook.url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(event.id, forHTTPHeaderField: "webhook-id")
        request.setValue(String(timestamp), forHTTPHeaderField: "webhook-timestamp")
        request.setValue(webhook.signature(id: event.id, timestamp: timestamp, body: body), forHTTPHeaderField: "webhook-signature")
        request.setValue(event.type, forHTTPHeaderField: "Consentry-Event-Type")
        do {
            let (_, response) = try await Self.session.data(for: request)
            guard let status = (response as? HTTPURLResponse)?.statusCode else { return "no HTTP answer" }
            if (300..<400).contains(status) { return "HTTP \(status): a redirect, which is not followed" }
            return (200..<300).contains(status) ? nil : "HTTP \(status)"
        } catch let error as URLError {
            return "the request failed (URLError \(error.code.rawValue))"
        } catch {
            return "the request failed (\(type(of: error)))"
        }
    }

    /// One session for every delivery, which never follows a redirect.
    private static let session = URLSession(configuration: .ephemeral, delegate: RedirectRefusal(), delegateQueue: nil)
}

/// Answers every redirect with "don't": the 3xx itself comes back as the answer.
private final class RedirectRefusal: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
