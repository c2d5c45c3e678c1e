import ConsentCore
import ConsentFormats
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The consent store on PostgreSQL: the same records and guarantees as the SQLite store, shared
/// by any number of Consentry instances.
///
/// Every write is one transaction that first locks the audit head (so writers from all instances
/// extend one hash chain in order) and is committed, with PostgreSQL's default synchronous
/// commit, before the call returns. Reads that span several queries run in one REPEATABLE READ
/// transaction, a consistent snapshot while others write. When no connection can be had within
/// ``leaseTimeout`` (the server is down or unreachable) an operation fails with
/// ``ConsentError/storeUnavailable(_:)`` at once, never after a minute of silent retries, and
/// never with an answer that was not committed. Once leased, an operation runs as long as it
/// needs (a million-member snapshot takes seconds).
public final class PostgresConsentStore: Sendable {
    let client: PostgresClient
    let location: String
    let now: @Sendable () -> Date
    let logger: Logger
    private let runner: Task<Void, Never>
    /// The longest an operation waits for a connection.
    public let leaseTimeout: Duration

    /// Connects to `url` (`postgres://user:password@host:port/database`), checks the server answers
    /// within `connectTimeout`, and applies pending migrations unless `migrate` is false.
    public init(url: String, connectTimeout: Duration = .seconds(5), leaseTimeout: Duration = .seconds(2),
                migrate: Bool = true, now: @escaping @Sendable () -> Date = Date.init,
                logger: Logger = Logger(label: "consentry.postgres")) async throws {
        let parsed = try PostgresURL(url)
        var configuration = PostgresClient.Configuration(host: parsed.host, port: parsed.port, username: parsed.user,
                                                         password: parsed.password, database: parsed.database,
                                                         tls: parsed.requireTLS ? .require(.makeClientConfiguration()) : .disable)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.maximumConnections = 16
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let client = client
        runner = Task { await client.run() }
        location = parsed.description
        self.now = now
        self.logger = logger
        self.leaseTimeout = leaseTimeout
        do {
            _ = try await withTimeout(connectTimeout, "connecting") {
                try await client.query("SELECT 1", logger: logger)
            }
            if migrate { try await self.migrate() }
        } catch {
            runner.cancel()
            throw error
        }
    }

    deinit { runner.cancel() }

    /// Stops the connection pool; the store cannot be used afterwards.
    public func close() {
        runner.cancel()
    }

    // MARK: Migrations

    /// Applies every migration not yet recorded, each in its own transaction; returns their
    /// versions. Several instances starting at once apply each migration exactly once (an
    /// advisory lock serialises them).
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await write { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(7215560)", logger: self.logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """, logger: self.logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: self.logger).decode(Int.self) {
                applied.insert(version)
            }
            var done: [Int] = []
            for migration in PostgresSchema.migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                let at = Timestamp.microseconds(self.now())
                try await connection.query("INSERT INTO schema_migrations VALUES (\(migration.version), \(migration.name), \(at))",
                                           logger: self.logger)
                done.append(migration.version)
            }
            return done
        }
    }

    // MARK: Plumbing

    /// Runs `body` in a read-write transaction, committed before this returns. Writes that
    /// audit start with ``PostgresAudit/begin(_:now:logger:)``, whose row lock on the audit head
    /// makes them one at a time across every instance.
    @discardableResult
    func write<T: Sendable>(_ body: @Sendable @escaping (PostgresConnection) async throws -> T) async throws -> T {
        try await translatingErrors {
            try await self.leased { connection in
                try await connection.withTransaction(logger: self.logger) { connection in try await body(connection) }
            }
        }
    }

    /// Runs `body` in a REPEATABLE READ, READ ONLY transaction: every query sees one snapshot.
    func read<T: Sendable>(_ body: @Sendable @escaping (PostgresConnection) async throws -> T) async throws -> T {
        try await translatingErrors {
            try await self.leased { connection in
                try await connection.withTransaction(logger: self.logger) { connection in
                    try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: self.logger)
                    return try await body(connection)
                }
            }
        }
    }

    /// Runs `first` and `second` at once on two connections that see one REPEATABLE READ
    /// snapshot (exported by the first, adopted by the second): one consistent read, two cores.
    func readInParallel<A: Sendable, B: Sendable>(_ first: @Sendable @escaping (PostgresConnection) async throws -> A,
                                                  second: @Sendable @escaping (PostgresConnection) async throws -> B) async throws -> (A, B) {
        try await translatingErrors {
            try await self.leased { one in
                try await one.withTransaction(logger: self.logger) { one in
                    try await one.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: self.logger)
                    var exported = ""
                    for try await id in try await one.query("SELECT pg_export_snapshot()", logger: self.logger).decode(String.self) { exported = id }
                    guard !exported.isEmpty, exported.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                        throw ConsentError.storeUnavailable("PostgreSQL exported an unexpected snapshot id")
                    }
                    let snapshot = exported
                    return try await self.leased { two in
                        try await two.withTransaction(logger: self.logger) { two in
                            try await two.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: self.logger)
                            try await two.query(PostgresQuery(unsafeSQL: "SET TRANSACTION SNAPSHOT '\(snapshot)'"), logger: self.logger)
                            async let b = second(two)
                            let a = try await first(one)
                            return (a, try await b)
                        }
                    }
                }
            }
        }
    }

    /// Runs `body` on a pooled connection, failing when none can be had within ``leaseTimeout``.
    func leased<T: Sendable>(_ body: @Sendable @escaping (PostgresConnection) async throws -> T) async throws -> T {
        let started = LeaseFlag()
        let (limit, location) = (leaseTimeout, location)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    started.value.withLock { $0 = true }
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: limit)
                if !started.value.withLock({ $0 }) {
                    throw ConsentError.storeUnavailable("PostgreSQL at \(location): no connection within \(limit.components.seconds) s; is the server up?")
                }
                return nil  // leased in time: the operation decides
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }

    /// Where `url` points, for messages: `PostgreSQL at host:port/database`, never the password.
    public static func describe(url: String) -> String {
        (try? PostgresURL(url)).map { "PostgreSQL at \($0)" } ?? "PostgreSQL"
    }

    private func translatingErrors<T: Sendable>(_ body: @Sendable @escaping () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ConsentError {
            throw error
        } catch let error as PostgresTransactionError {
            // The body's own refusal (an unknown member, an illegal transition) is rolled back
            // and reported as itself; a failed BEGIN, COMMIT or ROLLBACK means the store failed.
            if error.beginError == nil, error.commitError == nil, let refusal = error.closureError as? ConsentError { throw refusal }
            let cause = error.commitError ?? error.beginError ?? error.closureError ?? error.rollbackError
            if let cause = cause as? PSQLError { throw ConsentError.storeUnavailable(Self.message(cause, location: location)) }
            throw ConsentError.storeUnavailable("PostgreSQL at \(location): \(cause.map { "\($0)" } ?? "the transaction failed")")
        } catch let error as PSQLError {
            throw ConsentError.storeUnavailable(Self.message(error, location: location))
        } catch {
            throw ConsentError.storeUnavailable("PostgreSQL at \(location): \(error)")
        }
    }

    /// Runs `body`, giving up after `limit` with a clear error (PostgresNIO would otherwise keep
    /// retrying an unreachable server for about a minute).
    func withTimeout<T: Sendable>(_ limit: Duration, _ what: String,
                                  _ body: @Sendable @escaping () async throws -> T) async throws -> T {
        let location = location
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw ConsentError.storeUnavailable("PostgreSQL at \(location) did not answer within \(limit.components.seconds) s (\(what))")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    /// What went wrong, without the query's bound values (they may hold personal data) or the password.
    static func message(_ error: PSQLError, location: String) -> String {
        if let server = error.serverInfo, let message = server[.message] {
            return "PostgreSQL at \(location): \(message)" + (server[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        return "PostgreSQL at \(location): \(error.code.description)"
    }
}

/// Set once an operation holds a connection.
private final class LeaseFlag: Sendable {
    let value = Mutex(false)
}

/// `postgres://user:password@host:port/database[?sslmode=require]`, read once; the password is
/// never printed (``description`` leaves it out).
struct PostgresURL: CustomStringConvertible {
    var user: String
    var password: String?
    var host: String
    var port: Int
    var database: String
    var requireTLS: Bool

    init(_ text: String) throws {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else {
            throw ConsentError.invalidField(field: "database URL", message: "must look like postgres://user:password@host:5432/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw ConsentError.invalidField(field: "database URL", message: "names no database (postgres://user@\(host)/DATABASE)")
        }
        self.host = host
        port = components.port ?? 5432
        user = components.user?.removingPercentEncoding ?? components.user ?? "postgres"
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        requireTLS = components.queryItems?.contains { $0.name == "sslmode" && ["require", "verify-full", "verify-ca"].contains($0.value ?? "") } ?? false
    }

    var description: String { "\(host):\(port)/\(database)" }
}
