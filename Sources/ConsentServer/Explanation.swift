import ConsentCore
import Foundation

/// Turns a decision into the plain words a member reads: the state, and why.
public enum Explanation {
    /// One sentence, e.g. "On — used by default in your region (Europe) since 3 November 2025".
    /// When the member's switch is on but their data is not used, it says so first ("Your
    /// setting is on, but your data is not used yet — …"), so the switch and the words agree.
    public static func sentence(for decision: Decision, policy: Policy, latest: ConsentHistory.Entry?) -> String {
        let region = decision.regionIndex.map { policy.regions[$0] }
        let plain = reasonSentence(for: decision, policy: policy, latest: latest, region: region)
        guard !decision.eligible, memberSetting(latest: latest, region: region), decision.reason.memberCanChange,
              let dash = plain.range(of: " — ") else { return plain }
        let why = plain[dash.upperBound...]
        let pending: Set<Reason> = [.noticePending, .notYetEffective]
        return (pending.contains(decision.reason) ? "Your setting is on, but your data is not used yet — " : "Your setting is on, but your data is not used — ")
            + why
    }

    private static func reasonSentence(for decision: Decision, policy: Policy, latest: ConsentHistory.Entry?, region: Region?) -> String {
        switch decision.reason {
        case .includedByDefault:
            let since = region.map { " since \(longDate($0.effective))" } ?? ""
            return "On — used by default in your region (\(regionName(region)))\(since)"
        case .optedIn:
            return "On — you turned this on" + when(latest)
        case .optedOut:
            return "Off — you turned this off" + when(latest)
        case .globalPrivacyControl:
            return "Off — your browser sends Global Privacy Control, which we honour" + (latest.map { " (applied on \(longDate($0.at)))" } ?? "")
        case .awaitingConsent:
            return "Off until you choose — in your region your data is used only if you turn this on"
        case .minor:
            return "Off — members under \(policy.minimumAge) are never included"
        case .ageUnknown:
            return "Off — we don't know your age, and members whose age we don't know are never included"
        case .regionNotInScope:
            return "Off — data of members in your country is not used for generative AI training"
        case .notYetEffective:
            let start = region.map { " on \(longDate($0.effective))" } ?? ""
            return "Off — this starts in your region (\(regionName(region)))\(start)"
        case .noticePending:
            return "Off — we must tell you at least \(policy.noticeDays) days before your data is used"
        case .objectionUpheld:
            return "Off — your objection was upheld, so your data is never used"
        case .objectionPending:
            return "Off — your objection is being reviewed; your data is not used meanwhile"
        case .memberUnknown:
            return "Off — we don't know this account"
        }
    }

    /// "Europe", "Canada Hong Kong": the region id in words.
    public static func regionName(_ region: Region?) -> String {
        guard let region else { return "not in scope" }
        return region.id.split(whereSeparator: { $0 == "-" || $0 == "_" })
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
    }

    /// "3 November 2025" (UTC).
    public static func longDate(_ instant: Date) -> String {
        let date = CivilDate(instant)
        return "\(date.day) \(monthNames[date.month - 1]) \(date.year)"
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]

    private static func when(_ event: ConsentHistory.Entry?) -> String {
        guard let event else { return "" }
        return " on \(longDate(event.at)) (\(channelName(event.channel)))"
    }

    static func channelName(_ channel: Channel) -> String {
        switch channel {
        case .web: "web"
        case .ios: "iOS app"
        case .android: "Android app"
        case .api: "API"
        case .gpc: "Global Privacy Control"
        case .import: "imported"
        }
    }
}
