import ConsentCore
import ConsentFormats
import Foundation
import NIOCore
import PostgresNIO

/// Extends the audit chain inside a write transaction. ``begin(_:now:logger:)`` takes the audit
/// head's row lock, so no writer of any instance can slip an entry in between; entries are sent
/// in batches, and ``finish()`` records the new head.
struct PostgresAudit {
    private let connection: PostgresConnection
    private let logger: Logger
    let recordedAt: Int64
    /// The recorded-at text of every entry (one transaction, one instant).
    let recordedAtText: String
    private var pending = CopyRows()
    /// Where the chain ended when the head was locked.
    private let startSequence: Int64
    /// Where the chain ends now: rows linked elsewhere start from it (``AuditRows``).
    private(set) var chain: AuditRows

    static let batchSize = 10_000

    /// Locks the head (waiting for any other writer to commit) and reads it.
    static func begin(_ connection: PostgresConnection, now: Date, logger: Logger) async throws -> PostgresAudit {
        var head: (Int64, String)?
        for try await row in try await connection.query("SELECT sequence, hash FROM audit_head WHERE singleton = 1 FOR UPDATE",
                                                        logger: logger).decode((Int64, String).self) {
            head = row
        }
        guard let head else { throw ConsentError.storeUnavailable("the audit head is missing; run `consentry migrate`") }
        return PostgresAudit(connection: connection, logger: logger, now: now, head: head)
    }

    private init(connection: PostgresConnection, logger: Logger, now: Date, head: (Int64, String)) {
        self.connection = connection
        self.logger = logger
        recordedAt = Timestamp.microseconds(now)
        recordedAtText = Timestamp.format(Timestamp.fromMicroseconds(recordedAt))
        startSequence = head.0
        chain = AuditRows(sequence: head.0, hash: head.1, recordedAt: recordedAt)
    }

    mutating func append(actor: String, action: AuditAction, subject: String, details: [String: String]) async throws {
        try await append(AuditChain.Content(recordedAt: recordedAtText, actor: actor, action: action, subject: subject,
                                            detailsJSON: AuditChain.detailsJSON(details)))
    }

    /// Appends content digested elsewhere (at ``recordedAtText``): only the link is computed here.
    mutating func append(_ content: AuditChain.Content) async throws {
        chain.append(content, to: &pending)
        if pending.count >= Self.batchSize { try await flush() }
    }

    /// Sends rows linked elsewhere from ``chain``; `end` is where they left the chain.
    mutating func append(linked rows: CopyRows, end: AuditRows) async throws {
        guard !rows.isEmpty else { return }
        try await flush()
        try await connection.copy(rows, into: "audit_log", columns: AuditRows.columns, logger: logger)
        chain = end
    }

    mutating func flush() async throws {
        let rows = pending
        pending = CopyRows()
        try await connection.copy(rows, into: "audit_log", columns: AuditRows.columns, logger: logger)
    }

    /// Sends what is left and records the new head; call once, after the last append.
    mutating func finish() async throws {
        guard chain.sequence != startSequence else { return }
        try await flush()
        try await connection.query("UPDATE audit_head SET sequence = \(chain.sequence), hash = \(chain.hash) WHERE singleton = 1", logger: logger)
    }
}

/// Links audit entries after a chain's end and writes them as `audit_log` COPY rows. It needs
/// no connection, so an import's parsing thread links its entries as it goes.
struct AuditRows: Sendable {
    static let columns = ["sequence", "recorded_at", "actor", "action", "subject", "details", "previous_hash", "hash"]

    private(set) var sequence: Int64
    private(set) var hash: String
    let recordedAt: Int64

    init(sequence: Int64, hash: String, recordedAt: Int64) {
        self.sequence = sequence
        self.hash = hash
        self.recordedAt = recordedAt
    }

    mutating func append(_ content: AuditChain.Content, to rows: inout CopyRows) {
        let next = sequence + 1
        let sealed = AuditChain.link(previousHash: hash, sequence: next, contentDigest: content.digest)
        rows.integer(next)
        rows.integer(recordedAt)
        rows.text(content.actor)
        rows.text(content.action.rawValue)
        rows.text(content.subject)
        rows.text(content.detailsJSON)
        rows.text(hash)
        rows.text(sealed)
        rows.endRow()
        sequence = next
        hash = sealed
    }
}
