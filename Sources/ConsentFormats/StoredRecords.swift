import ConsentCore
import Foundation

/// The rows and audit entries a change is stored as, and members and objection events read back
/// from their columns: the storage layer's encodings, independent of the database.
public enum StoredRecords {
    /// The audit entry of a recorded choice: what, how and when, for whom.
    public static func choiceAudit(_ event: ConsentEvent, recordedAt: String) -> AuditChain.Content {
        var details = JSONObjectWriter()
        details.stringField("at", Timestamp.format(event.at))
        details.stringField("channel", event.channel.rawValue)
        details.stringField("choice", event.choice.rawValue)
        return AuditChain.Content(recordedAt: recordedAt, actor: event.actor, action: .choiceRecorded,
                                  subject: event.member.rawValue, detailsJSON: details.finish())
    }

    /// The audit entry of an imported member: the digests of its facts and of its canonical record
    /// (never the data).
    public static func memberAudit(_ member: Member, dataJSON: String, validFrom: Date? = nil, sourceJSON: String, actor: String,
                                   recordedAt: String) -> AuditChain.Content {
        let digests = MemberRecords.digests(member, dataJSON: dataJSON)
        var details = JSONObjectWriter()
        details.stringField("facts_sha256", digests.facts)
        details.stringField("record_sha256", digests.record)
        details.field("source", sourceJSON)
        if let validFrom { details.stringField("valid_from", Timestamp.format(validFrom)) }
        return AuditChain.Content(recordedAt: recordedAt, actor: actor, action: .memberImported,
                                  subject: member.id.rawValue, detailsJSON: details.finish())
    }

    /// A member back from its stored columns (dates as `YYYY-MM-DD`, instants in microseconds).
    public static func member(id: String, birthDate: String?, country: String, notifiedAt: Int64?) throws -> Member {
        var (id, country) = (id, country)
        return try id.withUTF8 { id in
            try country.withUTF8 { country in
                guard var birthDate else {
                    return try member(id: UnsafeRawBufferPointer(id), birthDate: nil, country: UnsafeRawBufferPointer(country), notifiedAt: notifiedAt)
                }
                return try birthDate.withUTF8 {
                    try member(id: UnsafeRawBufferPointer(id), birthDate: UnsafeRawBufferPointer($0), country: UnsafeRawBufferPointer(country),
                               notifiedAt: notifiedAt)
                }
            }
        }
    }

    /// The same from the columns' UTF-8 bytes, as a driver holds them: no string but the id's
    /// (a snapshot reads a million rows).
    public static func member(id: UnsafeRawBufferPointer, birthDate: UnsafeRawBufferPointer?, country: UnsafeRawBufferPointer,
                              notifiedAt: Int64?) throws -> Member {
        guard let member = MemberID(utf8: id), let code = CountryCode(utf8: country) else {
            throw ConsentError.storeUnavailable("member row \(String(decoding: id, as: UTF8.self)) is not readable")
        }
        return Member(id: member, birthDate: birthDate.flatMap { CivilDate(utf8: $0.assumingMemoryBound(to: UInt8.self)) }, country: code,
                      notifiedAt: notifiedAt.map(Timestamp.fromMicroseconds))
    }

    /// One objection event as its row's columns and its audit entry.
    public struct ObjectionEventRow: Sendable {
        public var kind: String
        public var days: Int? = nil
        public var due: Int64? = nil
        public var outcome: String? = nil
        public var reason: String?
        public var action: AuditAction
        public var details: [String: String]
    }

    public static func objectionEventRow(_ event: ObjectionEvent, of objection: Objection) -> ObjectionEventRow {
        var details: [String: String] = ["at": Timestamp.format(event.at)]
        details["member"] = objection.member?.rawValue ?? "(not a member)"
        switch event {
        case .received(_, let due, let reason):
            details["due"] = Timestamp.format(due)
            return ObjectionEventRow(kind: "received", due: Timestamp.microseconds(due), reason: reason, action: .objectionFiled, details: details)
        case .extended(_, let days, let due, let reason):
            details["days"] = String(days)
            details["due"] = Timestamp.format(due)
            details["reason"] = reason
            return ObjectionEventRow(kind: "extended", days: days, due: Timestamp.microseconds(due), reason: reason,
                                     action: .objectionExtended, details: details)
        case .decided(_, let outcome, let reason):
            details["outcome"] = outcome.rawValue
            details["reason"] = reason
            return ObjectionEventRow(kind: "decided", outcome: outcome.rawValue, reason: reason, action: .objectionDecided, details: details)
        case .completed(_, let reason):
            details["reason"] = reason
            return ObjectionEventRow(kind: "completed", reason: reason, action: .objectionCompleted, details: details)
        }
    }

    /// An objection event back from its stored columns.
    public static func objectionEvent(kind: String, at: Int64, days: Int?, due: Int64?, outcome: String?,
                                      reason: String?) throws -> ObjectionEvent {
        let instant = Timestamp.fromMicroseconds(at)
        switch (kind, days, due, outcome.flatMap(ObjectionOutcome.init), reason) {
        case ("received", _, let due?, _, _):
            return .received(at: instant, due: Timestamp.fromMicroseconds(due), reason: reason)
        case ("extended", let days?, let due?, _, let reason?):
            return .extended(at: instant, days: days, due: Timestamp.fromMicroseconds(due), reason: reason)
        case ("decided", _, _, let outcome?, let reason?):
            return .decided(at: instant, outcome: outcome, reason: reason)
        case ("completed", _, _, _, let reason?):
            return .completed(at: instant, reason: reason)
        default:
            throw ConsentError.storeUnavailable("an objection event of kind \(kind) is not readable")
        }
    }
}
