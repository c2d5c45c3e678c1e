import ArgumentParser
import ConsentCore
import ConsentFormats
import ConsentServer
import ConsentSQLite
import Hummingbird
import ConsentTesting
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create (or reuse) a demo database and show who is eligible and why.",
        discussion: """
            Seeds ./consentry-demo.sqlite (or --db) with the example policy (examples/policy.yaml) and a seeded synthetic population: members in Europe, the US, Canada, Hong Kong and elsewhere; minors, unknown ages and 29 February birthdays; choices made on web, iOS, Android and through Global Privacy Control; objections pending, extended, upheld and rejected. Then prints the decisions for everyone, as of now, and commands to explore further.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "How many synthetic members to create.") var members = 3000
    @Option(help: "The generator's seed: the same seed gives the same population.") var seed: UInt64 = 42
    @Option(help: "The port to serve the demo on (127.0.0.1).") var port = 8080
    @Flag(help: "Print the summary and stop instead of serving.") var noServe = false

    func validate() throws {
        guard (1...1_000_000).contains(members) else { throw ValidationError("--members must be between 1 and 1000000") }
    }

    func run() async throws {
        let path = store.path(default: "./consentry-demo.sqlite")
        let store = try SQLiteConsentStore(path: path)
        let population = SyntheticPopulation(seed: seed, count: members)
        if try await store.activePolicy() == nil {
            print("Creating \(path) with the example policy and \(members) synthetic members…")
            let seeded = try await DemoData.seed(store, population: population)
            print("  \(seeded.members) members, \(seeded.choices) choices, \(seeded.objections) objections")
        } else {
            print("Reusing \(path) (delete it to start again).")
        }
        let version = try await requireActivePolicy(store)
        let now = Date()
        let snapshot = try await store.decisionSnapshot()
        var summary = DecisionSummary()
        var examples: [Reason: MemberID] = [:]
        var demoMembers = DemoMembers(policy: version.policy)
        snapshot.forEachDecision(policy: version.policy, instant: now) { index, decision in
            summary.add(decision, policy: version.policy)
            if examples[decision.reason] == nil { examples[decision.reason] = snapshot.members[index].id }
            demoMembers.consider(snapshot.members[index].id, decision)
        }
        print(report(summary, examples: examples, version: version, at: now, path: path))
        guard !noServe else { return }
        try await serve(store, demoMembers: demoMembers.chosen)
    }

    /// Serves the demo database on 127.0.0.1 with a `/login` page of demo members.
    private func serve(_ store: SQLiteConsentStore, demoMembers: [(label: String, member: MemberID)]) async throws {
        let secret = ProcessInfo.processInfo.environment["CONSENTRY_JWT_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        let identity = try await IdentityVerifier.sharedSecret(secret, issuer: ProcessInfo.processInfo.environment["CONSENTRY_JWT_ISSUER"] ?? "consentry-dev")
        // The demo signs its log with the configured key, or a new one of its own each run.
        let logSigner = try LogSigner.fromEnvironment() ?? LogSigner(try NoteSigner.generate(name: "consentry.demo/log"))
        let app = try buildApplication(store: store, identity: identity,
                                       configuration: ServerConfiguration(host: "127.0.0.1", port: port, insecureCookies: true,
                                                                          demo: true, demoMembers: demoMembers),
                                       sessionSecret: secret, logSigner: logSigner)
        print("")
        print("The transparency log is at /log/v1/checkpoint, signed by \(logSigner.signer.verifier.verifierKey)")
        print("Serving the demo on http://127.0.0.1:\(port)/login: pick a member to sign in as, or the privacy team")
        print("to review objections at /admin/objections. Ctrl-C stops it.")
        try await app.runService()
    }

    private func report(_ summary: DecisionSummary, examples: [Reason: MemberID], version: PolicyVersion, at now: Date,
                        path: String) -> String {
        let policy = version.policy
        var lines = [
            "",
            "Policy \(policy.version) (sha256 \(version.sha256.prefix(12))…), decisions as of \(Timestamp.format(now))",
            "  \(summary.members) members: \(summary.eligible) eligible, \(summary.members - summary.eligible) excluded",
            "",
            "Why (first reason that applies, in precedence order):",
        ]
        for reason in Reason.allCases {
            guard let count = summary.byReason[reason], count > 0 else { continue }
            let mark = reason.isEligible ? "eligible" : "excluded"
            let example = examples[reason].map { "  e.g. \($0)" } ?? ""
            lines.append("  " + pad(reason.rawValue, 24) + pad(String(count), 7) + pad(mark, 10) + reason.summary + example)
        }
        lines.append("")
        lines.append("By region:")
        for region in policy.regions {
            let regime = region.defaultRule == .included ? "opt-out" : "opt-in"
            lines.append("  " + pad(region.id, 24) + pad(String(summary.byRegion[region.id] ?? 0), 7)
                         + "\(regime) since \(CivilDate(region.effective))")
        }
        lines.append("  " + pad(DecisionSummary.outOfScope, 24) + String(summary.byRegion[DecisionSummary.outOfScope] ?? 0))
        let example = examples[.minor] ?? examples.values.first.map { $0 }
        lines += [
            "",
            "Try:",
            "  swift run consentry decide --db \(path) --member \(example?.rawValue ?? "ID")",
            "  swift run consentry stats --db \(path) --as-of 2025-11-02",
            "  swift run consentry exclusions --db \(path) | wc -l",
            "  swift run consentry objections list --db \(path) --status received",
            "  swift run consentry audit verify --db \(path)",
        ]
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

/// The members the demo's `/login` offers: one of each kind a reviewer wants to see.
struct DemoMembers {
    let policy: Policy
    private var found: [String: MemberID] = [:]
    private static let kinds = [
        "Adult in Europe (on by default)", "Minor (always excluded)", "Member in the United States",
        "Member in Canada (opt-in region)", "Opted out by Global Privacy Control",
    ]

    init(policy: Policy) { self.policy = policy }

    mutating func consider(_ member: MemberID, _ decision: Decision) {
        let region = decision.regionIndex.map { policy.regions[$0].id }
        let kind: String? = switch (decision.reason, region) {
        case (.includedByDefault, "europe"?): Self.kinds[0]
        case (.minor, _): Self.kinds[1]
        case (.includedByDefault, "us"?), (.optedIn, "us"?): Self.kinds[2]
        case (.awaitingConsent, _): Self.kinds[3]
        case (.globalPrivacyControl, _): Self.kinds[4]
        default: nil
        }
        if let kind, found[kind] == nil { found[kind] = member }
    }

    var chosen: [(label: String, member: MemberID)] {
        Self.kinds.compactMap { kind in found[kind].map { (kind, $0) } }
    }
}
