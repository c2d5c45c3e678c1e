import Foundation

/// The purge state machine of a dataset: version 1 is what was written; a purge records its
/// new version as `pending` before its files replace the current ones, then settles it, once,
/// as `committed` (the files are in place) or `abandoned` (they never replaced the previous
/// version). Version numbers are never reused, so an abandoned number stays taken.
extension Dataset {
    /// Refuses to begin a purge as `version` while another is unsettled, or with any number but
    /// the next one.
    public func checkPurgeCanBegin(version: Int) throws {
        if let pending {
            throw ConsentError.lineageConflict("dataset \(id) has an unfinished purge (version \(pending.version)); run `consentry datasets purge` again to settle it first")
        }
        let next = (versions.last?.version ?? 0) + 1
        guard version == next else {
            throw ConsentError.lineageConflict("dataset \(id): the next version is \(next), not \(version)")
        }
    }

    /// The pending version a purge settles; refuses any other number.
    public func pendingVersion(toSettle version: Int) throws -> DatasetVersion {
        guard let pending, pending.version == version else {
            throw ConsentError.lineageConflict("dataset \(id) has no pending version \(version)")
        }
        return pending
    }
}

extension Objection {
    /// This objection completed, when it is upheld and no registered dataset holds its member's
    /// data any more: the reason names the datasets the data was removed from. Nil while a
    /// dataset still holds the member, or when the objection is not upheld.
    /// - Parameters:
    ///   - heldBy: how many datasets' current versions hold the member.
    ///   - removedFrom: the datasets the member was purged from, in id order.
    public func completedOnceRemoved(heldBy: Int, removedFrom: [DatasetID], at instant: Date) throws -> Objection? {
        guard status == .upheld, heldBy == 0 else { return nil }
        let reason = removedFrom.isEmpty
            ? "No registered dataset holds this member's data."
            : "This member's data was removed from every dataset that held it: \(removedFrom.map(\.rawValue).joined(separator: ", "))."
        return try completing(reason: reason, at: max(instant, timeline[timeline.count - 1].at))
    }
}

extension Objection {
    /// This objection of someone who is not a member, completed when it is upheld and every
    /// registered dataset's current version was matched against what identifies them (at its
    /// filtering or by a purge), so no record naming them is left. Nil while a dataset was not,
    /// or when the objection is not upheld or is a member's.
    /// - Parameters:
    ///   - unmatched: how many datasets' current versions were not matched against it yet.
    ///   - matched: the datasets that were, in id order.
    public func completedOnceMatched(unmatched: Int, matched: [DatasetID], at instant: Date) throws -> Objection? {
        guard status == .upheld, member == nil, unmatched == 0 else { return nil }
        let reason = matched.isEmpty
            ? "No registered dataset holds records naming them."
            : "Every registered dataset was searched for what identifies them, and the records naming them removed: \(matched.map(\.rawValue).joined(separator: ", "))."
        return try completing(reason: reason, at: max(instant, timeline[timeline.count - 1].at))
    }
}
