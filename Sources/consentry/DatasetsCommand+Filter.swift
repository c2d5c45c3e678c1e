import ArgumentParser
import ConsentCore
import ConsentFormats
import ConsentSQLite
import Foundation
import TrainingGate

struct FilterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filter",
        abstract: "Keep only the records of a dataset that may train generative AI.",
        discussion: """
            Streams JSON Lines records (plain or .gz, - for standard input) and writes the kept ones \
            byte for byte, in input order, to OUTPUT (replaced atomically; - for standard output).

            A record is kept only when its member (the --member-field, a top-level string or \
            integer) may be used as of --as-of, and the policy's record rules let it through. The \
            gate does not run (exit 64) unless it can apply them all:
              - the category: --category C for every record, or --category-field F for each;
              - the time: --time-field F (RFC 3339 or epoch seconds: not after as-of, not while the \
            member was under the minimum age, not before the look-back start), or --no-record-times \
            (every member who was a minor in the window is left out whole);
              - people who objected without being members: --text-field F (their links, handles and \
            names are looked for there and in the member field), or --no-text.
            With --reservation-field F, content reserved against training (TDMRep 1, AIPREF \
            train-ai=n, CAWG notAllowed) is dropped too.

            Every dropped record counts under one reason: malformed, missing_member, member_unknown, \
            the member's exclusion reason (or excluded, with --exclusions), missing_category, \
            category_not_allowed, rights_reserved, third_party_objection, minor_in_window, \
            missing_time, after_as_of, created_while_minor, before_lookback.

            Decisions come from exactly one of: --db (the store), --snapshot FILE (written by \
            `consentry datasets snapshot`), --exclusions FILE (made by `consentry exclusions \
            --minors-in-window`, with --policy FILE).

              consentry datasets filter posts.jsonl --db consentry.sqlite \\
                  --category content.posts --time-field created_at --text-field text \\
                  --out kept.jsonl --report report.json
              consentry datasets filter part-*.jsonl.gz --snapshot snap.tsv \\
                  --category-field category --time-field created_at \\
                  --text-field text --out kept.jsonl
              zcat posts.gz | consentry datasets filter - --exclusions excluded.txt \\
                  --policy policy.yaml --category content.posts --no-record-times \\
                  --text-field text --out - > kept.jsonl
            """
    )

    @Argument(help: ArgumentHelp("JSON Lines files (.gz is decompressed); - reads standard input.", valueName: "input"))
    var inputs: [String]

    @Option(help: "The top-level field naming the record's member.")
    var memberField = "member_id"

    @Option(help: "A top-level field with the record's creation time: RFC 3339 or epoch seconds.")
    var timeField: String?

    @Flag(help: "The records carry no creation time: leave out every member who was under the minimum age at any time in the window.")
    var noRecordTimes = false

    @Option(help: ArgumentHelp("What every record is: one category of the taxonomy (docs/rules.md lists them).",
                               valueName: "category"))
    var category: String?

    @Option(help: ArgumentHelp("A top-level field naming each record's category.", valueName: "field"))
    var categoryField: String?

    @Option(help: ArgumentHelp("A top-level field with the content's own training reservation (TDMRep, AIPREF or CAWG value).",
                               valueName: "field"))
    var reservationField: String?

    @Option(help: ArgumentHelp("A top-level field whose text may name people who objected without being members (their links, handles, names).",
                               valueName: "field"))
    var textField: String?

    @Flag(help: "The records hold no text that could name anyone (the member field is still checked).")
    var noText = false

    @Option(help: ArgumentHelp("With --exclusions: the policy the list was made under (`consentry policy show`), for its categories and look-back.",
                               valueName: "file"))
    var policy: String?

    @Option(help: "Decide as of this instant (default: now; with --snapshot, the snapshot's own).")
    var asOf: Instant?

    @Option(help: ArgumentHelp("The SQLite store to decide with (env CONSENTRY_DB).", valueName: "path"))
    var db: String?

    @Option(name: .customLong("database-url"), help: ArgumentHelp("The PostgreSQL store to decide with (env CONSENTRY_DATABASE_URL).", valueName: "url"))
    var databaseURL: String?

    @Option(help: ArgumentHelp("A snapshot file written by `consentry datasets snapshot`.", valueName: "file"))
    var snapshot: String?

    @Option(help: ArgumentHelp("A list of excluded member ids, one per line.", valueName: "file"))
    var exclusions: String?

    @Option(name: .customLong("log-key"), help: ArgumentHelp("With --snapshot or --exclusions: accept only a file signed by this log key (NAME+HASH+KEY, as `consentry log init` printed it).",
                                                           valueName: "verifier-key"))
    var logKey: String?

    @Option(name: .long, help: ArgumentHelp("Where to write the kept records; - for standard output.", valueName: "output"))
    var out: String

    @Option(help: ArgumentHelp("Write a JSON report: counts by reason, sizes, SHA-256s, throughput.", valueName: "file"))
    var report: String?

    @Option(help: "Scanning threads (default: the number of cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Stop at the first malformed line, naming FILE:LINE, and write nothing.")
    var strict = false

    @Option(help: ArgumentHelp("Register the output as a training dataset with this name (needs --db): `lineage` and `purge` then know it.", valueName: "name"))
    var register: String?

    func validate() throws {
        let sources = [db != nil, databaseURL != nil, snapshot != nil, exclusions != nil].filter { $0 }.count
        guard sources <= 1 else { throw ValidationError("give only one of --db, --database-url, --snapshot and --exclusions") }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be from 1 to 256") }
        if let category, Category(rawValue: category) == nil {
            throw ValidationError("--category \(category) is not a category of the taxonomy: one of \(Category.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if policy != nil, exclusions == nil {
            throw ValidationError("--policy gives an exclusions list its policy: with --db or --snapshot the policy comes from the source")
        }
        if snapshot != nil, asOf != nil { throw ValidationError("--as-of cannot be used with --snapshot: a snapshot is decided at its own instant") }
        if logKey != nil, snapshot == nil, exclusions == nil {
            throw ValidationError("--log-key checks a signed file: give it with --snapshot FILE or --exclusions FILE")
        }
        if register != nil {
            guard snapshot == nil, exclusions == nil else {
                throw ValidationError("--register needs decisions from the store (--db or --database-url): lineage is recorded there")
            }
            guard out != "-" else { throw ValidationError("--register needs --out FILE: standard output cannot be registered or purged") }
        }
    }

    func run() async throws {
        if let asOf { try GateTime.requirePast(asOf.date) }
        let decisions: GateDecisions
        var store: (any ConsentryStore)?
        if let snapshot {
            decisions = try SnapshotFile.read(path: snapshot, verifier: try logKey.map(NoteVerifier.init(verifierKey:))).1
        } else if let exclusions {
            decisions = try GateSources.exclusions(path: exclusions, asOf: asOf?.date ?? Date(),
                                                   verifier: try logKey.map(NoteVerifier.init(verifierKey:)),
                                                   policy: try policy.map { try PolicyFile.load(path: $0).policy })
        } else {
            let environment = ProcessInfo.processInfo.environment
            let path = db ?? (databaseURL == nil ? environment["CONSENTRY_DB"] : nil)
            let url = databaseURL ?? (path == nil ? environment["CONSENTRY_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } : nil)
            guard path != nil || url != nil else {
                throw ValidationError("say where decisions come from: --db PATH (or env CONSENTRY_DB), --database-url URL (or env CONSENTRY_DATABASE_URL), --snapshot FILE or --exclusions FILE")
            }
            let opened = try await StoreOptions.open(sqlite: path ?? "", postgres: url, mustExist: true)
            store = opened
            let now = Date()
            decisions = try await GateSources.decisions(from: opened, asOf: asOf?.date, now: now,
                                                        thirdParty: ThirdPartyObjection.applying(try await opened.objections(status: nil)))
        }
        var options = FilterOptions(memberField: memberField, timeField: timeField, category: category.flatMap(Category.init(rawValue:)),
                                    categoryField: categoryField, reservationField: reservationField, noRecordTimes: noRecordTimes,
                                    threads: threads, strict: strict, hashing: report != nil)
        (options.textField, options.noText) = (textField, noText)
        do {
            try GateFilter.checkRecordRules(decisions, options)
        } catch GateError.usage(let why) {
            throw ValidationError(why)
        }
        let showProgress = stderrIsTerminal
        if showProgress {
            options.progress = { progress in printError("\r\u{1B}[Kfilter: " + progress.line, newline: false) }
        }
        defer { if showProgress { printError("\r\u{1B}[K", newline: false) } }
        let result: FilterResult
        if let register, let store {
            let (run, manifest) = try await RegisteredFilter.run(inputs: inputs, output: out, decisions: decisions, options: options,
                                                                 name: register, store: store, actor: cliActor)
            result = run
            printError("filter: registered dataset \(manifest.dataset) (\(register)): \(manifest.members) members, \(manifest.records) records")
        } else {
            result = try GateFilter.run(inputs: inputs, output: out, decisions: decisions, options: options)
        }
        if let report {
            let json = FilterReport.json(result, decisions: decisions, options: options, output: out) + "\n"
            do {
                try Data(json.utf8).write(to: URL(fileURLWithPath: report), options: .atomic)
            } catch {
                throw GateError.output(report, error.localizedDescription)
            }
        }
        let dropped = result.dropped.sorted { $0.key < $1.key }.map { "\($0.key.code) \($0.value)" }.joined(separator: ", ")
        FileHandle.standardError.write(Data((
            "filter: \(result.records) records, kept \(result.kept), dropped \(result.records - result.kept)"
                + (dropped.isEmpty ? "" : " (\(dropped))")
                + String(format: "; %.1f MB in %.2f s\n", Double(result.inputBytes) / 1e6, result.seconds)).utf8))
    }
}

struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Write whether each member may be used, as of one instant, to a file the gate can use without the store.",
        discussion: """
            A tab-separated file with a versioned header and a SHA-256 trailer: member, eligible, \
            reason, usable_from (the minimum-age birthday). A member is eligible only when eligible at \
            --as-of and at the moment the snapshot is made (both are in the header). `consentry datasets filter --snapshot FILE` refuses \
            a corrupt or truncated one; any engine can read it as TSV (lines starting with # are comments).

            With --shards N it writes N files instead (snapshot.tsv: snapshot.0-of-N.tsv, …), each \
            holding the members whose id's SHA-256, read from its first 15 hex digits, is its index \
            modulo N: an engine joins records to members shard by shard, and no worker loads every \
            member (see examples/engines/spark_gate.py).

              consentry datasets snapshot --as-of 2026-01-01 --out snapshot.tsv
              consentry datasets snapshot --as-of 2026-01-01 --out snapshot.tsv --shards 64
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var time: AsOfOption

    @Option(name: .long, help: ArgumentHelp("The snapshot file to write (replaced atomically).", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Sign the snapshot with this log key file (default: env CONSENTRY_LOG_KEY or CONSENTRY_LOG_KEY_FILE, when set).",
                               valueName: "file"))
    var keyFile: String?

    @Option(help: "Split the members into this many files by a hash of their id (1 to 4096).")
    var shards = 1

    func validate() throws {
        guard (1...4096).contains(shards) else { throw ValidationError("--shards must be from 1 to 4096, not \(shards)") }
    }

    func run() async throws {
        try GateTime.requirePast(time.instant)
        let opened = try await store.openExisting()
        let signer = try keyFile.map(LogSigner.load) ?? LogSigner.fromEnvironment()
        // Signed, it names the log's state it was computed from: a checkpoint a witness can hold it to.
        var log: ConsentFormats.Checkpoint?
        if let signer {
            let leaves = try await opened.logLeafHashes()
            log = signer.checkpoint(of: leaves)
        }
        let view = try await opened.decisionView(now: Date())
        let (header, files) = try SnapshotFile.write(view, asOf: time.instant, to: out, shards: shards,
                                                     thirdParty: ThirdPartyObjection.applying(try await opened.objections(status: nil)),
                                                     signedBy: signer, log: log)
        let signed = signer.map { ", signed by \($0.origin) at log size \(log?.size ?? 0)" } ?? ""
        let about = "\(header.members) members as of \(Timestamp.format(header.asOf)), decided at \(Timestamp.format(header.decidedAt)), "
            + "policy \(header.policyVersion)"
        if shards == 1 {
            print("snapshot: \(about), sha256 \(files[0].sha256)\(signed)")
        } else {
            print("snapshot: \(about), in \(shards) shards\(signed):")
            for file in files { print("  \(file.path) sha256 \(file.sha256)") }
        }
    }
}
