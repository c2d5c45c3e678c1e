import ConsentCore
import ConsentFormats
import Foundation

extension SQLConsentStore {
    /// Every member as known at `knownAt` (now when nil), read from one snapshot, so it is
    /// consistent while others write.
    public func decisionSnapshot(knownAt: Date?) async throws -> DecisionSnapshot {
        try await reduce(knownAt: knownAt, ids: nil, into: DecisionSnapshot()) { $0.append($1) }
    }

    /// The same for just `members` (unknown ids are left out, each id once).
    public func decisionSnapshot(knownAt: Date?, members ids: [MemberID]) async throws -> DecisionSnapshot {
        try await reduce(knownAt: knownAt, ids: Array(Set(ids.map(\.rawValue))), into: DecisionSnapshot()) { $0.append($1) }
    }

    public func reduceMembers<Result>(knownAt: Date?, into initial: Result, _ body: (inout Result, MemberInputs) throws -> Void) async throws -> Result {
        try await reduce(knownAt: knownAt, ids: nil, into: initial, body)
    }

    /// Reads the ledger (with the objections) first, then the member rows, on the database's
    /// thread, while each row is joined to the ledger and given to `body` on the caller's: the
    /// two share the work. Where the database shares one snapshot between two connections (a server),
    /// the members are read at the same time as the ledger instead, each side on a core, and
    /// joined once both are in.
    private func reduce<Result>(knownAt: Date?, ids: [String]?, into initial: Result,
                                _ body: (inout Result, MemberInputs) throws -> Void) async throws -> Result {
        let knownAtMicros = knownAt.map(Timestamp.microseconds)
        var result = initial
        if driver.remote {
            let (ledger, members) = try await driver.readTogether({ db in
                try LedgerPart(db, knownAt: knownAtMicros, ids: ids, objections: Self.objections(db, knownAt: knownAtMicros, members: ids))
            }, { db in
                var rows: [MemberScanRow] = []
                try db.scanMembers(ids: ids) { rows.append($0) }
                return (rows, try Self.earlierVersions(ids: ids, knownAt: knownAtMicros, db))
            })
            let join = MemberJoin(ledger: ledger, earlier: members.1, knownAt: knownAt)
            try join.forEach(in: members.0) { try body(&result, $0) }
            return result
        }
        // The rows cross threads as plain values: joined there, each member's inputs would
        // share the ledger's buffer, and the two threads would fight over its reference count.
        let handover = JoinHandover()
        var join: MemberJoin?
        try await streamRead(batchSize: 1, { db, emit in
            // Set before the first row is handed over, under the queue's lock.
            handover.join = MemberJoin(ledger: try LedgerPart(db, knownAt: knownAtMicros, ids: ids,
                                                              objections: Self.objections(db, knownAt: knownAtMicros, members: ids)),
                                       earlier: try Self.earlierVersions(ids: ids, knownAt: knownAtMicros, db), knownAt: knownAt)
            var rows: [MemberScanRow] = []
            rows.reserveCapacity(1024)
            try db.scanMembers(ids: ids) { row in
                rows.append(row)
                if rows.count == 1024 {
                    try emit(rows)
                    rows.removeAll(keepingCapacity: true)
                }
            }
            if !rows.isEmpty { try emit(rows) }
        }, consume: { rows in
            if join == nil { join = handover.join }
            try join?.forEach(in: rows) { try body(&result, $0) }
        })
        return result
    }

    /// Every version of the member's facts, in record order: the earlier ones, then the latest.
    public func memberVersions(of id: MemberID) async throws -> [MemberVersion] {
        try await driver.read { db in
            guard let row = try db.query("""
                SELECT member_key, birth_date, country, notified_at, facts_valid_from, facts_recorded_at FROM members WHERE id = \(id.rawValue)
                """).first else { return [] }
            let latest = MemberVersion(member: try StoredRecords.member(id: id.rawValue, birthDate: try row.optionalText(1), country: try row.text(2),
                                                                        notifiedAt: try row.optionalInt64(3)),
                                       validFrom: try row.optionalInt64(4).map(Timestamp.fromMicroseconds),
                                       recordedAt: Timestamp.fromMicroseconds(try row.int64(5)))
            return (try Self.earlierVersions(ids: [id.rawValue], knownAt: nil, db).first?.value ?? []) + [latest]
        }
    }

    /// The versions the members' latest facts replaced, recorded by `knownAt` (all when nil),
    /// by member key, in record order. Few members have any: the table holds only changes.
    static func earlierVersions(ids: [String]?, knownAt: Int64?, _ db: some SQLConnection) throws -> [Int64: [MemberVersion]] {
        var sql: SQL = """
            SELECT v.member_key, m.id, v.birth_date, v.country, v.notified_at, v.valid_from, v.recorded_at
            FROM member_versions v JOIN members m ON m.member_key = v.member_key WHERE 1 = 1
            """
        if let ids { sql = sql + " AND m.id IN \(texts: ids)" }
        if let knownAt { sql = sql + " AND v.recorded_at <= \(knownAt)" }
        var versions: [Int64: [MemberVersion]] = [:]
        for row in try db.query(sql + " ORDER BY v.member_key, v.sequence") {
            let member = try StoredRecords.member(id: try row.text(1), birthDate: try row.optionalText(2), country: try row.text(3),
                                                  notifiedAt: try row.optionalInt64(4))
            versions[try row.int64(0), default: []].append(MemberVersion(member: member, validFrom: try row.optionalInt64(5).map(Timestamp.fromMicroseconds),
                                                                          recordedAt: Timestamp.fromMicroseconds(try row.int64(6))))
        }
        return versions
    }
}

/// The ledger side of a snapshot: entries grouped by member in decision order, as one flat
/// array and a range per member key, and the members' objections by member key.
private struct LedgerPart: Sendable {
    var entries: [ConsentHistory.Entry] = []
    var ranges = KeyedRanges()
    var objections: [Int64: [Objection]] = [:]

    /// Reads the ledger; `objections` are the members' (read in the same transaction).
    init(_ db: some SQLConnection, knownAt: Int64?, ids: [String]?, objections memberObjections: [(memberKey: Int64?, objection: Objection)]) throws {
        var current: (key: Int64, start: Int)?
        var ranges: [(key: Int64, range: Range<Int>)] = []
        try db.scanLedger(knownAt: knownAt, ids: ids) { row in
            if current?.key != row.memberKey {
                if let current { ranges.append((current.key, current.start..<entries.count)) }
                current = (row.memberKey, entries.count)
            }
            entries.append(ConsentHistory.Entry(at: Timestamp.fromMicroseconds(row.at), choice: row.choice, channel: row.channel))
        }
        if let current { ranges.append((current.key, current.start..<entries.count)) }
        self.ranges = KeyedRanges(ranges)
        for case (let key?, let objection) in memberObjections {
            objections[key, default: []].append(objection)
        }
    }
}

/// Member key → a range of ledger entries, for keys in increasing order. Serial keys are dense:
/// they are looked up in an array indexed by key (a member at a time, a million times per
/// snapshot), and only sparse ones in a dictionary.
struct KeyedRanges: Sendable {
    /// Dense: `starts[k] ..< starts[k + 1]` are key k's entries (empty when it has none).
    private var starts: [Int] = []
    private var sparse: [Int64: Range<Int>] = [:]

    init() {}

    /// `ranges` in increasing key order, each key once, the ranges in order and not overlapping.
    init(_ ranges: [(key: Int64, range: Range<Int>)]) {
        guard let first = ranges.first, let last = ranges.last else { return }
        guard first.key >= 0, last.key <= Int64(ranges.count) * 16 + 65_536 else {
            sparse = Dictionary(uniqueKeysWithValues: ranges.map { ($0.key, $0.range) })
            return
        }
        starts = [Int](repeating: 0, count: Int(last.key) + 2)
        var key = 0
        for (at, range) in ranges {
            while key <= Int(at) { starts[key] = range.lowerBound; key += 1 }
            starts[key] = range.upperBound
        }
        // Every later key's range is empty, at the end.
        while key < starts.count { starts[key] = last.range.upperBound; key += 1 }
    }

    func range(of key: Int64) -> Range<Int> {
        if !starts.isEmpty {
            guard key >= 0, key < Int64(starts.count - 1) else { return 0..<0 }
            return starts[Int(key)]..<starts[Int(key) + 1]
        }
        return sparse[key] ?? 0..<0
    }
}

/// The join, from the database's thread, where it is read, to the caller's, where it is used.
private final class JoinHandover: @unchecked Sendable {
    var join: MemberJoin?
}

/// Joins member rows to the ledger: what decisions read of each member, as known at `knownAt`.
private struct MemberJoin: Sendable {
    let ledger: LedgerPart
    /// The versions the members' latest facts replaced, by member key (most members have none).
    let earlier: [Int64: [MemberVersion]]
    let knownAt: Date?

    /// Calls `body` with the inputs of each of `rows` who was a member as known at `knownAt`.
    /// (A loop here, where the types are known, not in the store's code generic over its driver.)
    func forEach(in rows: [MemberScanRow], _ body: (MemberInputs) throws -> Void) throws {
        for row in rows { if let inputs = try inputs(row) { try body(inputs) } }
    }

    /// The member's inputs, nil when they were not yet a member as known at `knownAt`.
    func inputs(_ row: MemberScanRow) throws -> MemberInputs? {
        let member = row.member
        let latest = MemberVersion(member: member, validFrom: row.validFrom.map(Timestamp.fromMicroseconds),
                                   recordedAt: Timestamp.fromMicroseconds(row.recordedAt))
        let known = knownAt.map { latest.recordedAt <= $0 } ?? true
        let entries = ledger.entries[ledger.ranges.range(of: row.key)]
        let objections = ledger.objections.isEmpty ? [] : ledger.objections[row.key] ?? []
        if let earlier = earlier.isEmpty ? nil : earlier[row.key] {
            // A member whose facts changed: every version known by then, the last one theirs now.
            let versions = known ? earlier + [latest] : earlier
            guard let last = versions.last else { return nil }
            return MemberInputs(latest: last.member, versions: versions.count > 1 || last.validFrom != nil ? versions : [],
                                entries: entries, objections: objections)
        }
        guard known else { return nil }   // not yet a member at `knownAt`
        return MemberInputs(latest: member, versions: latest.validFrom != nil ? [latest] : [], entries: entries, objections: objections)
    }
}
