import ArgumentParser
import ConsentCore
import ConsentFormats
import ConsentSQLite
import Foundation

struct AsOfOption: ParsableArguments {
    @Option(help: "Decide as of this instant (default: now). Only choices and objection events at or before it count.")
    var asOf: Instant?

    var instant: Date { asOf?.date ?? Date() }
}

/// Every member's inputs at one instant, with the policy to decide them by.
struct EveryoneAtInstant {
    let version: PolicyVersion
    let snapshot: DecisionSnapshot
    let instant: Date

    /// Opens the existing store and loads the active policy and every member as of `time`.
    static func load(_ store: StoreOptions, _ time: AsOfOption) async throws -> EveryoneAtInstant {
        try await load(store: store.openExisting(), instant: time.instant)
    }

    /// The same from an open store.
    static func load(store: any ConsentStore, instant: Date) async throws -> EveryoneAtInstant {
        let version = try await requireActivePolicy(store)
        return EveryoneAtInstant(version: version, snapshot: try await store.decisionSnapshot(asOf: instant), instant: instant)
    }

    var policy: Policy { version.policy }

    func forEachDecision(_ body: (MemberID, Decision) -> Void) {
        snapshot.forEachDecision(policy: policy, instant: instant) { index, decision in body(snapshot.members[index].id, decision) }
    }
}

struct DecideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "Print each member's decision as JSON Lines, sorted by member id.",
        discussion: """
            {"member":"urn:li:member:1001","eligible":false,"reason":"minor","region":"europe"}

            region is null when the member's country is in no region. Without --member, every member is decided. Example: consentry decide --member urn:li:member:1001 --as-of 2025-11-04
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var time: AsOfOption
    @Option(help: "Decide only this member (repeatable). Unknown ids answer member_unknown.") var member: [String] = []

    func validate() throws {
        for id in member where MemberID(id) == nil {
            throw ValidationError("--member \(id.debugDescription) must be 1 to 256 bytes without control characters")
        }
    }

    func run() async throws {
        let output = Output()
        if member.isEmpty {
            let everyone = try await EveryoneAtInstant.load(store, time)
            everyone.forEachDecision { id, decision in
                output.line(DecisionRecords.decisionLine(member: id, decision: decision, policy: everyone.policy))
            }
        } else {
            let store = try await store.openExisting()
            let version = try await requireActivePolicy(store)
            let instant = time.instant
            for id in Set(member.compactMap(MemberID.init)).sorted() {
                let decision = try await store.decision(for: id, policy: version.policy, at: instant)
                output.line(DecisionRecords.decisionLine(member: id, decision: decision, policy: version.policy))
            }
        }
        output.flush()
    }
}

struct ExclusionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exclusions",
        abstract: "Print the id of every member whose data may not be used, one per line, sorted.",
        discussion: "Anti-join a dataset against this list to keep only eligible members' records."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var time: AsOfOption

    func run() async throws {
        let everyone = try await EveryoneAtInstant.load(store, time)
        let output = Output()
        everyone.forEachDecision { id, decision in
            if !decision.eligible { output.line(id.rawValue) }
        }
        output.flush()
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print one JSON object: members, eligible, counts by reason and by region."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var time: AsOfOption

    func run() async throws {
        let everyone = try await EveryoneAtInstant.load(store, time)
        let summary = everyone.snapshot.summary(policy: everyone.policy, instant: everyone.instant)
        print(DecisionRecords.statsJSON(summary, policy: everyone.version, asOf: everyone.instant))
    }
}
