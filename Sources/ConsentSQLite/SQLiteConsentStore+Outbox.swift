import ConsentCore
import Foundation
import GRDB

extension SQLiteConsentStore: OutboxStore {
    public func outbox(pendingOnly: Bool, limit: Int) async throws -> [OutboxEvent] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT sequence, id, type, subject, payload, created_at, attempts, next_attempt_at, delivered_at, last_error
                FROM outbox WHERE ?1 = 0 OR delivered_at IS NULL ORDER BY sequence LIMIT ?2
                """, arguments: [pendingOnly ? 1 : 0, limit]).map(Self.outboxEvent)
        }
    }

    public func deliverable(at instant: Date, limit: Int) async throws -> [OutboxEvent] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT sequence, id, type, subject, payload, created_at, attempts, next_attempt_at, delivered_at, last_error
                FROM outbox WHERE delivered_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)
                ORDER BY sequence LIMIT ?2
                """, arguments: [Timestamp.microseconds(instant), limit]).map(Self.outboxEvent)
        }
    }

    public func markDelivered(_ id: String, at instant: Date) async throws {
        try write { db in
            try db.execute(sql: "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ? AND delivered_at IS NULL",
                           arguments: [Timestamp.microseconds(instant), id])
        }
    }

    public func markFailed(_ id: String, error: String, retryAt: Date) async throws {
        try write { db in
            try db.execute(sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND delivered_at IS NULL",
                           arguments: [String(error.prefix(1000)), Timestamp.microseconds(retryAt), id])
        }
    }

    private static func outboxEvent(_ row: Row) -> OutboxEvent {
        let next: Int64? = row[7]
        let delivered: Int64? = row[8]
        return OutboxEvent(id: row[1], sequence: row[0], type: row[2], subject: row[3], payloadJSON: row[4],
                           createdAt: Timestamp.fromMicroseconds(row[5]), attempts: row[6],
                           nextAttemptAt: next.map(Timestamp.fromMicroseconds), deliveredAt: delivered.map(Timestamp.fromMicroseconds),
                           lastError: row[9])
    }
}
