import ArgumentParser
import ConsentCore
import ConsentFormats
import ConsentServer
import ConsentSQLite
import Hummingbird
import ConsentDemo
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create (or reuse) a demo database and show who is eligible and why.",
        discussion: """
            The demo stays apart from real data: it uses only its own file (./consentry-demo.sqlite, or --db; never CONSENTRY_DB or CONSENTRY_DATABASE_URL), refuses a file it did not create, signs its tokens, sessions and log with keys of its own drawn at each start (never CONSENTRY_JWT_SECRET or CONSENTRY_LOG_KEY), and listens on 127.0.0.1 only.

            Seeds ./consentry-demo.sqlite (or --db) with the example policy (examples/policy.yaml) and a seeded synthetic population: members in Europe, the US, Canada, Hong Kong and elsewhere; minors, unknown ages and 29 February birthdays; choices made on web, iOS, Android and through Global Privacy Control; objections pending, extended, upheld and rejected. Then prints the decisions for everyone, as of now, and commands to explore further.
            """
    )

    @Option(help: ArgumentHelp("The demo's own SQLite file (default ./consentry-demo.sqlite); one the demo did not create is refused.",
                               valueName: "path")) var db: String?
    @Option(help: "How many synthetic members to create.") var members = 3000
    @Option(help: "The generator's seed: the same seed gives the same population.") var seed: UInt64 = 42
    @Option(help: "The port to serve the demo on (127.0.0.1); 0 lets the system choose a free one.") var port = 8080
    @Flag(help: "Print the summary and stop instead of serving.") var noServe = false

    func validate() throws {
        guard (1...1_000_000).contains(members) else { throw ValidationError("--members must be between 1 and 1000000") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 (any free port) and 65535") }
    }

    func run() async throws {
        let path = db ?? "./consentry-demo.sqlite"
        let existed = FileManager.default.fileExists(atPath: path)
        let store = try SQLiteConsentStore(path: path)
        if existed, try await !Self.isDemoStore(store) {
            // A refusal, not a usage mistake: no usage text, exit 1.
            throw ConsentError.invalidField(field: "--db", message: """
                \(path) was not made by `consentry demo`: the demo hands out sign-in links for every member it holds, \
                so it opens only its own file. Give it a new path with --db.
                """)
        }
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

    /// Whether `store` is one the demo made (its first entry is the demo's policy) or is empty.
    static func isDemoStore(_ store: SQLiteConsentStore) async throws -> Bool {
        var first: AuditEntry?
        try await store.auditEntries(after: 0, limit: 1) { first = $0 }
        return first.map { $0.actor == DemoData.actor } ?? true
    }

    /// Serves the demo database on 127.0.0.1 with a `/login` page of demo members, its tokens,
    /// sessions and log signed with keys drawn now: nothing it hands out is valid anywhere else.
    private func serve(_ store: SQLiteConsentStore, demoMembers: [(label: String, member: MemberID)]) async throws {
        let secret = (0..<4).map { _ in RandomHex.sixteen() }.joined()
        let identity = try await IdentityVerifier.sharedSecret(secret, issuer: "consentry-demo", audience: "consentry-demo")
        let logSigner = LogSigner(try NoteSigner.generate(name: "consentry.demo/log"))
        var configuration = ServerConfiguration(host: "127.0.0.1", port: port, insecureCookies: true, demo: true, demoMembers: demoMembers)
        configuration.onListening = { port in
            // Said once the port is open, so whoever waits for these lines can connect at once.
            print("")
            print("The transparency log is at /log/v1/checkpoint, signed by \(logSigner.signer.verifier.verifierKey)")
            print("Serving the demo on http://127.0.0.1:\(port)/login: pick a member to sign in as, or the privacy team")
            print("to review objections at /admin/objections and see the dashboard at /admin. The public transparency")
            print("report is at http://127.0.0.1:\(port)/transparency. Pages speak English, German and French. Ctrl-C stops it.")
            fflush(nil)
        }
        let app = try buildApplication(store: store, identity: identity, configuration: configuration, sessionSecret: secret, logSigner: logSigner)
        try await ListenFailure.explaining(host: "127.0.0.1", port: port) { try await app.runService() }
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
