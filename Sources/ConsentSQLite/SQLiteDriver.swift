import CSQLiteSetup
import ConsentCore
import ConsentStorage
import Foundation
import GRDB

/// The embedded store: ``SQLConsentStore`` on one SQLite file.
public typealias SQLiteConsentStore = SQLConsentStore<SQLiteDriver>

extension SQLConsentStore where Driver == SQLiteDriver {
    /// Opens (creating if needed) the database at `path` and, unless `migrate` is false, brings
    /// its schema up to date.
    /// - Parameter mustExist: refuse to create a new file (for commands that only read).
    public convenience init(path: String, mustExist: Bool = false, migrate: Bool = true, busyTimeout: TimeInterval = 30,
                            now: @escaping @Sendable () -> Date = Date.init) throws {
        self.init(driver: try SQLiteDriver(path: path, mustExist: mustExist, migrate: migrate, busyTimeout: busyTimeout, now: now()), now: now)
    }

    public var path: String { driver.path }

    /// The value of an integer `PRAGMA` on the writer connection (for checks and diagnostics).
    public func writerPragma(_ name: String) throws -> Int? { try driver.writerPragma(name) }
}

/// SQLite through GRDB: one file in WAL mode, one writer connection with `synchronous=FULL`
/// (every commit is fsynced before it returns: an acknowledged write survives a crash), and
/// readers that see a consistent snapshot while it writes.
///
/// Several processes may write the same file: each write is one IMMEDIATE transaction, and a
/// writer waits (up to the busy timeout) for another to finish instead of failing.
public struct SQLiteDriver: SQLDriver, SQLSnapshotSource {
    let pool: DatabasePool
    public let path: String
    public var location: String { path }

    /// Opens (creating if needed) the file at `path` and, unless `migrate` is false, applies
    /// pending migrations.
    public init(path: String, mustExist: Bool = false, migrate: Bool = true, busyTimeout: TimeInterval = 30, now: Date = Date()) throws {
        if mustExist && !FileManager.default.fileExists(atPath: path) {
            throw ConsentError.storeUnavailable("no database at \(path); apply a policy (`consentry policy apply`) to create one, or pass --db")
        }
        _ = Self.setUp
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // A bigger page cache keeps the id and ledger indexes in memory during large imports.
            try db.execute(sql: "PRAGMA cache_size = -131072")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB opens WAL pools with synchronous=NORMAL, which may lose the last commits on power
            // loss. The pool has one writer connection for its lifetime: make it fsync every commit.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            if migrate { try pool.write { db in _ = try SQLConsentStore<SQLiteDriver>.migrate(SQLiteConnection(db), now: now) } }
        } catch let error as ConsentError {
            throw error
        } catch {
            throw ConsentError.storeUnavailable("cannot open \(path): \(Self.message(error))")
        }
        self.path = path
    }

    /// SQLite's process-wide options (``consentry_sqlite_setup``), set once, before the first
    /// connection of the process opens; a process that opened SQLite elsewhere first keeps the
    /// defaults, which are only slower.
    static let setUp: Int32 = consentry_sqlite_setup()

    public var remote: Bool { false }

    public func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await translatingErrors { try await pool.write { db in try body(SQLiteConnection(db)) } }
    }

    /// Reads on the calling thread: a read of the page cache takes microseconds, less than a hop
    /// to a reader queue and back (the write path keeps GRDB's writer queue, which waits on fsync).
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await translatingErrors { try pool.read { db in try body(SQLiteConnection(db)) } }
    }

    /// One after the other, in one read transaction: SQLite shares no snapshot between connections.
    public func readTogether<A: Sendable, B: Sendable>(_ first: @escaping @Sendable (SQLiteConnection) throws -> A,
                                                       _ second: @escaping @Sendable (SQLiteConnection) throws -> B) async throws -> (A, B) {
        try await read { db in (try first(db), try second(db)) }
    }

    public func readBlocking<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        do {
            return try pool.read { db in try body(SQLiteConnection(db)) }
        } catch let error as ConsentError {
            throw error
        } catch {
            throw ConsentError.storeUnavailable("\(path): \(Self.message(error))")
        }
    }

    func writerPragma(_ name: String) throws -> Int? {
        guard name.allSatisfy({ $0.isLetter || $0 == "_" }) else { return nil }
        return try pool.write { try Int.fetchOne($0, sql: "PRAGMA \(name)") }
    }

    private func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ConsentError {
            throw error
        } catch {
            throw ConsentError.storeUnavailable(Self.message(error))
        }
    }

    static func message(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }
}
