import ConsentCore
import ConsentFormats
import Foundation
import NIOCore
import PostgresNIO

extension PostgresConsentStore: ConsentStore {
    // MARK: Policy

    public func applyPolicy(_ version: PolicyVersion, actor: String) async throws {
        let now = now()
        try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            let at = Timestamp.microseconds(now)
            var existing: String?
            for try await sha in try await connection.query("SELECT sha256 FROM policy_versions WHERE version = \(version.policy.version)",
                                                            logger: self.logger).decode(String.self) { existing = sha }
            if let existing {
                guard existing == version.sha256 else {
                    throw ConsentError.policyVersionConflict(version: version.policy.version, existingSHA256: existing, newSHA256: version.sha256)
                }
            } else {
                try await connection.query("""
                    INSERT INTO policy_versions (version, sha256, canonical_json, created_at)
                    VALUES (\(version.policy.version), \(version.sha256), \(version.canonicalJSON), \(at))
                    """, logger: self.logger)
            }
            try await connection.query("INSERT INTO policy_activations (version, activated_at, actor) VALUES (\(version.policy.version), \(at), \(actor))",
                                       logger: self.logger)
            try await audit.append(actor: actor, action: .policyApplied, subject: version.policy.version, details: ["sha256": version.sha256])
            try await audit.finish()
        }
    }

    public func activePolicy() async throws -> PolicyVersion? {
        try await read { connection in
            try await Self.policyVersion(connection.query("""
                SELECT v.canonical_json, v.sha256, a.activated_at FROM policy_activations a
                JOIN policy_versions v ON v.version = a.version ORDER BY a.id DESC LIMIT 1
                """, logger: self.logger))
        }
    }

    public func policyVersion(_ version: String) async throws -> PolicyVersion? {
        try await read { connection in
            try await Self.policyVersion(connection.query("""
                SELECT v.canonical_json, v.sha256,
                       (SELECT max(activated_at) FROM policy_activations a WHERE a.version = v.version)
                FROM policy_versions v WHERE v.version = \(version)
                """, logger: self.logger))
        }
    }

    private static func policyVersion(_ rows: PostgresRowSequence) async throws -> PolicyVersion? {
        for try await (canonical, sha, activated) in rows.decode((String, String, Int64?).self) {
            var version = try PolicyFile.load(yaml: canonical, source: "stored policy")
            guard version.sha256 == sha else {
                throw ConsentError.storeUnavailable("stored policy \(version.policy.version) does not match its SHA-256")
            }
            version.activatedAt = Timestamp.fromMicroseconds(activated ?? 0)
            return version
        }
        return nil
    }

    // MARK: Members

    public func member(_ id: MemberID) async throws -> MemberRecord? {
        try await read { connection in
            for try await row in try await connection.query("SELECT id, birth_date, country, notified_at, data FROM members WHERE id = \(id.rawValue)",
                                                            logger: self.logger).decode((String, String?, String, Int64?, String).self) {
                var record = MemberRecord(member: try StoredRecords.member(id: row.0, birthDate: row.1, country: row.2, notifiedAt: row.3))
                record.data = MemberRecords.data(fromJSON: row.4)
                return record
            }
            return nil
        }
    }

    // MARK: Ledger

    /// Appends one event to the ledger; its sequence number, or nil for an unknown member.
    private func insertEvent(_ event: ConsentEvent, recordedAt: Int64, connection: PostgresConnection) async throws -> Int64? {
        for try await sequence in try await connection.query("""
            INSERT INTO consent_events (member_key, choice, channel, at, actor, recorded_at)
            SELECT member_key, \(event.choice.rawValue), \(event.channel.rawValue), \(Timestamp.microseconds(event.at)), \(event.actor), \(recordedAt)
            FROM members WHERE id = \(event.member.rawValue)
            RETURNING sequence
            """, logger: logger).decode(Int64.self) { return sequence }
        return nil
    }

    public func recordChoice(_ event: ConsentEvent, idempotencyKey: IdempotencyKey?) async throws -> (event: ConsentEvent, replayed: Bool) {
        try event.validate()
        let now = now()
        return try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            if let key = idempotencyKey, let reference = try await self.idempotentReference(key, kind: "choice", connection: connection) {
                for try await row in try await connection.query("""
                    SELECT choice, channel, at, actor, recorded_at FROM consent_events WHERE sequence = \(Int64(reference) ?? -1)
                    """, logger: self.logger).decode((String, String, Int64, String, Int64).self) {
                    guard let choice = Choice(rawValue: row.0), let channel = Channel(rawValue: row.1) else { break }
                    return (ConsentEvent(member: event.member, choice: choice, channel: channel, at: Timestamp.fromMicroseconds(row.2),
                                         actor: row.3, sequence: Int64(reference), recordedAt: Timestamp.fromMicroseconds(row.4)), true)
                }
                throw ConsentError.storeUnavailable("idempotency key names ledger entry \(reference), which is not readable")
            }
            guard let sequence = try await self.insertEvent(event, recordedAt: audit.recordedAt, connection: connection) else {
                throw ConsentError.unknownMember(event.member)
            }
            try await audit.append(StoredRecords.choiceAudit(event, recordedAt: audit.recordedAtText))
            try await audit.finish()
            if let key = idempotencyKey {
                try await self.rememberIdempotency(key, kind: "choice", reference: String(sequence), at: audit.recordedAt, connection: connection)
            }
            var stored = event
            stored.sequence = sequence
            stored.recordedAt = Timestamp.fromMicroseconds(audit.recordedAt)
            return (stored, false)
        }
    }

    func idempotentReference(_ key: IdempotencyKey, kind: String, connection: PostgresConnection) async throws -> String? {
        for try await reference in try await connection.query("SELECT reference FROM idempotency_keys WHERE key = \(key.digest) AND kind = \(kind)",
                                                               logger: logger).decode(String.self) { return reference }
        return nil
    }

    func rememberIdempotency(_ key: IdempotencyKey, kind: String, reference: String, at: Int64, connection: PostgresConnection) async throws {
        try await connection.query("INSERT INTO idempotency_keys (key, kind, reference, created_at) VALUES (\(key.digest), \(kind), \(reference), \(at))",
                                   logger: logger)
    }

    public func history(of member: MemberID) async throws -> [ConsentEvent] {
        try await read { connection in
            var events: [ConsentEvent] = []
            for try await (sequence, choice, channel, at, actor, recorded) in try await connection.query("""
                SELECT e.sequence, e.choice, e.channel, e.at, e.actor, e.recorded_at FROM consent_events e
                JOIN members m ON m.member_key = e.member_key WHERE m.id = \(member.rawValue) ORDER BY e.sequence
                """, logger: self.logger).decode((Int64, String, String, Int64, String, Int64).self) {
                guard let choice = Choice(rawValue: choice), let channel = Channel(rawValue: channel) else {
                    throw ConsentError.storeUnavailable("ledger entry \(sequence) is not readable")
                }
                events.append(ConsentEvent(member: member, choice: choice, channel: channel, at: Timestamp.fromMicroseconds(at),
                                           actor: actor, sequence: sequence, recordedAt: Timestamp.fromMicroseconds(recorded)))
            }
            return events
        }
    }
}
