import ConsentCore
import GRDB
import GRDBSQLite

/// A prepared INSERT bound through SQLite's C API, for the per-line hot path of imports:
/// GRDB's argument boxing cost more than the insert itself at a million rows.
struct FastInsert {
    enum Value {
        case text(String)
        case integer(Int64)
        case null
    }

    private let statement: Statement
    private let handle: OpaquePointer
    private let db: Database

    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.makeStatement(sql: sql)
        handle = statement.sqliteStatement
    }

    /// Binds `values` to the parameters in order, runs the statement, and resets it.
    func run(_ values: Value...) throws {
        defer { sqlite3_reset(handle) }
        var index: Int32 = 1
        for value in values {
            try bind(value, at: index)
            index += 1
        }
        guard sqlite3_step(handle) == SQLITE_DONE else { throw failure() }
    }

    private func bind(_ value: Value, at index: Int32) throws {
        let code: Int32
        switch value {
        case .text(let text):
            // Native strings expose their UTF-8 without copying; SQLite copies it (transient).
            code = text.utf8.withContiguousStorageIfAvailable {
                sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), transient)
            } ?? {
                var copy = text
                return copy.withUTF8 { sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), transient) }
            }()
        case .integer(let number):
            code = sqlite3_bind_int64(handle, index, number)
        case .null:
            code = sqlite3_bind_null(handle, index)
        }
        guard code == SQLITE_OK else { throw failure() }
    }

    private func failure() -> ConsentError {
        .storeUnavailable(String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }
}

/// SQLite copies bound text before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension FastInsert.Value {
    static func optional(_ text: String?) -> Self { text.map(Self.text) ?? .null }
    static func optional(_ number: Int64?) -> Self { number.map(Self.integer) ?? .null }
}
