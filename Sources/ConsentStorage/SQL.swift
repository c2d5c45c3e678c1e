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

/// Rows to append to one table, kept flat (no array per row) so that an import's million rows
/// cost one buffer per batch.
public struct RowBatch: Sendable {
    public let columns: Int
    public private(set) var values: [SQLValue] = []

    public init(columns: Int, capacity: Int = 0) {
        self.columns = columns
        values.reserveCapacity(capacity * columns)
    }

    public var count: Int { values.count / columns }
    public var isEmpty: Bool { values.isEmpty }

    /// Appends one row; `row` must hold exactly ``columns`` values.
    public mutating func append(_ row: SQLValue...) {
        precondition(row.count == columns, "a row of \(row.count) values for \(columns) columns")
        values.append(contentsOf: row)
    }

    /// Appends one row given as an array; it must hold exactly ``columns`` values.
    public mutating func append(row: [SQLValue]) {
        precondition(row.count == columns, "a row of \(row.count) values for \(columns) columns")
        values.append(contentsOf: row)
    }

    /// The values of row `index`.
    public func row(_ index: Int) -> ArraySlice<SQLValue> { values[(index * columns)..<((index + 1) * columns)] }
}
