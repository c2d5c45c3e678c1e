import ConsentCore
import ConsentFormats
import Foundation
import PostgresNIO

extension PostgresConsentStore {
    // MARK: Decision snapshots

    /// Every member with the ledger entries and objection events at or before `asOf`, read in
    /// one REPEATABLE READ transaction: consistent while other instances write.
    public func decisionSnapshot(asOf: Date) async throws -> DecisionSnapshot {
        try await snapshot(asOf: asOf, members: nil)
    }

    public func decisionSnapshot(asOf: Date, members ids: [MemberID]) async throws -> DecisionSnapshot {
        try await snapshot(asOf: asOf, members: Array(Set(ids.map(\.rawValue))))
    }

    /// Members in id order (byte order), each with their entries. The ledger
    /// and the members are read at once on two connections that share one exported snapshot:
    /// PostgreSQL and the decoding here each get both cores. Both arrive packed, a few thousand
    /// rows to a value (``PackedRows``).
    private func snapshot(asOf: Date, members ids: [String]?) async throws -> DecisionSnapshot {
        let asOfMicros = Timestamp.microseconds(asOf)
        let (first, members) = try await readInParallel { first in
            // Ledger entries grouped by member in decision order, as one flat array and a range
            // per member. A chunk holds whole members, in order.
            var entries: [ConsentHistory.Entry] = []
            var ranges: [Int64: Range<Int>] = [:]
            for try await row in try await first.query("""
                SELECT count(*), string_agg(\(unescaped: PackedRows.row("member_key::text", "at::text", "CASE WHEN choice = 'on' THEN '1' ELSE '0' END",
                                                             "channel")), chr(30) ORDER BY member_key, at, sequence)
                FROM consent_events
                WHERE at <= \(asOfMicros) AND (\(ids)::text[] IS NULL OR member_key IN (SELECT member_key FROM members WHERE id = ANY(\(ids)::text[])))
                GROUP BY member_key / 4096
                """, logger: self.logger) {
                var cells = row.makeIterator()
                guard let count = cells.next().flatMap(RawCell.int64), let packed = cells.next() else {
                    throw ConsentError.storeUnavailable("a ledger chunk is not readable")
                }
                var current: (key: Int64, start: Int)?
                let rows = try PackedRows.forEach(in: packed, fields: 4) { bytes, fields in
                    guard let key = PackedRows.int64(bytes, fields[0]), let at = PackedRows.int64(bytes, fields[1]),
                          let channel = RawCell.channel(UnsafeRawBufferPointer(rebasing: bytes[fields[3]]))
                    else { throw ConsentError.storeUnavailable("a ledger row is not readable") }
                    if current?.key != key {
                        if let current { ranges[current.key] = current.start..<entries.count }
                        current = (key, entries.count)
                    }
                    entries.append(ConsentHistory.Entry(at: Timestamp.fromMicroseconds(at), choice: bytes[fields[2].lowerBound] == UInt8(ascii: "1") ? .on : .off,
                                                        channel: channel))
                }
                if let current { ranges[current.key] = current.start..<entries.count }
                guard rows == count else { throw ConsentError.storeUnavailable("a ledger chunk holds \(rows) rows, not \(count)") }
            }
            let objections = try await self.objections(connection: first, asOf: asOfMicros)
            return (entries, ranges, objections)
        } second: { second in
            var members: [(key: Int64, member: Member)] = []
            // Every id's bytes, end to end, to sort by without touching the strings.
            var idBytes: [UInt8] = []
            var idEnds: [Int] = []
            for try await row in try await second.query("""
                SELECT count(*), string_agg(\(unescaped: PackedRows.row("id", "member_key::text", "coalesce(birth_date, '')", "country",
                                                             "coalesce(notified_at::text, '')")), chr(30))
                FROM members WHERE \(ids)::text[] IS NULL OR id = ANY(\(ids)::text[])
                GROUP BY member_key / 4096
                """, logger: self.logger) {
                var cells = row.makeIterator()
                guard let count = cells.next().flatMap(RawCell.int64), let packed = cells.next() else {
                    throw ConsentError.storeUnavailable("a member chunk is not readable")
                }
                let rows = try PackedRows.forEach(in: packed, fields: 5) { bytes, fields in
                    guard let key = PackedRows.int64(bytes, fields[1]) else { throw ConsentError.storeUnavailable("a member row is not readable") }
                    idBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[fields[0]]))
                    idEnds.append(idBytes.count)
                    members.append((key, try StoredRecords.member(
                        id: PackedRows.string(bytes, fields[0]), birthDate: fields[2].isEmpty ? nil : PackedRows.string(bytes, fields[2]),
                        country: PackedRows.string(bytes, fields[3]), notifiedAt: fields[4].isEmpty ? nil : PackedRows.int64(bytes, fields[4]))))
                }
                guard rows == count else { throw ConsentError.storeUnavailable("a member chunk holds \(rows) rows, not \(count)") }
            }
            // Sorted here rather than by the server, which then only scans. Positions move, and
            // ids compare as bytes in one buffer: sorting a million takes a fraction of a second.
            let order = idBytes.withUnsafeBufferPointer { ids in
                idEnds.withUnsafeBufferPointer { ends in
                    members.indices.sorted { a, b in
                        let start = (a == 0 ? 0 : ends[a - 1], b == 0 ? 0 : ends[b - 1])
                        let left = UnsafeBufferPointer(rebasing: ids[start.0..<ends[a]])
                        let right = UnsafeBufferPointer(rebasing: ids[start.1..<ends[b]])
                        return left.lexicographicallyPrecedes(right)
                    }
                }
            }
            return order.map { members[$0] }
        }
        let (ledger, ranges, objections) = first
        var snapshot = DecisionSnapshot()
        snapshot.reserveCapacity(members: members.count, entries: ledger.count)
        var indexByKey: [Int64: Int] = [:]
        indexByKey.reserveCapacity(members.count)
        for (key, member) in members {
            indexByKey[key] = snapshot.count
            snapshot.append(member, entries: ranges[key].map { ledger[$0] } ?? ledger[0..<0])
        }
        for case (let key?, let objection) in objections {
            if let index = indexByKey[key] { snapshot.attach(objection, toMemberAt: index) }
        }
        return snapshot
    }

    // MARK: Audit

    public func auditEntries(from: Date?, to: Date?, _ body: (AuditEntry) throws -> Void) async throws {
        let entries = try await read { connection in
            var entries: [AuditChain.StoredEntry] = []
            for try await row in try await connection.query("""
                SELECT sequence, recorded_at, actor, action, subject, details, previous_hash, hash FROM audit_log
                WHERE (\(from.map(Timestamp.microseconds))::bigint IS NULL OR recorded_at >= \(from.map(Timestamp.microseconds)))
                  AND (\(to.map(Timestamp.microseconds))::bigint IS NULL OR recorded_at <= \(to.map(Timestamp.microseconds)))
                ORDER BY sequence
                """, logger: self.logger).decode((Int64, Int64, String, String, String, String, String, String).self) {
                entries.append(Self.storedEntry(row))
            }
            return entries
        }
        for stored in entries {
            guard let entry = stored.entry else {
                throw ConsentError.auditChainBroken(sequence: stored.sequence, message: "the entry is not readable: it was altered")
            }
            try body(entry)
        }
    }

    public func verifyAuditChain() async throws -> AuditVerification {
        try await read { connection in
            var previousHash = AuditChain.genesisHash
            var previousSequence: Int64 = 0
            for try await row in try await connection.query("""
                SELECT sequence, recorded_at, actor, action, subject, details, previous_hash, hash FROM audit_log ORDER BY sequence
                """, logger: self.logger).decode((Int64, Int64, String, String, String, String, String, String).self) {
                let stored = Self.storedEntry(row)
                if let problem = AuditChain.problem(with: stored, previousHash: previousHash, previousSequence: previousSequence) {
                    throw ConsentError.auditChainBroken(sequence: stored.sequence, message: problem)
                }
                previousHash = stored.hash
                previousSequence = stored.sequence
            }
            var head: (Int64, String) = (0, AuditChain.genesisHash)
            for try await row in try await connection.query("SELECT sequence, hash FROM audit_head WHERE singleton = 1",
                                                            logger: self.logger).decode((Int64, String).self) { head = row }
            if head.0 != previousSequence || head.1 != previousHash {
                throw ConsentError.auditChainBroken(
                    sequence: previousSequence + 1,
                    message: "the log ends at entry \(previousSequence) but the recorded head is entry \(head.0): entries were cut off the end")
            }
            return AuditVerification(entries: previousSequence, headHash: previousHash)
        }
    }

    private static func storedEntry(_ row: (Int64, Int64, String, String, String, String, String, String)) -> AuditChain.StoredEntry {
        AuditChain.StoredEntry(sequence: row.0, recordedAt: Timestamp.fromMicroseconds(row.1), actor: row.2, action: row.3,
                               subject: row.4, detailsJSON: row.5, previousHash: row.6, hash: row.7)
    }
}

extension PostgresConsentStore: OutboxStore {
    public func outbox(pendingOnly: Bool, limit: Int) async throws -> [OutboxEvent] {
        try await read { connection in
            try await Self.outboxEvents(connection.query("""
                SELECT sequence, id, type, subject, payload, created_at, attempts, next_attempt_at, delivered_at, last_error
                FROM outbox WHERE NOT \(pendingOnly) OR delivered_at IS NULL ORDER BY sequence LIMIT \(limit)
                """, logger: self.logger))
        }
    }

    public func deliverable(at instant: Date, limit: Int) async throws -> [OutboxEvent] {
        try await read { connection in
            try await Self.outboxEvents(connection.query("""
                SELECT sequence, id, type, subject, payload, created_at, attempts, next_attempt_at, delivered_at, last_error
                FROM outbox WHERE delivered_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= \(Timestamp.microseconds(instant)))
                ORDER BY sequence LIMIT \(limit)
                """, logger: self.logger))
        }
    }

    public func markDelivered(_ id: String, at instant: Date) async throws {
        try await write { connection in
            try await connection.query("""
                UPDATE outbox SET delivered_at = \(Timestamp.microseconds(instant)), attempts = attempts + 1, last_error = NULL
                WHERE id = \(id) AND delivered_at IS NULL
                """, logger: self.logger)
        }
    }

    public func markFailed(_ id: String, error: String, retryAt: Date) async throws {
        try await write { connection in
            try await connection.query("""
                UPDATE outbox SET attempts = attempts + 1, last_error = \(String(error.prefix(1000))), next_attempt_at = \(Timestamp.microseconds(retryAt))
                WHERE id = \(id) AND delivered_at IS NULL
                """, logger: self.logger)
        }
    }

    private static func outboxEvents(_ rows: PostgresRowSequence) async throws -> [OutboxEvent] {
        var events: [OutboxEvent] = []
        for try await row in rows.decode((Int64, String, String, String, String, Int64, Int, Int64?, Int64?, String?).self) {
            events.append(OutboxEvent(id: row.1, sequence: row.0, type: row.2, subject: row.3, payloadJSON: row.4,
                                      createdAt: Timestamp.fromMicroseconds(row.5), attempts: row.6,
                                      nextAttemptAt: row.7.map(Timestamp.fromMicroseconds), deliveredAt: row.8.map(Timestamp.fromMicroseconds),
                                      lastError: row.9))
        }
        return events
    }
}

/// Values straight from a cell's bytes (binary format), for the reads that go through millions
/// of rows. Nil for NULL.
enum RawCell {
    static func int64(_ cell: PostgresCell) -> Int64? {
        guard let bytes = cell.bytes else { return nil }
        if cell.format == .binary, bytes.readableBytes == 8 { return bytes.getInteger(at: bytes.readerIndex, as: Int64.self) }
        return try? cell.decode(Int64.self)
    }

    static func channel(_ raw: UnsafeRawBufferPointer) -> ConsentCore.Channel? {
        switch (raw.count, raw.first) {
        case (3, UInt8(ascii: "w")): .web
        case (3, UInt8(ascii: "i")): .ios
        case (7, UInt8(ascii: "a")): .android
        case (3, UInt8(ascii: "a")): .api
        case (3, UInt8(ascii: "g")): .gpc
        case (6, UInt8(ascii: "i")): .import
        default: nil
        }
    }
}
