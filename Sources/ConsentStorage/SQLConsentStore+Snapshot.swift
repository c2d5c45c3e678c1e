import ConsentCore
import ConsentFormats
import Foundation

extension SQLConsentStore {
    /// Every member with the ledger entries and objection events at or before `asOf`, read from
    /// one snapshot, so it is consistent while others write.
    public func decisionSnapshot(asOf: Date) async throws -> DecisionSnapshot {
        try await snapshot(asOf: asOf, ids: nil)
    }

    /// The same for just `members` (unknown ids are left out, each id once).
    public func decisionSnapshot(asOf: Date, members ids: [MemberID]) async throws -> DecisionSnapshot {
        try await snapshot(asOf: asOf, ids: Array(Set(ids.map(\.rawValue))))
    }

    /// The ledger (with the objections) and the members are read at once where the database can
    /// share one snapshot between two connections: each side gets a core.
    private func snapshot(asOf: Date, ids: [String]?) async throws -> DecisionSnapshot {
        let asOfMicros = Timestamp.microseconds(asOf)
        let (ledger, members) = try await driver.readTogether({ db in
            var part = LedgerPart()
            var current: (key: Int64, start: Int)?
            try db.scanLedger(asOf: asOfMicros, ids: ids) { row in
                if current?.key != row.memberKey {
                    if let current { part.ranges[current.key] = current.start..<part.entries.count }
                    current = (row.memberKey, part.entries.count)
                }
                part.entries.append(ConsentHistory.Entry(at: Timestamp.fromMicroseconds(row.at), choice: row.choice, channel: row.channel))
            }
            if let current { part.ranges[current.key] = current.start..<part.entries.count }
            part.objections = try Self.objections(db, asOf: asOfMicros)
            return part
        }, { db in
            var members: [(key: Int64, member: Member)] = []
            try db.scanMembers(ids: ids) { row in
                members.append((row.key, try StoredRecords.member(id: row.id, birthDate: row.birthDate, country: row.country,
                                                                  notifiedAt: row.notifiedAt)))
            }
            return members
        })
        var snapshot = DecisionSnapshot()
        snapshot.reserveCapacity(members: members.count, entries: ledger.entries.count)
        var indexByKey: [Int64: Int] = [:]
        indexByKey.reserveCapacity(members.count)
        for (key, member) in members {
            indexByKey[key] = snapshot.count
            snapshot.append(member, entries: ledger.ranges[key].map { ledger.entries[$0] } ?? ledger.entries[0..<0])
        }
        for case (let key?, let objection) in ledger.objections {
            if let index = indexByKey[key] { snapshot.attach(objection, toMemberAt: index) }
        }
        return snapshot
    }
}

/// The ledger side of a snapshot: entries grouped by member in decision order, as one flat
/// array and a range per member key, and the members' objections.
private struct LedgerPart: Sendable {
    var entries: [ConsentHistory.Entry] = []
    var ranges: [Int64: Range<Int>] = [:]
    var objections: [(memberKey: Int64?, objection: Objection)] = []
}
