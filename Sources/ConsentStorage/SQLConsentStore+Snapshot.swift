import ConsentCore
import ConsentFormats
import Foundation

extension SQLConsentStore {
    /// Every member as known at `knownAt` (now when nil), read from one snapshot, so it is
    /// consistent while others write.
    public func decisionSnapshot(knownAt: Date?) async throws -> DecisionSnapshot {
        try await snapshot(knownAt: knownAt, ids: nil)
    }

    /// The same for just `members` (unknown ids are left out, each id once).
    public func decisionSnapshot(knownAt: Date?, members ids: [MemberID]) async throws -> DecisionSnapshot {
        try await snapshot(knownAt: knownAt, ids: Array(Set(ids.map(\.rawValue))))
    }

    /// The ledger (with the objections) and the members are read at once where the database can
    /// share one snapshot between two connections: each side gets a core.
    private func snapshot(knownAt: Date?, ids: [String]?) async throws -> DecisionSnapshot {
        let knownAtMicros = knownAt.map(Timestamp.microseconds)
        let (ledger, members) = try await driver.readTogether({ db in
            var part = LedgerPart()
            var current: (key: Int64, start: Int)?
            try db.scanLedger(knownAt: knownAtMicros, ids: ids) { row in
                if current?.key != row.memberKey {
                    if let current { part.ranges[current.key] = current.start..<part.entries.count }
                    current = (row.memberKey, part.entries.count)
                }
                part.entries.append(ConsentHistory.Entry(at: Timestamp.fromMicroseconds(row.at), choice: row.choice, channel: row.channel))
            }
            if let current { part.ranges[current.key] = current.start..<part.entries.count }
            part.objections = try Self.objections(db, knownAt: knownAtMicros, members: ids)
            return part
        }, { db in
            var part = MembersPart()
            try db.scanMembers(ids: ids) { row in
                let member = try StoredRecords.member(id: row.id, birthDate: row.birthDate, country: row.country, notifiedAt: row.notifiedAt)
                part.members.append((row.key, MemberVersion(member: member, validFrom: row.validFrom.map(Timestamp.fromMicroseconds),
                                                            recordedAt: Timestamp.fromMicroseconds(row.recordedAt))))
            }
            part.earlier = try Self.earlierVersions(ids: ids, knownAt: knownAtMicros, db)
            return part
        })
        var snapshot = DecisionSnapshot()
        snapshot.reserveCapacity(members: members.members.count, entries: ledger.entries.count)
        // Objections are few: grouped by member key, so the loop below looks up nothing for most members.
        var objectionsByKey: [Int64: [Objection]] = [:]
        for case (let key?, let objection) in ledger.objections { objectionsByKey[key, default: []].append(objection) }
        for (key, latest) in members.members {
            let known = knownAt.map { latest.recordedAt <= $0 } ?? true
            let earlier = members.earlier.isEmpty ? nil : members.earlier[key]
            let entries = ledger.ranges[key].map { ledger.entries[$0] } ?? ledger.entries[0..<0]
            if let earlier {
                // A member whose facts changed: every version known by then, the last one theirs now.
                let versions = known ? earlier + [latest] : earlier
                guard let last = versions.last else { continue }
                snapshot.append(last.member, entries: entries)
                if versions.count > 1 || last.validFrom != nil { snapshot.attach(versions: versions, toMemberAt: snapshot.count - 1) }
            } else {
                guard known else { continue }   // not yet a member at `knownAt`
                snapshot.append(latest.member, entries: entries)
                if latest.validFrom != nil { snapshot.attach(versions: [latest], toMemberAt: snapshot.count - 1) }
            }
            if let objections = objectionsByKey.isEmpty ? nil : objectionsByKey[key] {
                for objection in objections { snapshot.attach(objection, toMemberAt: snapshot.count - 1) }
            }
        }
        return snapshot
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
/// array and a range per member key, and the members' objections.
private struct LedgerPart: Sendable {
    var entries: [ConsentHistory.Entry] = []
    var ranges: [Int64: Range<Int>] = [:]
    var objections: [(memberKey: Int64?, objection: Objection)] = []
}

/// The members side: each member's latest version in id order, and the earlier versions of
/// those that have any.
private struct MembersPart: Sendable {
    var members: [(key: Int64, latest: MemberVersion)] = []
    var earlier: [Int64: [MemberVersion]] = [:]
}
