import ConsentCore
import Foundation

/// Turns a decision into the plain words a member reads: the state, and why.
public enum Explanation {
    /// One sentence, e.g. "On — used by default in your region (Europe) since 3 November 2025".
    /// When the member's switch is on but their data is not used, it says so first ("Your
    /// setting is on, but your data is not used yet — …"), so the switch and the words agree.
    public static func sentence(for decision: Decision, policy: Policy, latest: ConsentHistory.Entry?,
                                in catalog: Catalog = .english) -> String {
        let region = decision.regionIndex.map { policy.regions[$0] }
        let why = reasonSentence(for: decision, policy: policy, latest: latest, region: region, catalog: catalog)
        guard !decision.eligible, memberSetting(latest: latest, region: region), decision.reason.memberCanChange,
              let dash = why.range(of: " — ") else { return why }
        let pending: Set<Reason> = [.noticePending, .notYetEffective]
        return catalog.text(pending.contains(decision.reason) ? "explanation.setting_on_not_used_yet" : "explanation.setting_on_not_used",
                            ["why": String(why[dash.upperBound...])])
    }

    /// The catalog's `explanation.REASON` sentence, with its parts filled in.
    private static func reasonSentence(for decision: Decision, policy: Policy, latest: ConsentHistory.Entry?, region: Region?,
                                       catalog: Catalog) -> String {
        let when = latest.map { catalog.text("explanation.when", ["date": catalog.longDate($0.at), "channel": catalog.channel($0.channel)]) } ?? ""
        let key = "explanation." + decision.reason.rawValue
        return switch decision.reason {
        case .includedByDefault:
            catalog.text(key, ["region": regionName(region, in: catalog),
                               "since": region.map { catalog.text("explanation.since", ["date": catalog.longDate($0.effective)]) } ?? ""])
        case .optedIn, .optedOut:
            catalog.text(key, ["when": when])
        case .globalPrivacyControl:
            catalog.text(key, ["applied": latest.map { catalog.text("explanation.gpc_applied", ["date": catalog.longDate($0.at)]) } ?? ""])
        case .minor:
            catalog.text(key, ["age": String(policy.minimumAge)])
        case .notYetEffective:
            catalog.text(key, ["region": regionName(region, in: catalog),
                               "start": region.map { catalog.text("explanation.starts_on", ["date": catalog.longDate($0.effective)]) } ?? ""])
        case .noticePending:
            catalog.text(key, ["days": String(policy.noticeDays)])
        case .awaitingConsent, .ageUnknown, .regionNotInScope, .objectionUpheld, .objectionPending, .memberUnknown:
            catalog.text(key)
        }
    }

    /// The region's name in the catalog's language, as the policy file gives it (`names:`),
    /// else its id in words ("Canada Hong Kong").
    public static func regionName(_ region: Region?, in catalog: Catalog = .english) -> String {
        guard let region else { return catalog.text("region.not_in_scope") }
        return region.name(in: catalog.code)
    }
}
