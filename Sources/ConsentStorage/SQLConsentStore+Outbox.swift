import ConsentCore
import Foundation

extension SQLConsentStore: OutboxStore {
    public func outbox(pendingOnly: Bool, limit: Int) async throws -> [OutboxEvent] {
        try await driver.read { db in
            try db.query(Self.outboxColumns + (pendingOnly ? " WHERE delivered_at IS NULL" : "") + " ORDER BY sequence LIMIT \(limit)")
                .map(Self.outboxEvent)
        }
    }

    public func deliverable(at instant: Date, limit: Int) async throws -> [OutboxEvent] {
        try await driver.read { db in
            try db.query(Self.outboxColumns + """
                 WHERE delivered_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= \(Timestamp.microseconds(instant)))
                 ORDER BY sequence LIMIT \(limit)
                """).map(Self.outboxEvent)
        }
    }

    public func markDelivered(_ id: String, at instant: Date) async throws {
        _ = try await driver.write { db in
            try db.execute("""
                UPDATE outbox SET delivered_at = \(Timestamp.microseconds(instant)), attempts = attempts + 1, last_error = NULL, code = NULL
                WHERE id = \(id) AND delivered_at IS NULL
                """)
        }
    }

    public func markFailed(_ id: String, error: String, retryAt: Date) async throws {
        _ = try await driver.write { db in
            try db.execute("""
                UPDATE outbox SET attempts = attempts + 1, last_error = \(String(error.prefix(1000))), next_attempt_at = \(Timestamp.microseconds(retryAt))
                WHERE id = \(id) AND delivered_at IS NULL
                """)
        }
    }

    public func expireCodes(at instant: Date) async throws -> Int {
        let members = OutboxEvent.emailVerificationType
        let memberCutoff = Timestamp.microseconds(instant.addingTimeInterval(-OutboxEvent.codeLifetime(of: members)))
        let requestCutoff = Timestamp.microseconds(instant.addingTimeInterval(-OutboxEvent.codeLifetime(of: OutboxEvent.verificationType)))
        let expired: SQL = """
            code IS NOT NULL AND delivered_at IS NULL
            AND created_at < CASE WHEN type = \(members) THEN \(memberCutoff) ELSE \(requestCutoff) END
            """
        // The deliverer asks every pass; nearly always nothing has expired, and a read (of the
        // pending events' index) costs the writers nothing, where a write would queue behind them.
        guard try await driver.read({ db in !(try db.query("SELECT 1 FROM outbox WHERE \(expired) LIMIT 1").isEmpty) }) else { return 0 }
        return try await driver.write { db in
            try db.execute("""
                UPDATE outbox SET code = NULL, delivered_at = \(Timestamp.microseconds(instant)),
                       last_error = 'not delivered: the code expired first, and is forgotten'
                WHERE \(expired)
                """)
        }
    }

    private static var outboxColumns: SQL {
        "SELECT sequence, id, type, subject, payload, created_at, attempts, next_attempt_at, delivered_at, last_error, code FROM outbox"
    }

    private static func outboxEvent(_ row: SQLRow) throws -> OutboxEvent {
        OutboxEvent(id: try row.text(1), sequence: try row.int64(0), type: try row.text(2), subject: try row.text(3), payloadJSON: try row.text(4),
                    createdAt: Timestamp.fromMicroseconds(try row.int64(5)), attempts: try row.int(6),
                    nextAttemptAt: try row.optionalInt64(7).map(Timestamp.fromMicroseconds),
                    deliveredAt: try row.optionalInt64(8).map(Timestamp.fromMicroseconds), lastError: try row.optionalText(9),
                    code: try row.optionalText(10))
    }
}

extension SQLConsentStore: ConsentStore, LineageStore {}
