import ArgumentParser
import ConsentCore
import Foundation

/// Measures the in-memory decision rate, for `scripts/bench-core`. Hidden from help.
struct BenchDecideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-decide",
        abstract: "Load every member into memory, then time deciding all of them (for benchmarks).",
        shouldDisplay: false
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var time: AsOfOption
    @Option(help: "How many passes over all members.") var passes = 5

    func run() async throws {
        let store = try await store.openExisting()
        let instant = time.instant
        let loadStart = ContinuousClock.now
        let view = try await store.decisionView(now: Date())
        let policy = try view.policy(at: instant).policy
        let snapshot = view.snapshot
        let loaded = ContinuousClock.now - loadStart
        var eligible = 0
        let decideStart = ContinuousClock.now
        for _ in 0..<passes {
            for index in 0..<snapshot.count where snapshot.decision(at: index, policy: policy, instant: instant).eligible {
                eligible += 1
            }
        }
        let decided = ContinuousClock.now - decideStart
        let seconds = Double(decided.components.seconds) + Double(decided.components.attoseconds) / 1e18
        let decisions = snapshot.count * passes
        print("members \(snapshot.count) entries \(snapshot.entries.count) load \(loaded) "
              + "decisions \(decisions) in \(decided) = \(Int(Double(decisions) / seconds)) decisions/s (eligible \(eligible / passes))")
    }
}
