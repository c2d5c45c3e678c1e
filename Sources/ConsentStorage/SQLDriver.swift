import ConsentCore
import ConsentFormats
import Foundation

/// Which database a connection speaks; the schema's few dialect cases switch on it.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres
}

/// One connection inside a transaction, as the storage layer uses it. Calls are synchronous:
/// a transaction is one block of work that never waits on anything but its database.
///
/// Every method translates the database's own errors into ``ConsentError`` (a store failure
/// is ``ConsentError/storeUnavailable(_:)``), so nothing above a driver sees SQL errors.
public protocol SQLConnection {
    var dialect: SQLDialect { get }

    /// Runs a statement and returns its rows.
    func query(_ sql: SQL) throws -> [SQLRow]
    /// Runs a statement and hands its rows to `body` one by one (SQLite streams them; PostgreSQL
    /// reads the result first).
    func forEachRow(_ sql: SQL, _ body: (SQLRow) throws -> Void) throws
    /// Runs a statement; returns how many rows it inserted, updated or deleted.
    @discardableResult func execute(_ sql: SQL) throws -> Int
    /// Runs a statement whose outcome the caller does not read. A driver may send it without
    /// waiting for the answer (PostgreSQL: the next statement goes out at once); a failure is
    /// then thrown by the next call that waits: a query, ``flush()``, or the commit.
    func send(_ sql: SQL) throws
    /// Waits until every statement sent so far has run; throws the first failure among them.
    func flush() throws
    /// Runs `statements` in order and returns the rows of each: PostgreSQL sends them all
    /// before waiting, so they cost one round trip together (SQLite runs them one by one).
    func queries(_ statements: [SQL]) throws -> [[SQLRow]]
    /// Runs several statements written for this dialect (migrations).
    func executeScript(_ script: String) throws

    /// Rows encoded for this driver's bulk path (PostgreSQL: COPY text; SQLite: the rows as
    /// they are), made by ``bulkRows(_:)`` on an import's parsing thread so that the
    /// connection's thread only sends them.
    associatedtype BulkRows: Sendable
    static func bulkRows(_ rows: RowBatch) -> BulkRows
    /// Appends rows encoded by ``bulkRows(_:)``, as ``append(_:into:columns:)`` does.
    func append(bulk rows: BulkRows, into table: String, columns: [String]) throws

    /// Appends `rows` to `table`, in order. The fast path of imports and group commits:
    /// PostgreSQL's COPY for large batches, bound inserts otherwise. Like ``send(_:)``, a driver
    /// may return before the rows are in; a failure is thrown by the next call that waits.
    func append(_ rows: RowBatch, into table: String, columns: [String]) throws
    /// Inserts `rows` into `table`, or updates the row with the same `key` by `assignments`
    /// (a SET list, in which `excluded.c` is the new row's value and `table.c` the old one's);
    /// when `rows` names one key twice, the later row is applied last (the last line of an
    /// import file wins).
    func upsert(_ rows: RowBatch, into table: String, columns: [String], key: String, assignments: String) throws

    /// The member key of each of `ids` that names a member: one statement for them all, or on
    /// SQLite one probe of the id index each, which costs less than binding them as a list.
    func memberKeys<IDs: Collection<String>>(of ids: IDs) throws -> [String: Int64]

    /// Every member row, or those whose id is in `ids`, in byte order of the ids: the fast path
    /// of decision snapshots.
    func scanMembers(ids: [String]?, _ body: (MemberScanRow) throws -> Void) throws
    /// Every ledger entry recorded at or before `knownAt` (microseconds; all when nil), or those
    /// of the members whose id is in `ids`, by member key, then `at`, then sequence.
    func scanLedger(knownAt: Int64?, ids: [String]?, _ body: (LedgerScanRow) throws -> Void) throws
}

extension SQLConnection {
    public func queries(_ statements: [SQL]) throws -> [[SQLRow]] { try statements.map { try query($0) } }

    public func memberKeys<IDs: Collection<String>>(of ids: IDs) throws -> [String: Int64] {
        var keys: [String: Int64] = [:]
        keys.reserveCapacity(ids.count)
        guard !ids.isEmpty else { return keys }
        return try ChoiceReads.memberKeys(query(ChoiceReads.memberKeysStatement(Array(ids))), into: keys)
    }
}

/// What a decision snapshot reads of a member.
public struct MemberScanRow: Sendable {
    public var key: Int64
    /// The latest facts.
    public var member: Member
    /// The latest version's two instants: valid from (nil: the beginning) and recorded at.
    public var validFrom: Int64?
    public var recordedAt: Int64

    /// A row from its columns as the driver holds them (``StoredRecords/member(id:birthDate:country:notifiedAt:)``).
    public init(key: Int64, id: UnsafeRawBufferPointer, birthDate: UnsafeRawBufferPointer?, country: UnsafeRawBufferPointer,
                notifiedAt: Int64?, validFrom: Int64?, recordedAt: Int64) throws {
        self.key = key
        member = try StoredRecords.member(id: id, birthDate: birthDate, country: country, notifiedAt: notifiedAt)
        self.validFrom = validFrom
        self.recordedAt = recordedAt
    }
}

/// What a decision snapshot reads of a ledger entry.
public struct LedgerScanRow {
    public var memberKey: Int64
    public var at: Int64
    public var choice: Choice
    public var channel: Channel

    public init(memberKey: Int64, at: Int64, choice: Choice, channel: Channel) {
        self.memberKey = memberKey
        self.at = at
        self.choice = choice
        self.channel = channel
    }
}

/// A database the storage layer runs on: it opens and pools connections and runs transactions.
/// Two exist, ``SQLiteDriver`` and ``PostgresDriver``; everything else is written once, in
/// ``SQLConsentStore``.
public protocol SQLDriver: Sendable {
    associatedtype Connection: SQLConnection

    /// Where the database is, for messages (a path, or host:port/database without a password).
    var location: String { get }

    /// Runs `body` in one write transaction that excludes every other writer (of any process
    /// or instance), and commits it durably before returning. A thrown error rolls it back.
    func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T
    /// ``write(_:)`` for a transaction of many rows (imports, store copies): a driver may write it
    /// by a faster path when nothing else uses the database (SQLite: a rollback journal instead
    /// of the WAL). The default is ``write(_:)``.
    func writeBulk<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T
    /// Whether waiting on a statement is a round trip to a server (PostgreSQL) rather than a
    /// call into this process (SQLite). A group commit then sends as much as it can at once:
    /// the facts of members with a short history are read inside the write transaction, with
    /// its last statements, rather than in a read transaction after it, and the next batch begins while this one's
    /// commit is on its way (its read of the audit head waits in the server for that commit).
    /// Where the process itself writes, a batch instead gathers writes during the fsync.
    var remote: Bool { get }
    /// Runs `body` in one read-only transaction: every statement sees one snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T
    /// Runs two bodies on one snapshot: at once on two connections where the database can
    /// share a snapshot between them (PostgreSQL), else one after the other.
    func readTogether<A: Sendable, B: Sendable>(_ first: @escaping @Sendable (Connection) throws -> A,
                                                _ second: @escaping @Sendable (Connection) throws -> B) async throws -> (A, B)
}

extension SQLDriver {
    public func writeBulk<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await write(body)
    }
}

extension Channel {
    /// The channel whose name is `bytes` (UTF-8), for the drivers' fast paths; nil for anything else.
    public init?(utf8 bytes: UnsafeRawBufferPointer) {
        switch (bytes.count, bytes.first) {
        case (3, UInt8(ascii: "w")): self = .web
        case (3, UInt8(ascii: "i")): self = .ios
        case (7, UInt8(ascii: "a")): self = .android
        case (3, UInt8(ascii: "a")): self = .api
        case (3, UInt8(ascii: "g")): self = .gpc
        case (6, UInt8(ascii: "i")): self = .import
        default: return nil
        }
    }
}
