import ConsentCore

/// A value as both databases store it: Consentry keeps integers and text only (instants are
/// microseconds, dates and JSON are text), so a row reads the same from either.
public enum SQLValue: Sendable, Equatable, Hashable {
    case null
    case integer(Int64)
    case text(String)

    public init(_ text: String?) { self = text.map(SQLValue.text) ?? .null }
    public init(_ number: Int64?) { self = number.map(SQLValue.integer) ?? .null }
    public init(_ number: Int?) { self = number.map { .integer(Int64($0)) } ?? .null }
}

/// The spellings that differ between the two databases, named once.
public enum SQLFragment: Sendable {
    /// After an `ORDER BY` term or comparison: compare text as UTF-8 bytes. SQLite's default;
    /// PostgreSQL's `COLLATE "C"`.
    case bytewise
    /// After a `SELECT`: lock the rows read until the transaction ends (PostgreSQL's
    /// `FOR UPDATE`). SQLite needs nothing: its write transaction already excludes every other writer.
    case forUpdate
}

/// One statement, written once for both databases: text, bound values, lists of text bound as
/// one value, and the few ``SQLFragment``s whose spelling differs. A driver renders it in its
/// dialect (`?` or `$1`); values are always bound, never spliced into the text.
///
/// ```swift
/// let rows = try connection.query("SELECT member_key FROM members WHERE id IN \(texts: ids) ORDER BY id\(.bytewise)")
/// ```
public struct SQL: Sendable, ExpressibleByStringInterpolation {
    public enum Part: Sendable {
        case text(String)
        case value(SQLValue)
        /// A list of text usable as a one-column table: `x IN \(texts: list)`.
        case texts([String])
        case fragment(SQLFragment)
    }

    public private(set) var parts: [Part]

    public init(stringLiteral value: String) { parts = [.text(value)] }

    public init(stringInterpolation: Interpolation) { parts = stringInterpolation.parts }

    public init(parts: [Part]) { self.parts = parts }

    public struct Interpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) { parts.reserveCapacity(interpolationCount * 2 + 1) }

        public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }
        public mutating func appendInterpolation(_ value: SQLValue) { parts.append(.value(value)) }
        public mutating func appendInterpolation(_ text: String?) { parts.append(.value(SQLValue(text))) }
        public mutating func appendInterpolation(_ number: Int64?) { parts.append(.value(SQLValue(number))) }
        public mutating func appendInterpolation(_ number: Int?) { parts.append(.value(SQLValue(number))) }
        public mutating func appendInterpolation(texts: [String]) { parts.append(.texts(texts)) }
        public mutating func appendInterpolation(_ fragment: SQLFragment) { parts.append(.fragment(fragment)) }
        /// Text that is part of the statement itself: only names and keywords Consentry wrote,
        /// never input.
        public mutating func appendInterpolation(identifier: String) { parts.append(.text(identifier)) }
        public mutating func appendInterpolation(_ sql: SQL) { parts.append(contentsOf: sql.parts) }
    }

    /// `self` followed by `other`.
    public static func + (lhs: SQL, rhs: SQL) -> SQL { SQL(parts: lhs.parts + rhs.parts) }
}

/// One result row, decoded. Columns are read by position, as the statement lists them.
public struct SQLRow: Sendable, Equatable {
    public var values: [SQLValue]

    public init(_ values: [SQLValue]) { self.values = values }

    public func isNull(_ column: Int) -> Bool { values[column] == .null }

    public func int64(_ column: Int) throws -> Int64 {
        guard case .integer(let value) = values[column] else { throw Self.unexpected(column, "an integer", values[column]) }
        return value
    }

    public func int(_ column: Int) throws -> Int { Int(try int64(column)) }

    public func optionalInt64(_ column: Int) throws -> Int64? { isNull(column) ? nil : try int64(column) }

    public func optionalInt(_ column: Int) throws -> Int? { isNull(column) ? nil : try int(column) }

    public func text(_ column: Int) throws -> String {
        guard case .text(let value) = values[column] else { throw Self.unexpected(column, "text", values[column]) }
        return value
    }

    public func optionalText(_ column: Int) throws -> String? { isNull(column) ? nil : try text(column) }

    private static func unexpected(_ column: Int, _ expected: String, _ value: SQLValue) -> ConsentError {
        .storeUnavailable("column \(column + 1) of a stored row holds \(value == .null ? "NULL" : "another type"), not \(expected)")
    }
}

/// Rows to append to one table, kept flat: one array of cells and one of text bytes per batch,
/// whatever its size, so an import's million rows make no object per value, and the writer
/// binds or encodes each text where it lies, retaining and freeing nothing per value.
public struct RowBatch: Sendable {
    /// One value: NULL, an integer, or where its UTF-8 lies in the batch's text.
    public enum Cell: Sendable, Equatable {
        case null
        case integer(Int64)
        case text(start: Int, count: Int)
    }

    public let columns: Int
    private var cells: [Cell] = []
    /// Every text value's UTF-8, end to end.
    private var text: [UInt8] = []

    public init(columns: Int, capacity: Int = 0) {
        self.columns = columns
        cells.reserveCapacity(capacity * columns)
    }

    public var count: Int { cells.count / columns }
    public var isEmpty: Bool { cells.isEmpty }
    /// The bytes of all its texts.
    public var textBytes: Int { text.count }

    /// Appends one row; `row` must hold exactly ``columns`` values.
    public mutating func append(_ row: SQLValue...) { append(row: row) }

    /// Appends one row given as a collection; it must hold exactly ``columns`` values.
    public mutating func append(row: some Collection<SQLValue>) {
        precondition(row.count == columns, "a row of \(row.count) values for \(columns) columns")
        for value in row {
            switch value {
            case .null: cells.append(.null)
            case .integer(let number): cells.append(.integer(number))
            case .text(let string):
                let start = text.count
                if string.utf8.withContiguousStorageIfAvailable({ text.append(contentsOf: $0) }) == nil {
                    text.append(contentsOf: string.utf8)
                }
                cells.append(.text(start: start, count: text.count - start))
            }
        }
    }

    /// The values of row `index`, texts made strings again (for the paths that are not bulk).
    public func row(_ index: Int) -> [SQLValue] {
        cells[(index * columns)..<((index + 1) * columns)].map { cell in
            switch cell {
            case .null: .null
            case .integer(let number): .integer(number)
            case .text(let start, let count): .text(String(decoding: text[start..<(start + count)], as: UTF8.self))
            }
        }
    }

    /// The same rows, each led by its index in the batch as one more column, texts shared as
    /// they lie (for staging rows whose order must survive).
    public func numbered() -> RowBatch {
        var copy = RowBatch(columns: columns + 1, capacity: count)
        copy.text = text
        for index in 0..<count {
            copy.cells.append(.integer(Int64(index)))
            copy.cells.append(contentsOf: cells[(index * columns)..<((index + 1) * columns)])
        }
        return copy
    }

    /// Lends the cells, row after row, and the bytes their texts point into.
    public func withCells<T>(_ body: (UnsafeBufferPointer<Cell>, UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try cells.withUnsafeBufferPointer { cells in try text.withUnsafeBufferPointer { text in try body(cells, text) } }
    }
}
