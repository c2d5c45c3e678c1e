import ConsentCore
import ConsentStorage
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// The shared store: ``SQLConsentStore`` on PostgreSQL, for any number of Consentry instances.
public typealias PostgresConsentStore = SQLConsentStore<PostgresDriver>

extension SQLConsentStore where Driver == PostgresDriver {
    /// Connects to `url` (`postgres://user:password@host:port/database`), checks the server
    /// answers within `connectTimeout`, and applies pending migrations unless `migrate` is false.
    public convenience init(url: String, connectTimeout: Duration = .seconds(5), leaseTimeout: Duration = .seconds(2),
                            migrate: Bool = true, now: @escaping @Sendable () -> Date = Date.init,
                            logger: Logger = Logger(label: "consentry.postgres")) async throws {
        let driver = try await PostgresDriver(url: url, connectTimeout: connectTimeout, leaseTimeout: leaseTimeout, logger: logger)
        self.init(driver: driver, now: now)
        if migrate {
            do {
                try await self.migrate()
            } catch {
                driver.close()
                throw error
            }
        }
    }

    /// Stops the connection pool; the store cannot be used afterwards.
    public func close() { driver.close() }

    /// Where `url` points, for messages: `PostgreSQL at host:port/database`, never the password.
    public static func describe(url: String) -> String {
        (try? PostgresURL(url)).map { "PostgreSQL at \($0)" } ?? "PostgreSQL"
    }

    /// What is weak about reaching `url` (plain text, or a certificate not checked, to another
    /// machine), for a warning; nil when nothing is or the URL is not readable.
    public static func transportWarning(url: String) -> String? {
        (try? PostgresURL(url))?.transportWarning
    }
}

/// PostgreSQL through PostgresNIO: a pool of up to 16 connections, transactions run on a pool
/// of threads of their own (a transaction is synchronous; it must not hold one of Swift's few
/// concurrency threads while it waits on the network).
///
/// Every write transaction of the storage layer first reads the audit head `FOR UPDATE`, so
/// writers from all instances extend one chain, in order; it is committed, with PostgreSQL's
/// default synchronous commit, before the call returns. Reads run in REPEATABLE READ, READ
/// ONLY transactions: one snapshot. When no connection can be had within ``leaseTimeout`` (the
/// server is down or unreachable) an operation fails with ``ConsentError/storeUnavailable(_:)``
/// at once, never after a minute of silent retries. Once leased, an operation runs as long as
/// it needs (a million-member snapshot takes seconds).
public final class PostgresDriver: SQLDriver {
    let client: PostgresClient
    let logger: Logger
    public let location: String
    /// The longest an operation waits for a connection.
    public let leaseTimeout: Duration
    private let runner: Task<Void, Never>
    private let threads: NIOThreadPool
    static let maximumConnections = 16

    public init(url: String, connectTimeout: Duration = .seconds(5), leaseTimeout: Duration = .seconds(2),
                logger: Logger = Logger(label: "consentry.postgres")) async throws {
        let parsed = try PostgresURL(url)
        var configuration = PostgresClient.Configuration(host: parsed.host, port: parsed.port, username: parsed.user,
                                                         password: parsed.password, database: parsed.database,
                                                         tls: try parsed.tls())
        configuration.options.connectTimeout = connectTimeout
        configuration.options.maximumConnections = Self.maximumConnections
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let client = client
        runner = Task { await client.run() }
        threads = NIOThreadPool(numberOfThreads: Self.maximumConnections + 1)
        threads.start()
        location = parsed.description
        self.logger = logger
        self.leaseTimeout = leaseTimeout
        do {
            _ = try await withTimeout(connectTimeout, "connecting") {
                try await client.query("SELECT 1", logger: logger)
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Stops the connection pool and the threads; the driver cannot be used afterwards.
    public func close() {
        runner.cancel()
        threads.shutdownGracefully { _ in }
    }

    public var remote: Bool { true }

    public func write<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await transaction("BEGIN", body)
    }

    /// The commit of a read is sent, not waited for: it cannot change what was read, and the
    /// connection runs it before whatever its next lease sends. One round trip fewer per read.
    public func read<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", waitingForCommit: false, body)
    }

    /// Two connections in one REPEATABLE READ snapshot (exported by the first, adopted by the
    /// second), each on its own thread: one consistent read, two cores.
    public func readTogether<A: Sendable, B: Sendable>(_ first: @escaping @Sendable (PostgresSession) throws -> A,
                                                       _ second: @escaping @Sendable (PostgresSession) throws -> B) async throws -> (A, B) {
        try await transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", { one -> String in
            guard let id = try one.query("SELECT pg_export_snapshot()").first?.text(0),
                  !id.isEmpty, id.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                throw ConsentError.storeUnavailable("PostgreSQL exported an unexpected snapshot id")
            }
            return id
        }, then: { one, snapshot in
            let threads = self.threads
            async let b = self.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", { two in
                try two.run("SET TRANSACTION SNAPSHOT '\(snapshot)'")
                return try second(two)
            })
            let a = try await threads.runIfActive { try first(one) }
            return (a, try await b)
        })
    }

    /// Runs `statement` alone, outside any transaction (`CREATE DATABASE` must).
    func runAlone(_ statement: String) async throws {
        _ = try await translatingErrors {
            try await self.leased { connection in
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
            }
        }
    }

    /// Leases a connection and runs `begin`, `body` and the commit on one thread of the pool:
    /// one hop there and back however many statements the body sends.
    private func transaction<T: Sendable>(_ begin: String, waitingForCommit: Bool = true,
                                          _ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        let (logger, threads, location) = (logger, threads, location)
        return try await translatingErrors {
            try await self.leased { connection in
                let session = PostgresSession(connection: connection, logger: logger, location: location)
                let outcome: Result<T, any Error> = try await threads.runIfActive {
                    // Sent with the body's first statement: its answer is waited for with that one.
                    try session.send(SQL(stringLiteral: begin))
                    do {
                        let value = try body(session)
                        if waitingForCommit {
                            try session.run("COMMIT")
                        } else {
                            try session.flush()
                            try session.send("COMMIT")
                        }
                        return .success(value)
                    } catch {
                        return .failure(error)
                    }
                }
                return try await Self.settle(outcome, session, connection, threads)
            }
        }
    }

    /// A failed transaction is rolled back before the connection goes back to the pool: the
    /// next lease would otherwise commit what this one left. A connection that cannot even roll
    /// back is closed.
    private static func settle<T>(_ outcome: Result<T, any Error>, _ session: PostgresSession, _ connection: PostgresConnection,
                                  _ threads: NIOThreadPool) async throws -> T {
        guard case .failure(let error) = outcome else { return try outcome.get() }
        do {
            try await threads.runIfActive { try session.run("ROLLBACK") }
        } catch {
            try? await connection.close()
        }
        throw error
    }

    /// Leases a connection, opens a transaction with `begin`, runs `body` on a thread of the
    /// pool, then `then` (which may run more on the same open transaction, elsewhere), and
    /// commits; anything thrown rolls back.
    private func transaction<S: Sendable, T: Sendable>(_ begin: String, _ body: @escaping @Sendable (PostgresSession) throws -> S,
                                                       then: @escaping @Sendable (PostgresSession, S) async throws -> T) async throws -> T {
        let (logger, threads, location) = (logger, threads, location)
        return try await translatingErrors {
            try await self.leased { connection in
                let session = PostgresSession(connection: connection, logger: logger, location: location)
                let outcome: Result<T, any Error>
                do {
                    let started = try await threads.runIfActive {
                        try session.run(begin)
                        return try body(session)
                    }
                    let value = try await then(session, started)
                    try await threads.runIfActive { try session.run("COMMIT") }
                    outcome = .success(value)
                } catch {
                    outcome = .failure(error)
                }
                return try await Self.settle(outcome, session, connection, threads)
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

    private func translatingErrors<T: Sendable>(_ body: @Sendable @escaping () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ConsentError {
            throw error
        } catch let error as PSQLError {
            throw ConsentError.storeUnavailable(PostgresSession.message(error, location: location))
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
}

/// Set once an operation holds a connection.
private final class LeaseFlag: Sendable {
    let value = Mutex(false)
}

/// `postgres://user:password@host:port/database[?sslmode=verify-full&sslrootcert=ca.pem]`, read
/// once; the password is never printed (``description`` leaves it out). Without a password in
/// the URL, `PGPASSWORD` is used, as libpq does, so the password need not be on a command line.
///
/// `sslmode` takes libpq's values, and nothing else (a typo is an error, never plain text):
/// `disable` (the default: plain text), `prefer` (TLS if the server offers it, unverified),
/// `require` (TLS; the server's certificate is checked against `sslrootcert` when given, as
/// libpq does, else not at all), `verify-ca` (TLS, a certificate from a trusted authority:
/// `sslrootcert`, else the system's) and `verify-full` (that, and it names the host).
struct PostgresURL: CustomStringConvertible {
    enum TLSMode: String, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    var user: String
    var password: String?
    var host: String
    var port: Int
    var database: String
    var tlsMode: TLSMode
    /// `sslrootcert`: a PEM file of the authorities trusted for the server's certificate.
    var rootCertificate: String?
    /// The query as given (kept when the URL names another database).
    private var query: String?

    init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
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
        password = components.password.map { $0.removingPercentEncoding ?? $0 } ?? environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        self.database = database.removingPercentEncoding ?? database
        query = components.percentEncodedQuery
        let items = components.queryItems ?? []
        if let mode = items.last(where: { $0.name == "sslmode" })?.value {
            guard let known = TLSMode(rawValue: mode) else {
                throw ConsentError.invalidField(field: "database URL", message: """
                    sslmode=\(mode) is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))
                    """)
            }
            tlsMode = known
        } else {
            tlsMode = .disable
        }
        rootCertificate = items.last(where: { $0.name == "sslrootcert" })?.value
        if let rootCertificate, !FileManager.default.isReadableFile(atPath: rootCertificate) {
            throw ConsentError.invalidField(field: "database URL", message: "sslrootcert=\(rootCertificate) is not a readable file")
        }
    }

    /// PostgresNIO's TLS setting for ``tlsMode``.
    func tls() throws -> PostgresClient.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate { configuration.trustRoots = .file(rootCertificate) }
        switch tlsMode {
        case .disable:
            return .disable
        case .prefer, .require:
            configuration.certificateVerification = rootCertificate == nil ? .none : .noHostnameVerification
            return tlsMode == .prefer ? .prefer(configuration) : .require(configuration)
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
            return .require(configuration)
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
            return .require(configuration)
        }
    }

    /// Whether the host is this machine (where plain text crosses no network).
    var isLoopback: Bool { ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased()) || host.hasPrefix("/") }

    /// What is weak about this connection off this machine, for a warning; nil when nothing is.
    var transportWarning: String? {
        guard !isLoopback else { return nil }
        switch tlsMode {
        case .disable, .prefer:
            return "the connection to PostgreSQL at \(description) may not be encrypted (sslmode=\(tlsMode.rawValue)); use sslmode=verify-full"
        case .require where rootCertificate == nil:
            return "the connection to PostgreSQL at \(description) is encrypted but the server's certificate is not checked (sslmode=require); use sslmode=verify-full"
        default:
            return nil
        }
    }

    var description: String { "\(host):\(port)/\(database)" }

    /// The same URL naming another database (credentials and TLS settings kept, as given).
    func replacingDatabase(with name: String) -> String {
        "postgres://" + (password.map { "\(user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user):\($0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? $0)@" }
            ?? "\(user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user)@") + "\(host):\(port)/\(name)"
            + (query.map { "?" + $0 } ?? "")
    }
}
