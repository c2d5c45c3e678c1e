import ConsentCore
import ConsentFormats
import Foundation
import GRDB

extension SQLiteConsentStore {
    /// Loads every member, ledger entry and objection event at or before `asOf` in one read
    /// transaction, so the snapshot is consistent even while others write.
    public func decisionSnapshot(asOf: Date) async throws -> DecisionSnapshot {
        try read { db in
            let asOfMicros = Timestamp.microseconds(asOf)
            let memberCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM members") ?? 0
            let maxKey = try Int.fetchOne(db, sql: "SELECT coalesce(max(member_key), 0) FROM members") ?? 0

            // Ledger entries grouped by member key (the covering index's order).
            var keyedEntries: [ConsentHistory.Entry] = []
            var rangeByKey = [Range<Int>](repeating: 0..<0, count: maxKey + 1)
            let entryRows = try RawRows(db, sql: """
                SELECT member_key, at, choice, channel FROM consent_events INDEXED BY consent_events_by_member
                WHERE at <= ? ORDER BY member_key, at, sequence
                """, arguments: [asOfMicros])
            defer { entryRows.reset() }
            var currentKey = -1
            var start = 0
            while try entryRows.next() {
                let key = Int(entryRows.int64(0))
                if key != currentKey {
                    if currentKey >= 0 { rangeByKey[currentKey] = start..<keyedEntries.count }
                    currentKey = key
                    start = keyedEntries.count
                }
                let choice = entryRows.bytes(2)
                keyedEntries.append(ConsentHistory.Entry(
                    at: Timestamp.fromMicroseconds(entryRows.int64(1)),
                    choice: choice.count == 2 ? .on : .off,
                    channel: Self.channel(entryRows.bytes(3))))
            }
            if currentKey >= 0 { rangeByKey[currentKey] = start..<keyedEntries.count }

            var snapshot = DecisionSnapshot()
            snapshot.reserveCapacity(members: memberCount, entries: keyedEntries.count)
            var indexByKey = [Int32](repeating: -1, count: maxKey + 1)
            let memberRows = try RawRows(db, sql: """
                SELECT id, member_key, birth_date, country, notified_at FROM members INDEXED BY members_for_decisions ORDER BY id
                """)
            defer { memberRows.reset() }
            while try memberRows.next() {
                let key = Int(memberRows.int64(1))
                let idText = memberRows.string(0)
                guard let id = MemberID(idText), let country = CountryCode(memberRows.string(3)) else {
                    throw ConsentError.storeUnavailable("member row \(idText) is not readable")
                }
                let birthDate = memberRows.isNull(2) ? nil : CivilDate(utf8: memberRows.bytes(2))
                let notifiedAt = memberRows.isNull(4) ? nil : Timestamp.fromMicroseconds(memberRows.int64(4))
                indexByKey[key] = Int32(snapshot.count)
                snapshot.append(Member(id: id, birthDate: birthDate, country: country, notifiedAt: notifiedAt),
                                entries: keyedEntries[rangeByKey[key]])
            }
            for case (let key?, let objection) in try Self.objections(db: db, asOf: asOfMicros) {
                let index = indexByKey[Int(key)]
                if index >= 0 { snapshot.attach(objection, toMemberAt: Int(index)) }
            }
            return snapshot
        }
    }

    public func decisionSnapshot(asOf: Date, members ids: [MemberID]) async throws -> DecisionSnapshot {
        try read { db in
            let asOfMicros = Timestamp.microseconds(asOf)
            let memberStatement = try db.cachedStatement(sql: "SELECT id, birth_date, country, notified_at, member_key FROM members WHERE id = ?")
            let entryStatement = try db.cachedStatement(sql: """
                SELECT at, choice, channel FROM consent_events INDEXED BY consent_events_by_member
                WHERE member_key = ? AND at <= ? ORDER BY at, sequence
                """)
            var snapshot = DecisionSnapshot()
            var indexByKey: [Int64: Int] = [:]
            for id in Set(ids).sorted() {
                guard let row = try Row.fetchOne(memberStatement, arguments: [id.rawValue]) else { continue }
                let key: Int64 = row[4]
                let entries = try Row.fetchAll(entryStatement, arguments: [key, asOfMicros]).map { entry in
                    let choice: String = entry[1]
                    let channel: String = entry[2]
                    return ConsentHistory.Entry(at: Timestamp.fromMicroseconds(entry[0]), choice: choice == "on" ? .on : .off,
                                                channel: Channel(rawValue: channel) ?? .import)
                }
                indexByKey[key] = snapshot.count
                snapshot.append(try Self.member(row), entries: entries)
            }
            for case (let key?, let objection) in try Self.objections(db: db, asOf: asOfMicros) {
                if let index = indexByKey[key] { snapshot.attach(objection, toMemberAt: index) }
            }
            return snapshot
        }
    }

    private static func channel(_ bytes: UnsafeBufferPointer<UInt8>) -> Channel {
        switch (bytes.count, bytes.first) {
        case (3, UInt8(ascii: "w")): .web
        case (3, UInt8(ascii: "i")): .ios
        case (7, _): .android
        case (3, UInt8(ascii: "a")): .api
        case (3, UInt8(ascii: "g")): .gpc
        default: .import
        }
    }
}
