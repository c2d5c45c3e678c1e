import ConsentCore
import ConsentFormats
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode, `synchronous=FULL`, so that every write
/// is on disk before the call that made it returns.
///
/// Several processes may write the same file: each write is one IMMEDIATE transaction, and
/// a writer waits (up to `busyTimeout`) for another to finish instead of failing.
public final class SQLiteConsentStore: ConsentStore {
    let pool: DatabasePool
    let now: @Sendable () -> Date
    public let path: String

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// - Parameter mustExist: refuse to create a new file (for commands that only read).
    public init(path: String, mustExist: Bool = false, busyTimeout: TimeInterval = 30,
                now: @escaping @Sendable () -> Date = Date.init) throws {
        if mustExist && !FileManager.default.fileExists(atPath: path) {
            throw ConsentError.storeUnavailable("no database at \(path); apply a policy (`consentry policy apply`) to create one, or pass --db")
        }
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
            try SQLiteSchema.migrator.migrate(pool)
        } catch {
            throw ConsentError.storeUnavailable("cannot open \(path): \(Self.message(error))")
        }
        self.path = path
        self.now = now
    }

    // MARK: Policy

    public func applyPolicy(_ version: PolicyVersion, actor: String) async throws {
        try write { db in
            let at = Timestamp.microseconds(self.now())
            if let existing = try String.fetchOne(db, sql: "SELECT sha256 FROM policy_versions WHERE version = ?",
                                                   arguments: [version.policy.version]) {
                guard existing == version.sha256 else {
                    throw ConsentError.policyVersionConflict(version: version.policy.version, existingSHA256: existing,
                                                             newSHA256: version.sha256)
                }
            } else {
                try db.execute(sql: "INSERT INTO policy_versions (version, sha256, canonical_json, created_at) VALUES (?, ?, ?, ?)",
                               arguments: [version.policy.version, version.sha256, version.canonicalJSON, at])
            }
            try db.execute(sql: "INSERT INTO policy_activations (version, activated_at, actor) VALUES (?, ?, ?)",
                           arguments: [version.policy.version, at, actor])
            var audit = try AuditAppender(db, now: self.now())
            try audit.append(actor: actor, action: .policyApplied, subject: version.policy.version,
                             details: ["sha256": version.sha256])
            try audit.finish()
        }
    }

    public func activePolicy() async throws -> PolicyVersion? {
        try read { db in
            try Row.fetchOne(db, sql: """
                SELECT v.canonical_json, v.sha256, a.activated_at FROM policy_activations a
                JOIN policy_versions v ON v.version = a.version ORDER BY a.id DESC LIMIT 1
                """).map(Self.policyVersion)
        }
    }

    public func policyVersion(_ version: String) async throws -> PolicyVersion? {
        try read { db in
            try Row.fetchOne(db, sql: """
                SELECT v.canonical_json, v.sha256,
                       (SELECT max(activated_at) FROM policy_activations a WHERE a.version = v.version)
                FROM policy_versions v WHERE v.version = ?
                """, arguments: [version]).map(Self.policyVersion)
        }
    }

    private static func policyVersion(_ row: Row) throws -> PolicyVersion {
        let canonical: String = row[0]
        var version = try PolicyFile.load(yaml: canonical, source: "stored policy")
        let sha: String = row[1]
        guard version.sha256 == sha else {
            throw ConsentError.storeUnavailable("stored policy \(version.policy.version) does not match its SHA-256")
        }
        version.activatedAt = Timestamp.fromMicroseconds(row[2])
        return version
    }

    // MARK: Members

    public func importMembers<Lines: Sequence>(_ lines: Lines, options: ImportOptions) async throws -> ImportReport
        where Lines.Element == ImportLine<MemberRecord> {
        try write { db in
            var report = ImportReport()
            var audit = try AuditAppender(db, now: self.now())
            let upsert = try FastInsert(db, sql: """
                INSERT INTO members (id, birth_date, country, notified_at, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET birth_date = excluded.birth_date, country = excluded.country,
                    notified_at = excluded.notified_at, data = excluded.data, updated_at = excluded.updated_at
                """)
            let at = Timestamp.microseconds(self.now())
            let sourceJSON = JSONWriter.string(options.source)
            let recordedAt = audit.recordedAtText
            // Parsing, canonical forms and digests run on a second core; this thread only writes.
            try ReadAhead.run(lines, prepare: { line in
                (line.line, line.record.map { record in
                    let data = MemberRecords.dataJSON(record.data)
                    return (record.member, data, StoredRecords.memberAudit(record.member, dataJSON: data, sourceJSON: sourceJSON,
                                                                            actor: options.actor, recordedAt: recordedAt))
                })
            }, consume: { prepared in
                report.read += 1
                if report.read % options.progressInterval == 0 { options.onProgress(report.read) }
                switch prepared.1 {
                case .failure(let error):
                    guard options.skipInvalid else { throw error }
                    report.skipped += 1
                    options.onSkip(error)
                case .success(let (member, data, content)):
                    try upsert.run(.text(member.id.rawValue), .optional(member.birthDate?.description),
                                   .text(member.country.description), .optional(member.notifiedAt.map(Timestamp.microseconds)),
                                   .text(data), .integer(at))
                    try audit.append(content)
                    report.imported += 1
                }
            })
            try audit.finish()
            return report
        }
    }

    public func member(_ id: MemberID) async throws -> MemberRecord? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, birth_date, country, notified_at, data FROM members WHERE id = ?",
                                             arguments: [id.rawValue])
            else { return nil }
            var record = MemberRecord(member: try Self.member(row))
            let data: String = row[4]
            record.data = MemberRecords.data(fromJSON: data)
            return record
        }
    }

    static func member(_ row: Row) throws -> Member {
        try StoredRecords.member(id: row[0], birthDate: row[1], country: row[2], notifiedAt: row[3])
    }

    // MARK: Ledger

    public func importChoices<Lines: Sequence>(_ lines: Lines, options: ImportOptions) async throws -> ImportReport
        where Lines.Element == ImportLine<ConsentEvent> {
        try write { db in
            var report = ImportReport()
            var ledger = try LedgerAppender(db, now: self.now())
            let recordedAt = ledger.recordedAtText
            try ReadAhead.run(lines, prepare: { line in
                (line.line, line.record.map { ($0, StoredRecords.choiceAudit($0, recordedAt: recordedAt)) })
            }, consume: { prepared in
                report.read += 1
                if report.read % options.progressInterval == 0 { options.onProgress(report.read) }
                do {
                    let (event, content) = try prepared.1.get()
                    do {
                        try ledger.append(event, audited: content)
                    } catch ConsentError.unknownMember(let id) {
                        throw ConsentError.invalidRecord(source: options.source, line: prepared.0, field: "member",
                                                         message: "\(JSONWriter.string(id.rawValue)) is not a known member; import members first")
                    }
                    report.imported += 1
                } catch let error as ConsentError {
                    // Only a bad line may be skipped; a store failure always aborts the import.
                    guard options.skipInvalid, case .invalidRecord = error else { throw error }
                    report.skipped += 1
                    options.onSkip(error)
                }
            })
            try ledger.finish()
            return report
        }
    }

    public func recordChoice(_ event: ConsentEvent, idempotencyKey: IdempotencyKey?) async throws -> (event: ConsentEvent, replayed: Bool) {
        try event.validate()
        return try write { db in
            if let key = idempotencyKey, let reference = try Self.idempotentReference(key, kind: "choice", db: db) {
                guard let sequence = Int64(reference), let row = try Row.fetchOne(db, sql: """
                    SELECT choice, channel, at, actor, recorded_at FROM consent_events WHERE sequence = ?
                    """, arguments: [sequence]), let choice = Choice(rawValue: row[0]), let channel = Channel(rawValue: row[1])
                else { throw ConsentError.storeUnavailable("idempotency key names ledger entry \(reference), which is not readable") }
                return (ConsentEvent(member: event.member, choice: choice, channel: channel, at: Timestamp.fromMicroseconds(row[2]),
                                     actor: row[3], sequence: sequence, recordedAt: Timestamp.fromMicroseconds(row[4])), true)
            }
            var ledger = try LedgerAppender(db, now: self.now())
            let stored = try ledger.append(event)
            try ledger.finish()
            if let key = idempotencyKey {
                try Self.rememberIdempotency(key, kind: "choice", reference: String(stored.sequence ?? 0), at: self.now(), db: db)
            }
            return (stored, false)
        }
    }

    static func idempotentReference(_ key: IdempotencyKey, kind: String, db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT reference FROM idempotency_keys WHERE key = ? AND kind = ?", arguments: [key.digest, kind])
    }

    static func rememberIdempotency(_ key: IdempotencyKey, kind: String, reference: String, at: Date, db: Database) throws {
        try db.execute(sql: "INSERT INTO idempotency_keys (key, kind, reference, created_at) VALUES (?, ?, ?, ?)",
                       arguments: [key.digest, kind, reference, Timestamp.microseconds(at)])
    }

    public func history(of member: MemberID) async throws -> [ConsentEvent] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.sequence, e.choice, e.channel, e.at, e.actor, e.recorded_at FROM consent_events e
                JOIN members m ON m.member_key = e.member_key WHERE m.id = ? ORDER BY e.sequence
                """, arguments: [member.rawValue]).map { row in
                guard let choice = Choice(rawValue: row[1]), let channel = Channel(rawValue: row[2]) else {
                    throw ConsentError.storeUnavailable("ledger entry \(row[0] as Int64) is not readable")
                }
                return ConsentEvent(member: member, choice: choice, channel: channel, at: Timestamp.fromMicroseconds(row[3]),
                                    actor: row[4], sequence: row[0], recordedAt: Timestamp.fromMicroseconds(row[5]))
            }
        }
    }

    // MARK: Plumbing

    /// Runs `body` in one IMMEDIATE transaction (committed with synchronous=FULL), translating
    /// driver errors at this edge.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try translatingErrors { try pool.write(body) }
    }

    /// Runs `body` in a read transaction: a consistent snapshot while others write.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try translatingErrors { try pool.read(body) }
    }

    private func translatingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
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

extension SQLiteConsentStore {
    /// The value of an integer `PRAGMA` on the writer connection (for checks and diagnostics).
    public func writerPragma(_ name: String) throws -> Int? {
        guard name.allSatisfy({ $0.isLetter || $0 == "_" }) else { return nil }
        return try pool.write { try Int.fetchOne($0, sql: "PRAGMA \(name)") }
    }
}
