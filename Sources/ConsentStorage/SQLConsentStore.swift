import ConsentCore
import ConsentFormats
import Foundation

/// The system of record on a SQL database: policy versions, members, the consent ledger,
/// objections, the outbox, lineage and the audit chain. Every operation is written once, here
/// and in the files `SQLConsentStore+*.swift`, over a ``SQLDriver``: `SQLiteConsentStore` and
/// `PostgresConsentStore` are this type on the SQLite and the PostgreSQL driver.
///
/// Writes that members make (choices, objection steps) go through ``GroupCommit``: concurrent
/// ones share one transaction and one fsync, and each is acknowledged only once that
/// transaction is durable. Other writes (imports, policies, lineage) are transactions of their
/// own. Every write appends its audit entries in its transaction.
public final class SQLConsentStore<Driver: SQLDriver>: Sendable {
    public let driver: Driver
    let now: @Sendable () -> Date
    let commits: GroupCommit<Driver>

    /// A store on `driver`, whose database must already be migrated (``migrate()``).
    public init(driver: Driver, now: @escaping @Sendable () -> Date = Date.init) {
        self.driver = driver
        self.now = now
        commits = GroupCommit(driver: driver, now: now)
    }

    /// Where the database is, for messages (never a password).
    public var location: String { driver.location }

    /// Applies every migration not yet applied, in order; returns their versions.
    @discardableResult
    public func migrate() async throws -> [Int] {
        let now = now
        return try await driver.write { try Schema.migrate($0, now: now()) }
    }

    /// Applies pending migrations on `connection` (a driver opening its database calls this).
    public static func migrate(_ connection: some SQLConnection, now: Date) throws -> [Int] {
        try Schema.migrate(connection, now: now)
    }

    /// The newest schema version this build knows.
    public static var schemaVersion: Int { Schema.latest }
}

// MARK: Policy

extension SQLConsentStore {
    public func applyPolicy(_ version: PolicyVersion, actor: String) async throws {
        let instant = now()
        try await driver.write { db in
            var trail = try AuditTrail.begin(db, at: instant)
            let name = version.policy.version
            if let existing = try db.query("SELECT sha256 FROM policy_versions WHERE version = \(name)").first {
                let sha = try existing.text(0)
                guard sha == version.sha256 else {
                    throw ConsentError.policyVersionConflict(version: name, existingSHA256: sha, newSHA256: version.sha256)
                }
            } else {
                try db.execute("""
                    INSERT INTO policy_versions (version, sha256, canonical_json, created_at)
                    VALUES (\(name), \(version.sha256), \(version.canonicalJSON), \(trail.recordedAt))
                    """)
            }
            try db.execute("INSERT INTO policy_activations (version, activated_at, actor) VALUES (\(name), \(trail.recordedAt), \(actor))")
            trail.append(actor: actor, action: .policyApplied, subject: name, details: ["sha256": version.sha256])
            try trail.finish(db)
        }
    }

    public func activePolicy() async throws -> PolicyVersion? {
        try await driver.read { db in
            try db.query("""
                SELECT v.canonical_json, v.sha256, a.activated_at FROM policy_activations a
                JOIN policy_versions v ON v.version = a.version ORDER BY a.id DESC LIMIT 1
                """).first.map(Self.policyVersion)
        }
    }

    public func policyVersion(_ version: String) async throws -> PolicyVersion? {
        try await driver.read { db in
            try db.query("""
                SELECT v.canonical_json, v.sha256,
                       (SELECT max(activated_at) FROM policy_activations a WHERE a.version = v.version)
                FROM policy_versions v WHERE v.version = \(version)
                """).first.map(Self.policyVersion)
        }
    }

    public func policyTimeline() async throws -> PolicyTimeline {
        try await driver.read { db in
            var parsed: [String: PolicyVersion] = [:]
            var activations: [PolicyTimeline.Activation] = []
            for row in try db.query("""
                SELECT v.canonical_json, v.sha256, a.activated_at, v.version FROM policy_activations a
                JOIN policy_versions v ON v.version = a.version ORDER BY a.id
                """) {
                let name = try row.text(3)
                var version = try parsed[name] ?? Self.policyVersion(row)
                parsed[name] = version
                version.activatedAt = Timestamp.fromMicroseconds(try row.int64(2))
                activations.append(PolicyTimeline.Activation(version: version, at: version.activatedAt))
            }
            return PolicyTimeline(activations)
        }
    }

    private static func policyVersion(_ row: SQLRow) throws -> PolicyVersion {
        var version = try PolicyFile.load(yaml: try row.text(0), source: "stored policy")
        guard version.sha256 == (try row.text(1)) else {
            throw ConsentError.storeUnavailable("stored policy \(version.policy.version) does not match its SHA-256")
        }
        version.activatedAt = Timestamp.fromMicroseconds(try row.optionalInt64(2) ?? 0)
        return version
    }
}
