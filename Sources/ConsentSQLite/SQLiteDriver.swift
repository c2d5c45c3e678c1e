import CSQLiteSetup
import ConsentCore
import ConsentFormats
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
            pool = try Self.openPool(path: path, configuration: configuration, busyTimeout: busyTimeout)
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

    /// Opens the pool, waiting while another process writes the file through a rollback
    /// journal (``writeBulk(_:)``): putting the file in WAL mode needs a lock SQLite does not
    /// wait for, so the attempt is repeated, up to `busyTimeout`, as any locked write would be.
    private static func openPool(path: String, configuration: Configuration, busyTimeout: TimeInterval) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(busyTimeout)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    /// SQLite's process-wide options (``consentry_sqlite_setup``), set once, before the first
    /// connection of the process opens; a process that opened SQLite elsewhere first keeps the
    /// defaults, which are only slower.
    static let setUp: Int32 = consentry_sqlite_setup()

    public var remote: Bool { false }

    public func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await translatingErrors { try await pool.write { db in try body(SQLiteConnection(db)) } }
    }

    /// A write of many rows at once (an import, a store copy), committed durably like ``write(_:)``.
    ///
    /// When no other connection, of this process or another, has the file open, it is written
    /// with a rollback journal instead of the WAL, and the file returns to WAL mode after the
    /// commit: new pages are then written once, into the file, where the WAL writes every page
    /// twice (into the WAL, then into the file when it is checkpointed), which is most of a large
    /// import's time. A connection holding the file open keeps it in WAL mode (SQLite refuses
    /// the switch at once), and the write goes through the WAL as any other. Another process
    /// that opens the file during such a write waits for its commit, up to its busy timeout.
    /// A crash leaves a hot journal, which the next connection rolls back: the write is then
    /// entirely undone, as an interrupted WAL transaction is.
    public func writeBulk<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await translatingErrors {
            try await pool.writeWithoutTransaction { db in
                let alone = Self.leaveWAL(db)
                // Each multi-row insert keeps a statement journal of the pages it changes, to
                // undo itself alone; in memory, not in a temporary file written through the kernel.
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                let writeback = alone ? Writeback(path: path) : nil
                defer {
                    // First: closing a descriptor of the file drops every POSIX lock this process
                    // holds on it, and the writer holds one again from the switch back to WAL on.
                    writeback?.stop()
                    if alone { Self.returnToWAL(db) }
                    _ = try? db.execute(sql: "PRAGMA temp_store = DEFAULT")
                }
                var result: T?
                try db.inTransaction(.immediate) {
                    // The crash test's failpoint: with a page cache this small, most of the
                    // write is already in the file, and its journal hot, when the process dies.
                    if Failpoint.armed == Self.beforeCommit { try db.execute(sql: "PRAGMA cache_size = 16") }
                    result = try body(SQLiteConnection(db))
                    Failpoint.hit(Self.beforeCommit)
                    return .commit
                }
                return result!
            }
        }
    }

    /// The failpoint that kills a bulk write once its rows are written, before its commit.
    static let beforeCommit = "bulk-write-before-commit"

    /// Switches the writer to a rollback journal when it is the file's only connection (SQLite
    /// needs an exclusive lock for it, which any other connection's shared lock refuses at once).
    /// The commit point of a rollback journal is its deletion: `synchronous = EXTRA` syncs the
    /// directory after it, so an acknowledged commit survives a power loss.
    private static func leaveWAL(_ db: Database) -> Bool {
        guard (try? String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")) == "delete" else { return false }
        do {
            try db.execute(sql: "PRAGMA synchronous = EXTRA")
            return true
        } catch {
            returnToWAL(db)
            return false
        }
    }

    /// Back to WAL and `synchronous = FULL`. Should another process hold the file now (it opened
    /// it during the write and is reading), the file stays in rollback mode, which every
    /// connection reads correctly; the next pool that opens it switches it back.
    private static func returnToWAL(_ db: Database) {
        _ = try? String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        _ = try? db.execute(sql: "PRAGMA synchronous = FULL")
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

/// Asks the kernel, a few times a second, to start writing a file's dirty pages to disk,
/// without waiting for them: a bulk write's pages then reach the disk while it goes on, and its
/// commit's fsync finds little left to write. (Left alone, the kernel starts only once a tenth
/// of the memory is dirty, so a whole import's pages waited for the commit.)
final class Writeback: @unchecked Sendable {
    private let descriptor: Int32
    private let done = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init?(path: String, every interval: TimeInterval = 0.25) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        Thread.detachNewThread { [self] in
            while done.wait(timeout: .now() + interval) == .timedOut {
                _ = consentry_start_writeback(descriptor)
            }
            finished.signal()
        }
    }

    func stop() {
        done.signal()
        finished.wait()
        close(descriptor)
    }
}
