import ArgumentParser
import ConsentCore
import ConsentFormats
import Foundation

struct AsOfOption: ParsableArguments {
    @Option(help: "Decide as of this instant (default: now). Only choices and objection events at or before it count.")
    var asOf: Instant?

    var instant: Date { asOf?.date ?? Date() }
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
        let store = try store.openExisting()
        let version = try await requireActivePolicy(store)
        let output = Output()
        let instant = time.instant
        if member.isEmpty {
            let snapshot = try await store.decisionSnapshot(asOf: instant)
            snapshot.forEachDecision(policy: version.policy, instant: instant) { index, decision in
                output.line(DecisionRecords.decisionLine(member: snapshot.members[index].id, decision: decision, policy: version.policy))
            }
        } else {
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
        let store = try store.openExisting()
        let version = try await requireActivePolicy(store)
        let instant = time.instant
        let snapshot = try await store.decisionSnapshot(asOf: instant)
        let output = Output()
        snapshot.forEachDecision(policy: version.policy, instant: instant) { index, decision in
            if !decision.eligible { output.line(snapshot.members[index].id.rawValue) }
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
        let store = try store.openExisting()
        let version = try await requireActivePolicy(store)
        let instant = time.instant
        let summary = try await store.decisionSnapshot(asOf: instant).summary(policy: version.policy, instant: instant)
        print(DecisionRecords.statsJSON(summary, policy: version, asOf: instant))
    }
}
