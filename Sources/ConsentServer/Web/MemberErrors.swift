import ConsentCore
import Foundation

/// What a member is told, in their language, when the pages cannot do what they asked: a wrong
/// or malformed code, an address or a reason the form refuses, a limit reached. The API answers
/// the same errors as problem+json whose `detail` is English; these sentences are for people.
enum MemberErrors {
    /// What was limited when a limit is reached: the key of its sentence.
    enum Limit: String {
        case objections = "error.limit.objections"
        case choices = "error.limit.choices"
    }

    /// The sentence for `error` on a member's page, or nil for an error no member page expects
    /// (the caller lets it through, to become a problem page). A reached limit is told as
    /// `limit`'s sentence, with the time to come back.
    static func sentence(for error: ConsentError, catalog: Catalog, now: Date, limit: Limit = .objections) -> String? {
        switch error {
        case .invalidField(field: "email", _):
            catalog.text("error.email")
        case .invalidField(field: "reason", _):
            catalog.text("error.reason", ["max": catalog.number(ObjectionText.maxReasonBytes)])
        case .invalidField(field: "code", _):
            catalog.text("error.code")
        case .verificationFailed(_, let left):
            left == 0 ? catalog.text("error.wrong_code_last") : catalog.text(left == 1 ? "error.wrong_code_one" : "error.wrong_code", ["count": String(left)])
        case .verificationClosed:
            catalog.text("error.no_code_waiting")
        case .rateLimited(_, let wait):
            // Rounded up to the minute the time is written in.
            catalog.text(limit.rawValue, ["time": catalog.dateTime(now.addingTimeInterval(TimeInterval(wait) + 59))])
        default:
            nil
        }
    }
}
