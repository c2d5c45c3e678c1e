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
            let entryRows = try Row.fetchCursor(db, sql: """
                SELECT member_key, at, choice, channel FROM consent_events INDEXED BY consent_events_by_member
                WHERE at <= ? ORDER BY member_key, at, sequence
                """, arguments: [asOfMicros])
            var currentKey = -1
            var start = 0
            while let row = try entryRows.next() {
                let key: Int = row[0]
                if key != currentKey {
                    if currentKey >= 0 { rangeByKey[currentKey] = start..<keyedEntries.count }
                    currentKey = key
                    start = keyedEntries.count
                }
                let choice: String = row[2]
                let channel: String = row[3]
                keyedEntries.append(ConsentHistory.Entry(
                    at: Timestamp.fromMicroseconds(row[1]),
                    choice: choice == "on" ? .on : .off,
                    channel: Channel(rawValue: channel) ?? .import))
            }
            if currentKey >= 0 { rangeByKey[currentKey] = start..<keyedEntries.count }

            var snapshot = DecisionSnapshot()
            snapshot.reserveCapacity(members: memberCount, entries: keyedEntries.count)
            var indexByKey = [Int32](repeating: -1, count: maxKey + 1)
            let memberRows = try Row.fetchCursor(db, sql: "SELECT id, birth_date, country, notified_at, member_key FROM members ORDER BY id")
            while let row = try memberRows.next() {
                let key: Int = row[4]
                indexByKey[key] = Int32(snapshot.count)
                snapshot.append(try Self.member(row), entries: keyedEntries[rangeByKey[key]])
            }
            for (key, objection) in try Self.objections(db: db, asOf: asOfMicros) {
                let index = indexByKey[Int(key)]
                if index >= 0 { snapshot.attach(objection, toMemberAt: Int(index)) }
            }
            return snapshot
        }
    }
}
