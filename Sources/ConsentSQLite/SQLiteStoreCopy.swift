import ConsentCore
import GRDB

/// Reads a SQLite store for `consentry migrate-store`, every table from one snapshot taken when
/// this is made: writers may go on, the copy sees none of their changes.
public final class SQLiteStoreCopy: StoreCopySource, Sendable {
    private let snapshot: DatabaseSnapshot

    public init(_ store: SQLiteConsentStore) throws {
        do {
            snapshot = try store.pool.makeSnapshot()
        } catch {
            throw ConsentError.storeUnavailable("cannot read a snapshot of \(store.path): \(SQLiteConsentStore.message(error))")
        }
    }

    public func count(_ table: StoreTables.Table) throws -> Int {
        try snapshot.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0 }
    }

    public func rows(_ table: StoreTables.Table, offset: Int, limit: Int) throws -> [[StoredValue]] {
        try snapshot.read { db in
            let sql = "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) ORDER BY \(table.order) LIMIT ? OFFSET ?"
            return try Row.fetchAll(db, sql: sql, arguments: [limit, offset]).map { row in
                try (0..<table.columns.count).map { index in
                    switch (row[index] as DatabaseValue).storage {
                    case .null: .null
                    case .int64(let value): .integer(value)
                    case .string(let value): .text(value)
                    case .double, .blob:
                        throw ConsentError.storeUnavailable("\(table.name).\(table.columns[index]) holds a value of an unexpected type")
                    }
                }
            }
        }
    }
}
