import Foundation

/// A notification that must reach the member or a subscriber (the platform's mailer, a
/// downstream processor learning of an upheld objection): written to the outbox in the same
/// transaction as the state change it reports, then delivered at least once.
public struct OutboxEvent: Sendable, Equatable {
    /// The idempotency id receivers deduplicate on (`evt_` and 16 hex digits).
    public var id: String
    /// Position in the outbox: events are delivered in this order.
    public var sequence: Int64
    /// `objection.received`, `objection.extended`, `objection.upheld`, `objection.rejected`,
    /// `objection.completed`, `objection.verification`.
    public var type: String
    /// What the event is about (an objection id).
    public var subject: String
    /// The JSON body delivered: `{"id", "type", "occurred_at", "member", "objection": {…}}`.
    public var payloadJSON: String
    public var createdAt: Date
    public var attempts: Int
    /// When the next delivery may be tried (after a failure); nil to try at once.
    public var nextAttemptAt: Date?
    public var deliveredAt: Date?
    public var lastError: String?
    /// A one-time code the event carries to an address (`objection.verification`), kept apart
    /// from the payload and only until delivered or expired: delivered as the body's `code`.
    public var code: String?

    public init(id: String, sequence: Int64, type: String, subject: String, payloadJSON: String, createdAt: Date,
                attempts: Int = 0, nextAttemptAt: Date? = nil, deliveredAt: Date? = nil, lastError: String? = nil, code: String? = nil) {
        self.id = id
        self.sequence = sequence
        self.type = type
        self.subject = subject
        self.payloadJSON = payloadJSON
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
        self.lastError = lastError
        self.code = code
    }

    public var isPending: Bool { deliveredAt == nil }

    /// A new random event id (64 bits from the system's secure generator).
    public static func newID() -> String { "evt_" + RandomHex.sixteen() }

    /// The type of the event that carries a non-member's verification code to their address.
    public static let verificationType = "objection.verification"
    /// The type of the event that carries a member's code to an address they gave, to verify it.
    public static let emailVerificationType = "member.email_verification"

    /// How long the code an event of `type` carries can verify anything: after that, an
    /// undelivered event is closed and its code forgotten.
    public static func codeLifetime(of type: String) -> TimeInterval {
        type == emailVerificationType ? EmailVerification.lifetime : ObjectionRequest.lifetime
    }

    /// The outbox type of an objection event.
    public static func type(of event: ObjectionEvent) -> String {
        switch event {
        case .received: "objection.received"
        case .extended: "objection.extended"
        case .decided(_, .uphold, _): "objection.upheld"
        case .decided(_, .reject, _): "objection.rejected"
        case .completed: "objection.completed"
        }
    }
}

/// The durable outbox: events written with the state changes they report, read and marked by
/// the deliverer.
public protocol OutboxStore: ConsentStore {
    /// Events in outbox order: all of them, or only those not yet delivered.
    func outbox(pendingOnly: Bool, limit: Int) async throws -> [OutboxEvent]
    /// Undelivered events whose next attempt is due at `instant`, oldest first.
    func deliverable(at instant: Date, limit: Int) async throws -> [OutboxEvent]
    /// Marks the event delivered and forgets its code.
    func markDelivered(_ id: String, at instant: Date) async throws
    /// Records a failed attempt and when to try again.
    func markFailed(_ id: String, error: String, retryAt: Date) async throws
    /// Forgets the codes of undelivered events older than their ``OutboxEvent/codeLifetime(of:)``
    /// at `instant` (the code could verify nothing any more) and closes those events without
    /// delivering them; returns how many.
    func expireCodes(at instant: Date) async throws -> Int
}

/// When to retry a delivery: exponential backoff from 5 s, doubling, capped at one hour.
public enum OutboxBackoff {
    public static func delay(afterAttempts attempts: Int) -> TimeInterval {
        min(3600, 5 * pow(2, Double(max(0, attempts - 1))))
    }
}
