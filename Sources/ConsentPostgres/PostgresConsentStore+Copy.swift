import ConsentCore
import Foundation
import NIOCore
import PostgresNIO

extension PostgresConsentStore {
    /// What a copy moved: rows per table, in table order (each the source's whole table).
    public struct CopyReport: Sendable {
        public var rows: [(table: String, count: Int)] = []
    }

    /// Copies every table of `source` into this store, verbatim (keys, sequence numbers, hashes),
    /// in one transaction: a failure leaves this store as it was. Refuses a store that holds
    /// anything. Serial keys continue after the copied ones.
    public func copy(from source: some StoreCopySource & Sendable, batchSize: Int = 20_000,
                     progress: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws -> CopyReport {
        try await write { connection in
            // The audit head's lock keeps every writer out until the copy commits.
            var head: (Int64, String) = (0, "")
            for try await row in try await connection.query("SELECT sequence, hash FROM audit_head WHERE singleton = 1 FOR UPDATE",
                                                            logger: self.logger).decode((Int64, String).self) { head = row }
            var holds = 0
            for try await count in try await connection.query("""
                SELECT (SELECT count(*) FROM policy_versions) + (SELECT count(*) FROM members) + (SELECT count(*) FROM audit_log)
                """, logger: self.logger).decode(Int.self) { holds = count }
            guard head.0 == 0, holds == 0 else {
                throw ConsentError.lineageConflict("the target store is not empty (\(holds) rows, audit head \(head.0)); migrate-store copies only into an empty database")
            }
            var report = CopyReport()
            for table in StoreTables.all {
                let total = try source.count(table)
                if table.name == "audit_head" {
                    if let row = try source.rows(table, offset: 0, limit: 1).first,
                       case .integer(let sequence) = row[1], case .text(let hash) = row[2] {
                        try await connection.query("UPDATE audit_head SET sequence = \(sequence), hash = \(hash) WHERE singleton = 1",
                                                   logger: self.logger)
                    }
                    report.rows.append((table.name, total))
                    continue
                }
                var offset = 0
                while offset < total {
                    let rows = try source.rows(table, offset: offset, limit: batchSize)
                    guard !rows.isEmpty else { break }
                    offset += rows.count
                    var encoded = CopyRows(capacity: rows.count * 64)
                    for row in rows { encoded.row(row) }
                    try await connection.copy(encoded, into: table.name, columns: table.columns, logger: self.logger)
                    progress(table.name, offset)
                }
                if let serial = table.serial {
                    try await connection.query(PostgresQuery(unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(table.name)', '\(serial)'), coalesce(max(\(serial)), 1), max(\(serial)) IS NOT NULL)
                        FROM \(table.name)
                        """), logger: self.logger)
                }
                guard offset == total else {
                    throw ConsentError.storeUnavailable("\(table.name): the source counted \(total) rows but gave \(offset)")
                }
                report.rows.append((table.name, offset))
            }
            return report
        }
    }

    /// Rows per table, for checking a copy.
    public func tableCounts() async throws -> [String: Int] {
        try await read { connection in
            var counts: [String: Int] = [:]
            for table in StoreTables.all {
                for try await count in try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)"),
                                                                  logger: self.logger).decode(Int.self) { counts[table.name] = count }
            }
            return counts
        }
    }
}
