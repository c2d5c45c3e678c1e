import ConsentCore
import ConsentFormats
import ConsentStorage
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One leased PostgreSQL connection inside a transaction, speaking PostgreSQL: `$1` placeholders,
/// lists bound as one `text[]`. Its calls block the calling thread (one of the driver's own,
/// never an event loop or a concurrency thread) until the server answers.
public struct PostgresSession: SQLConnection, @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// host:port/database, for messages.
    let location: String
    /// Statements sent without waiting for their answer, oldest first.
    let inFlight = InFlightStatements()

    /// COPY pays off above this many rows; below it, one multi-row INSERT is one round trip.
    static let copyThreshold = 500
    /// PostgreSQL binds at most 65,535 values to one statement.
    static let maximumBinds = 60_000

    public var dialect: SQLDialect { .postgres }

    public func query(_ sql: SQL) throws -> [SQLRow] {
        var rows: [SQLRow] = []
        try forEachRow(sql) { rows.append($0) }
        return rows
    }

    public func forEachRow(_ sql: SQL, _ body: (SQLRow) throws -> Void) throws {
        for row in try result(render(sql)).rows {
            try body(SQLRow(try row.map(Self.value)))
        }
    }

    @discardableResult
    public func execute(_ sql: SQL) throws -> Int {
        try result(render(sql)).metadata.rows ?? 0
    }

    /// Sent at once; PostgreSQL runs a connection's statements in order, so the answers are
    /// collected later (``flush()``), without a round trip each.
    public func send(_ sql: SQL) throws {
        inFlight.add(connection.query(try render(sql), logger: logger).map { _ in })
    }

    public func flush() throws {
        var first: (any Error)?
        for statement in inFlight.takeAll() {
            do { try wait(statement) } catch { first = first ?? error }
        }
        if let first { throw first }
    }

    /// All sent behind whatever is in flight, then waited for in order: one round trip.
    public func queries(_ statements: [SQL]) throws -> [[SQLRow]] {
        let rendered = try statements.map(render)
        let answers = rendered.map { connection.query($0, logger: logger) }
        var first: (any Error)?
        do { try flush() } catch { first = error }
        var rows: [[SQLRow]] = []
        for answer in answers {
            do {
                let result = try wait(answer)
                if first == nil { rows.append(try result.rows.map { SQLRow(try $0.map(Self.value)) }) }
            } catch {
                first = first ?? error
            }
        }
        if let first { throw first }
        return rows
    }

    /// Runs one statement of this driver's own (transaction control, settings).
    func run(_ statement: String) throws {
        _ = try result(PostgresQuery(unsafeSQL: statement))
    }

    /// Runs each statement of `script` (the extended protocol takes one per query).
    public func executeScript(_ script: String) throws {
        for statement in Self.statements(of: script) { try run(statement) }
    }

    /// Large batches become COPY text (encoded on the thread that calls this: an import's
    /// parsing thread); small ones stay rows, for one multi-row INSERT.
    public static func bulkRows(_ rows: RowBatch) -> BulkRows {
        guard rows.count >= copyThreshold else { return .rows(rows) }
        var encoded = CopyRows(capacity: rows.textBytes + rows.count * rows.columns * 8)
        encoded.rows(rows)
        return .copy(encoded)
    }

    public enum BulkRows: Sendable {
        case rows(RowBatch)
        case copy(CopyRows)
    }

    public func append(bulk rows: BulkRows, into table: String, columns: [String]) throws {
        switch rows {
        case .rows(let rows): try insert(rows, into: table, columns: columns)
        case .copy(let encoded):
            guard !encoded.isEmpty else { return }
            let (connection, logger, data) = (connection, logger, encoded.buffer)
            try flush()
            try wait(connection.eventLoop.makeFutureWithTask {
                try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in try await writer.write(data) }
            })
        }
    }

    public func append(_ rows: RowBatch, into table: String, columns: [String]) throws {
        try append(bulk: Self.bulkRows(rows), into: table, columns: columns)
    }

    /// One multi-row INSERT per 60,000 bound values, sent without waiting.
    private func insert(_ rows: RowBatch, into table: String, columns: [String]) throws {
        guard !rows.isEmpty else { return }
        let perStatement = max(1, Self.maximumBinds / columns.count)
        var start = 0
        while start < rows.count {
            let end = min(start + perStatement, rows.count)
            var text = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
            var binds = PostgresBindings(capacity: (end - start) * columns.count)
            var number = 0
            for index in start..<end {
                text += index == start ? "(" : ", ("
                for (position, value) in rows.row(index).enumerated() {
                    number += 1
                    text += position == 0 ? "$\(number)" : ", $\(number)"
                    Self.bind(value, to: &binds)
                }
                text += ")"
            }
            inFlight.add(connection.query(PostgresQuery(unsafeSQL: text, binds: binds), logger: logger).map { _ in })
            start = end
        }
    }

    /// Stages `rows` in a temporary table, then applies the last row of each key in one
    /// upsert: PostgreSQL refuses to change one row twice in one statement.
    public func upsert(_ rows: RowBatch, into table: String, columns: [String], key: String, assignments: String) throws {
        guard !rows.isEmpty else { return }
        let staged = "staged_\(table)"
        let list = columns.joined(separator: ", ")
        try run("CREATE TEMP TABLE IF NOT EXISTS \(staged) ON COMMIT DROP AS SELECT 0::bigint AS line, \(list) FROM \(table) WITH NO DATA")
        try append(rows.numbered(), into: staged, columns: ["line"] + columns)
        try run("""
            INSERT INTO \(table) (\(list)) SELECT DISTINCT ON (\(key)) \(list) FROM \(staged) ORDER BY \(key), line DESC
            ON CONFLICT (\(key)) DO UPDATE SET \(assignments)
            """)
        try run("TRUNCATE \(staged)")
    }

    // MARK: Decision snapshots

    /// Members arrive packed a few thousand to a value (``PackedRows``) and are sorted by id
    /// bytes here: the server only scans, and sorting a million positions takes a fraction of a second.
    public func scanMembers(ids: [String]?, _ body: (MemberScanRow) throws -> Void) throws {
        var members: [MemberScanRow] = []
        // Every id's bytes, end to end, to sort by without touching the strings.
        var idBytes: [UInt8] = []
        var idEnds: [Int] = []
        let filter: SQL = ids.map { " WHERE id IN \(texts: $0)" } ?? ""
        let packed = PackedRows.row("id", "member_key::text", "coalesce(birth_date, '')", "country", "coalesce(notified_at::text, '')",
                                    "coalesce(facts_valid_from::text, '')", "facts_recorded_at::text")
        try forEachChunk("SELECT count(*), string_agg(\(identifier: packed), chr(30)) FROM members\(filter) GROUP BY member_key / 4096",
                         fields: 7, what: "member") { bytes, fields in
            guard let key = PackedRows.int64(bytes, fields[1]), let recordedAt = PackedRows.int64(bytes, fields[6]) else {
                throw ConsentError.storeUnavailable("a member row is not readable")
            }
            idBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[fields[0]]))
            idEnds.append(idBytes.count)
            members.append(try MemberScanRow(key: key, id: UnsafeRawBufferPointer(rebasing: bytes[fields[0]]),
                                             birthDate: fields[2].isEmpty ? nil : UnsafeRawBufferPointer(rebasing: bytes[fields[2]]),
                                             country: UnsafeRawBufferPointer(rebasing: bytes[fields[3]]),
                                             notifiedAt: fields[4].isEmpty ? nil : PackedRows.int64(bytes, fields[4]),
                                             validFrom: fields[5].isEmpty ? nil : PackedRows.int64(bytes, fields[5]), recordedAt: recordedAt))
        }
        let order = idBytes.withUnsafeBufferPointer { ids in
            idEnds.withUnsafeBufferPointer { ends in
                members.indices.sorted { a, b in
                    let start = (a == 0 ? 0 : ends[a - 1], b == 0 ? 0 : ends[b - 1])
                    return UnsafeBufferPointer(rebasing: ids[start.0..<ends[a]])
                        .lexicographicallyPrecedes(UnsafeBufferPointer(rebasing: ids[start.1..<ends[b]]))
                }
            }
        }
        for index in order { try body(members[index]) }
    }

    /// Entries arrive packed, a chunk holding whole members in decision order.
    public func scanLedger(knownAt: Int64?, ids: [String]?, _ body: (LedgerScanRow) throws -> Void) throws {
        var filter: SQL = ids.map { " AND member_key IN (SELECT member_key FROM members WHERE id IN \(texts: $0))" } ?? ""
        if let knownAt { filter = filter + " AND recorded_at <= \(knownAt)" }
        let packed = PackedRows.row("member_key::text", "at::text", "CASE WHEN choice = 'on' THEN '1' ELSE '0' END", "channel")
        try forEachChunk("""
            SELECT count(*), string_agg(\(identifier: packed), chr(30) ORDER BY member_key, at, sequence)
            FROM consent_events WHERE 1 = 1\(filter) GROUP BY member_key / 4096 ORDER BY member_key / 4096
            """, fields: 4, what: "ledger") { bytes, fields in
            guard let key = PackedRows.int64(bytes, fields[0]), let at = PackedRows.int64(bytes, fields[1]),
                  let channel = ConsentCore.Channel(utf8: UnsafeRawBufferPointer(rebasing: bytes[fields[3]])) else {
                throw ConsentError.storeUnavailable("a ledger row is not readable")
            }
            try body(LedgerScanRow(memberKey: key, at: at, choice: bytes[fields[2].lowerBound] == UInt8(ascii: "1") ? .on : .off, channel: channel))
        }
    }

    /// Each packed chunk's rows; a chunk whose row count differs from the count the server sent
    /// alongside is an error, never a guess.
    private func forEachChunk(_ sql: SQL, fields: Int, what: String,
                              _ body: (UnsafeRawBufferPointer, [Range<Int>]) throws -> Void) throws {
        for row in try result(render(sql)).rows {
            var cells = row.makeIterator()
            guard let countCell = cells.next(), let count = try? countCell.decode(Int64.self), let packed = cells.next() else {
                throw ConsentError.storeUnavailable("a \(what) chunk is not readable")
            }
            let rows = try PackedRows.forEach(in: packed, fields: fields, body)
            guard rows == count else { throw ConsentError.storeUnavailable("a \(what) chunk holds \(rows) rows, not \(count)") }
        }
    }

    // MARK: Statements

    /// `sql` with `$1`, `$2`, … and its values bound.
    private func render(_ sql: SQL) throws -> PostgresQuery {
        var text = ""
        var binds = PostgresBindings()
        for part in sql.parts {
            switch part {
            case .text(let literal): text += literal
            case .value(let value):
                Self.bind(value, to: &binds)
                text += "$\(binds.count)"
            case .texts(let list):
                binds.append(list)
                text += "(SELECT unnest(CAST($\(binds.count) AS text[])))"
            case .fragment(.bytewise): text += " COLLATE \"C\""
            case .fragment(.forUpdate): text += " FOR UPDATE"
            }
        }
        return PostgresQuery(unsafeSQL: text, binds: binds)
    }

    private static func bind(_ value: SQLValue, to binds: inout PostgresBindings) {
        switch value {
        case .null: binds.appendNull()
        case .integer(let number): binds.append(number)
        case .text(let text): binds.append(text)
        }
    }

    /// Sends `query` behind whatever is in flight, then waits for all of it, in order.
    private func result(_ query: PostgresQuery) throws -> PostgresQueryResult {
        let answer = connection.query(query, logger: logger)
        do {
            try flush()
        } catch {
            _ = try? wait(answer)
            throw error
        }
        return try wait(answer)
    }

    private func wait<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        do {
            return try future.wait()
        } catch let error as ConsentError {
            throw error
        } catch let error as PSQLError {
            throw ConsentError.storeUnavailable(Self.message(error, location: location))
        } catch {
            throw ConsentError.storeUnavailable("PostgreSQL at \(location): \(error)")
        }
    }

    private static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    /// What went wrong, without the query's bound values (they may hold personal data) or the password.
    static func message(_ error: PSQLError, location: String) -> String {
        if let server = error.serverInfo, let message = server[.message] {
            return "PostgreSQL at \(location): \(message)" + (server[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        return "PostgreSQL at \(location): \(error.code.description)"
    }

    /// The statements of `script` one by one: split at `;` outside quotes, comments and `$$` bodies.
    static func statements(of script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inDollar = false, inQuote = false, inComment = false
        var previous: Character = " "
        for character in script {
            current.append(character)
            if inComment {
                if character == "\n" { inComment = false }
            } else if character == "$" && previous == "$" && !inQuote {
                inDollar.toggle()
            } else if character == "'" && !inDollar {
                inQuote.toggle()
            } else if character == "-" && previous == "-" && !inQuote && !inDollar {
                inComment = true
            } else if character == ";" && !inQuote && !inDollar {
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if statement != ";" { statements.append(statement) }
                current = ""
            }
            previous = character
        }
        if !Self.isBlank(current) { statements.append(current) }
        return statements
    }

    /// Whitespace and `--` comments only.
    private static func isBlank(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("--")
        }
    }
}

/// The statements a session sent without waiting. One transaction's thread uses it at a time.
final class InFlightStatements: @unchecked Sendable {
    private var statements: [EventLoopFuture<Void>] = []

    func add(_ statement: EventLoopFuture<Void>) { statements.append(statement) }

    func takeAll() -> [EventLoopFuture<Void>] {
        defer { statements.removeAll(keepingCapacity: true) }
        return statements
    }
}
