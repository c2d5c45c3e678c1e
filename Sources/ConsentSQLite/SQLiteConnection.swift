import ConsentCore
import ConsentFormats
import ConsentStorage
import Foundation
import GRDB
import GRDBSQLite

/// A GRDB connection inside a transaction, speaking SQLite: `?` placeholders, lists bound as
/// one JSON array read through `json_each`. Statements are prepared once per connection
/// (GRDB's cache) and bound and stepped through SQLite's C API: for a million-row import or
/// snapshot, building GRDB rows and arguments costs more than SQLite's own work.
public struct SQLiteConnection: SQLConnection {
    let db: Database

    init(_ db: Database) { self.db = db }

    public var dialect: SQLDialect { .sqlite }

    public func query(_ sql: ConsentStorage.SQL) throws -> [SQLRow] {
        var rows: [SQLRow] = []
        try forEachRow(sql) { rows.append($0) }
        return rows
    }

    public func forEachRow(_ sql: ConsentStorage.SQL, _ body: (SQLRow) throws -> Void) throws {
        try run(sql) { handle in
            let count = sqlite3_column_count(handle)
            while try step(handle) {
                var values: [SQLValue] = []
                values.reserveCapacity(Int(count))
                for column in 0..<count { values.append(try value(handle, column)) }
                try body(SQLRow(values))
            }
        }
    }

    @discardableResult
    public func execute(_ sql: ConsentStorage.SQL) throws -> Int {
        try run(sql) { handle in
            while try step(handle) {}
            return Int(sqlite3_changes(db.sqliteConnection))
        }
    }

    /// SQLite runs every statement at once.
    public func send(_ sql: ConsentStorage.SQL) throws { try execute(sql) }

    public func flush() throws {}

    public func executeScript(_ script: String) throws {
        do {
            try db.execute(sql: script)
        } catch {
            throw ConsentError.storeUnavailable(SQLiteDriver.message(error))
        }
    }

    /// SQLite binds the rows as they are.
    public static func bulkRows(_ rows: RowBatch) -> RowBatch { rows }

    public func append(bulk rows: RowBatch, into table: String, columns: [String]) throws {
        try append(rows, into: table, columns: columns)
    }

    public func append(_ rows: RowBatch, into table: String, columns: [String]) throws {
        try insert(rows) { "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(values(rows: $0, columns: columns.count))" }
    }

    /// Bound upserts, rows in order: SQLite applies a statement's rows one after the other, so
    /// the later of two rows for one key is applied last.
    public func upsert(_ rows: RowBatch, into table: String, columns: [String], key: String, assignments: String) throws {
        try insert(rows) { """
            INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(values(rows: $0, columns: columns.count))
            ON CONFLICT (\(key)) DO UPDATE SET \(assignments)
            """ }
    }

    /// One probe of the id index per id, each bound where it lies: no JSON list to write and
    /// parse, and no row values to build.
    public func memberKeys<IDs: Collection<String>>(of ids: IDs) throws -> [String: Int64] {
        var keys: [String: Int64] = [:]
        keys.reserveCapacity(ids.count)
        guard !ids.isEmpty else { return keys }
        let handle = try prepared("SELECT member_key FROM members WHERE id = ?")
        defer { sqlite3_clear_bindings(handle) }
        for id in ids {
            defer { sqlite3_reset(handle) }
            let key = try binding(id, at: 1, handle) { try step(handle) ? sqlite3_column_int64(handle, 0) : nil }
            if let key { keys[id] = key }
        }
        return keys
    }

    public func scanMembers(ids: [String]?, _ body: (MemberScanRow) throws -> Void) throws {
        // The covering index holds every column read, in id order (BINARY: byte order).
        let columns = "id, member_key, birth_date, country, notified_at, facts_valid_from, facts_recorded_at"
        let sql: ConsentStorage.SQL = ids.map { "SELECT \(identifier: columns) FROM members WHERE id IN \(texts: $0) ORDER BY id" }
            ?? "SELECT \(identifier: columns) FROM members INDEXED BY members_for_decisions ORDER BY id"
        try run(sql) { handle in
            while try step(handle) {
                try body(MemberScanRow(key: sqlite3_column_int64(handle, 1), id: UnsafeRawBufferPointer(bytes(handle, 0)),
                                       birthDate: sqlite3_column_type(handle, 2) == SQLITE_NULL ? nil : UnsafeRawBufferPointer(bytes(handle, 2)),
                                       country: UnsafeRawBufferPointer(bytes(handle, 3)), notifiedAt: optionalInt64(handle, 4),
                                       validFrom: optionalInt64(handle, 5), recordedAt: sqlite3_column_int64(handle, 6)))
            }
        }
    }

    public func scanLedger(knownAt: Int64?, ids: [String]?, _ body: (LedgerScanRow) throws -> Void) throws {
        var filter: ConsentStorage.SQL = ids.map { " AND member_key IN (SELECT member_key FROM members WHERE id IN \(texts: $0))" } ?? ""
        if let knownAt { filter = filter + " AND recorded_at <= \(knownAt)" }
        try run("""
            SELECT member_key, at, choice, channel FROM consent_events INDEXED BY consent_events_by_member
            WHERE 1 = 1\(filter) ORDER BY member_key, at, sequence
            """) { handle in
            while try step(handle) {
                guard let channel = Channel(utf8: UnsafeRawBufferPointer(bytes(handle, 3))) else {
                    throw ConsentError.storeUnavailable("a ledger entry of member key \(sqlite3_column_int64(handle, 0)) is not readable")
                }
                try body(LedgerScanRow(memberKey: sqlite3_column_int64(handle, 0), at: sqlite3_column_int64(handle, 1),
                                       choice: bytes(handle, 2).count == 2 ? .on : .off, channel: channel))
            }
        }
    }

    private func optionalInt64(_ handle: OpaquePointer, _ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    // MARK: Statements

    /// `(?, ?, …), (?, ?, …)…`: `rows` rows of `columns` placeholders.
    private func values(rows: Int, columns: Int) -> String {
        Array(repeating: "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")", count: rows).joined(separator: ", ")
    }

    /// The rows one statement of a bulk insert carries: each run of a statement opens and closes
    /// a cursor on the table and on every index, which for one row cost about as much as the
    /// row itself. Within SQLite's oldest limit of 999 bound values.
    static let rowsPerInsert = 32

    /// Binds `rows` to prepared statements of `sql(n)` for `n` rows at a time
    /// (``rowsPerInsert``, and the rest in one statement) and runs them, rows in order. Texts
    /// are bound where they lie in the batch (`SQLITE_STATIC`), which outlives the statements'
    /// use of them: each is reset and its bindings cleared before the batch is let go.
    private func insert(_ rows: RowBatch, sql: (Int) -> String) throws {
        guard !rows.isEmpty else { return }
        let perStatement = max(1, min(Self.rowsPerInsert, 999 / rows.columns))
        try rows.withCells { cells, text in
            var start = 0
            var handle: OpaquePointer?
            var handleRows = 0
            defer { if let handle { sqlite3_clear_bindings(handle) } }
            while start < cells.count {
                let count = min(perStatement, (cells.count - start) / rows.columns)
                if count != handleRows {
                    if let handle { sqlite3_clear_bindings(handle) }
                    handle = try prepared(sql(count))
                    handleRows = count
                }
                let statement = handle!
                defer { sqlite3_reset(statement) }
                for position in 0..<(count * rows.columns) {
                    try bind(cells[start + position], in: text, at: Int32(position + 1), statement)
                }
                while try step(statement) {}
                start += count * rows.columns
            }
        }
    }

    private func bind(_ cell: RowBatch.Cell, in text: UnsafeBufferPointer<UInt8>, at index: Int32, _ handle: OpaquePointer) throws {
        let code: Int32
        switch cell {
        case .null: code = sqlite3_bind_null(handle, index)
        case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
        case .text(let start, let count):
            if let base = text.baseAddress {
                code = UnsafeRawPointer(base + start).withMemoryRebound(to: CChar.self, capacity: count) {
                    sqlite3_bind_text(handle, index, $0, Int32(count), nil)
                }
            } else {
                // No text bytes in the batch at all: an empty string, which a NULL pointer is not.
                code = sqlite3_bind_text(handle, index, "", 0, transient)
            }
        }
        guard code == SQLITE_OK else { throw failure() }
    }

    /// Binds `text` where it lies (`SQLITE_STATIC`, no copy) and runs `body`, which must step
    /// the statement: the bytes are lent only until `body` returns (a short string lends a copy
    /// on the stack).
    private func binding<T>(_ text: String, at column: Int32, _ handle: OpaquePointer, _ body: () throws -> T) throws -> T {
        var text = text
        return try text.withUTF8 { utf8 in
            guard sqlite3_bind_text(handle, column, utf8.baseAddress, Int32(utf8.count), nil) == SQLITE_OK else { throw failure() }
            return try body()
        }
    }

    /// Renders `sql` with `?` placeholders, binds its values, and hands the statement to `body`.
    private func run<T>(_ sql: ConsentStorage.SQL, _ body: (OpaquePointer) throws -> T) throws -> T {
        var text = ""
        var values: [SQLValue] = []
        for part in sql.parts {
            switch part {
            case .text(let literal): text += literal
            case .value(let value):
                text += "?"
                values.append(value)
            case .texts(let list):
                text += "(SELECT value FROM json_each(?))"
                values.append(.text(JSONWriter.array(list.map(JSONWriter.string))))
            case .fragment(.bytewise), .fragment(.forUpdate):
                break  // byte order is SQLite's default; its write transaction excludes other writers
            }
        }
        let handle = try prepared(text)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        for (index, value) in values.enumerated() { try bind(value, at: Int32(index + 1), handle) }
        return try body(handle)
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        do {
            return try db.cachedStatement(sql: sql).sqliteStatement
        } catch {
            throw ConsentError.storeUnavailable(SQLiteDriver.message(error))
        }
    }

    private func bind(_ value: SQLValue, at index: Int32, _ handle: OpaquePointer) throws {
        let code: Int32
        switch value {
        case .null:
            code = sqlite3_bind_null(handle, index)
        case .integer(let number):
            code = sqlite3_bind_int64(handle, index, number)
        case .text(let text):
            // Native strings expose their UTF-8 without copying; SQLite copies it (transient).
            code = text.utf8.withContiguousStorageIfAvailable {
                sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), transient)
            } ?? {
                var copy = text
                return copy.withUTF8 { sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), transient) }
            }()
        }
        guard code == SQLITE_OK else { throw failure() }
    }

    /// Advances to the next row; false when the statement is done.
    private func step(_ handle: OpaquePointer) throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw failure()
        }
    }

    private func value(_ handle: OpaquePointer, _ column: Int32) throws -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_TEXT: return .text(text(handle, column))
        default:
            throw ConsentError.storeUnavailable("column \(String(cString: sqlite3_column_name(handle, column))) holds a value of an unexpected type")
        }
    }

    /// The column's UTF-8 bytes, valid until the next step.
    private func bytes(_ handle: OpaquePointer, _ column: Int32) -> UnsafeBufferPointer<UInt8> {
        guard let pointer = sqlite3_column_text(handle, column) else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column)))
    }

    private func text(_ handle: OpaquePointer, _ column: Int32) -> String {
        String(decoding: bytes(handle, column), as: UTF8.self)
    }

    private func failure() -> ConsentError {
        .storeUnavailable(String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }
}

/// SQLite copies bound text before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
