import ArgumentParser
import ConsentCore
import ConsentFormats
import ConsentSQLite
import Foundation

struct AsOfOption: ParsableArguments {
    @Option(help: """
        The instant to decide at (default: now): the policy in force then, the members' facts valid then, \
        and the choices and objection events at or before it count.
        """)
    var asOf: Instant?

    var instant: Date { asOf?.date ?? Date() }
}

/// The two instants of a question about the past: what was the answer at T (`--as-of`), as
/// known now or as known at K (`--as-known-at`).
struct QuestionOptions: ParsableArguments {
    @OptionGroup var time: AsOfOption

    @Option(help: """
        Answer as Consentry would have at this moment: only what was recorded by then counts (member \
        versions, policy activations, choices, objection events). --as-of defaults to it.
        """)
    var asKnownAt: Instant?

    func validate() throws {
        if let asKnownAt, asKnownAt.date > Date() {
            throw ValidationError("--as-known-at \(Timestamp.format(asKnownAt.date)) is in the future: nothing is known yet about what will be recorded then")
        }
    }

    /// Reads from `store` what was known at `--as-known-at` (now by default), for `members`
    /// only when given.
    func load(_ store: any ConsentStore, members: [MemberID]? = nil) async throws -> (view: DecisionView, instant: Date) {
        let now = Date()
        let view = try await store.decisionView(knownAt: asKnownAt?.date, members: members, now: now)
        return (view, time.asOf?.date ?? asKnownAt?.date ?? now)
    }
}

struct DecideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "Print each member's decision as JSON Lines, sorted by member id.",
        discussion: """
            {"member":"urn:li:member:1001","eligible":false,"reason":"minor","region":"europe"}

            region is null when the member's country is in no region. Without --member, every member \
            who was one at --as-of is decided. A later policy or re-import never changes an answer about \
            the past; a correction (an import line with valid_from) does, and --as-known-at reproduces \
            what was answered before it.

              consentry decide --member urn:li:member:1001 --as-of 2025-11-04
              consentry decide --as-of 2025-11-04 --as-known-at 2025-12-01T09:00:00Z
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var question: QuestionOptions
    @Option(help: "Decide only this member (repeatable). Unknown ids answer member_unknown.") var member: [String] = []

    func validate() throws {
        for id in member where MemberID(id) == nil {
            throw ValidationError("--member \(id.debugDescription) must be 1 to 256 bytes without control characters")
        }
    }

    func run() async throws {
        let output = Output()
        if member.isEmpty {
            let (view, instant) = try await question.load(store.openExisting())
            let policy = try view.policy(at: instant).policy
            try view.forEachDecision(at: instant) { index, decision in
                output.line(DecisionRecords.decisionLine(member: view.snapshot.members[index].id, decision: decision, policy: policy))
            }
        } else {
            let ids = Set(member.compactMap(MemberID.init)).sorted()
            let (view, instant) = try await question.load(store.openExisting(), members: ids)
            let policy = try view.policy(at: instant).policy
            for id in ids {
                output.line(DecisionRecords.decisionLine(member: id, decision: try view.decision(for: id, at: instant), policy: policy))
            }
        }
        output.flush()
    }
}

struct ExclusionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exclusions",
        abstract: "Print the id of every member whose data may not be used, one per line, sorted.",
        discussion: """
            Anti-join a dataset against this list to keep only usable members' records. Using data is a \
            use now: a member is listed unless eligible both at --as-of and now (at --as-known-at, when given).

            A list holds no birth dates, so it cannot tell records a member made while under the \
            minimum age from later ones. With --minors-in-window it also lists every member who was \
            under the minimum age at any time since the policy's look-back start, and says so on its \
            first line; `datasets filter --exclusions` needs such a list.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var question: QuestionOptions
    @Flag(help: "Write a signed list (header, count and Ed25519 signature: see docs/gate.md) that `filter --exclusions F --log-key K` checks.")
    var signed = false
    @Flag(help: "Also list every member who was under the minimum age in the window (first line: # consentry-exclusions minors_in_window since=T).")
    var minorsInWindow = false
    @OptionGroup var key: LogCommand.KeyOptions

    func validate() throws {
        if signed, minorsInWindow {
            throw ValidationError("--minors-in-window writes a plain list; for a signed source that fails closed, sign a snapshot: `consentry datasets snapshot --key-file F`")
        }
    }

    func run() async throws {
        let opened = try await store.openExisting()
        let (view, instant) = try await question.load(opened)
        let ids = try view.unusableMembers(asOf: instant, minorsInWindow: minorsInWindow).map(\.rawValue)
        if signed {
            let signer = try key.signer()
            print(try SignedExclusions.text(ids: ids, asOf: instant, decidedAt: view.moment,
                                            log: signer.checkpoint(of: try await opened.logLeafHashes()), signer: signer), terminator: "")
            return
        }
        let output = Output()
        if minorsInWindow {
            for line in try MinorsInWindow.headerLines(view, asOf: instant, objections: try await opened.objections(status: nil)) { output.line(line) }
        }
        for id in ids { output.line(id) }
        output.flush()
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print one JSON object: members, eligible, counts by reason and by region."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var question: QuestionOptions

    func run() async throws {
        let (view, instant) = try await question.load(store.openExisting())
        print(JSONBody.string(StatsBody(try view.summary(at: instant), policy: try view.policy(at: instant), asOf: instant)))
    }
}
