import ConsentCore
import ConsentFormats
import Foundation

/// Links audit entries after a chain's end into `audit_log` rows. It needs no connection, so
/// an import's parsing thread links its entries as it reads.
struct AuditLinker: Sendable, Equatable {
    static let columns = ["sequence", "recorded_at", "actor", "action", "subject", "details", "hash"]

    private(set) var sequence: Int64
    private(set) var hash: String
    let recordedAt: Int64

    mutating func link(_ content: AuditChain.Content, into rows: inout RowBatch) {
        let next = sequence + 1
        let sealed = AuditChain.link(previousHash: hash, sequence: next, contentDigest: content.digest)
        rows.append(.integer(next), .integer(recordedAt), .text(content.actor), .text(content.action.rawValue),
                    .text(content.subject), .text(content.detailsJSON), .text(sealed))
        sequence = next
        hash = sealed
    }
}

/// The audit chain's end inside one write transaction. ``begin(_:at:)`` reads the head (on
/// PostgreSQL with its row lock, so no writer of any instance slips an entry in between);
/// entries are sent in batches, and ``finish(_:)`` records the new head.
struct AuditTrail: Sendable {
    static let batchSize = 10_000

    /// Every entry of this transaction is recorded at this instant (microseconds).
    let recordedAt: Int64
    let recordedAtText: String
    private let start: Int64
    private(set) var linker: AuditLinker
    private var pending = RowBatch(columns: AuditLinker.columns.count)

    static func begin(_ db: some SQLConnection, at instant: Date) throws -> AuditTrail {
        try begin(db, at: instant, reading: []).trail
    }

    /// Reads the head, then `statements` behind it, all in one round trip on PostgreSQL: they
    /// run under the head's lock. Returns the rows of each of `statements`.
    static func begin(_ db: some SQLConnection, at instant: Date, reading statements: [SQL]) throws -> (trail: AuditTrail, rows: [[SQLRow]]) {
        let rows = try db.queries(["SELECT sequence, hash FROM audit_head WHERE singleton = 1\(.forUpdate)"] + statements)
        guard let head = rows.first?.first else {
            throw ConsentError.storeUnavailable("the audit head is missing; run `consentry migrate`")
        }
        return (AuditTrail(at: instant, sequence: try head.int64(0), hash: try head.text(1)), Array(rows.dropFirst()))
    }

    private init(at instant: Date, sequence: Int64, hash: String) {
        recordedAt = Timestamp.microseconds(instant)
        recordedAtText = Timestamp.format(Timestamp.fromMicroseconds(recordedAt))
        start = sequence
        linker = AuditLinker(sequence: sequence, hash: hash, recordedAt: recordedAt)
    }

    var recordedDate: Date { Timestamp.fromMicroseconds(recordedAt) }

    mutating func append(actor: String, action: AuditAction, subject: String, details: [String: String]) {
        append(AuditChain.Content(recordedAt: recordedAtText, actor: actor, action: action, subject: subject,
                                  detailsJSON: AuditChain.detailsJSON(details)))
    }

    /// Appends content digested elsewhere (at ``recordedAtText``): only the link is computed here.
    mutating func append(_ content: AuditChain.Content) {
        linker.link(content, into: &pending)
    }

    /// Takes rows linked elsewhere from ``linker`` (an import's parsing thread); `end` is where
    /// they left the chain.
    mutating func adopt<Connection: SQLConnection>(_ rows: Connection.BulkRows, end: AuditLinker, _ db: Connection) throws {
        try flush(db)
        try db.append(bulk: rows, into: "audit_log", columns: AuditLinker.columns)
        linker = end
    }

    /// Sends the entries appended so far.
    mutating func flush(_ db: some SQLConnection) throws {
        guard !pending.isEmpty else { return }
        try db.append(pending, into: "audit_log", columns: AuditLinker.columns)
        pending = RowBatch(columns: AuditLinker.columns.count)
    }

    /// Sends what is left and records the new head; call once, after the last append.
    mutating func finish(_ db: some SQLConnection) throws {
        guard linker.sequence != start else { return }
        try flush(db)
        try db.send("UPDATE audit_head SET sequence = \(linker.sequence), hash = \(linker.hash) WHERE singleton = 1")
    }

    /// Sends pending entries once a batch is full (imports call this per line).
    mutating func flushIfFull(_ db: some SQLConnection) throws {
        if pending.count >= Self.batchSize { try flush(db) }
    }
}
