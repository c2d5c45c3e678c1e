import ArgumentParser
import ConsentCore
import ConsentFormats
import ConsentServer
import Foundation
import TrainingGate

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports for the public and regulators: the transparency report, a model's training-data summary.",
        subcommands: [Transparency.self, TrainingSummaryCommand.self]
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case html, json
    }

    struct Transparency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The public transparency report, as /transparency shows it: figures with no member identifiable.",
            discussion: """
                Decisions at the end of the window by reason and region, choices per week by channel, the share of each
                region opted out or in, objections received, decided and overdue per week and their time to decision,
                purges and models holding removed data, and the policy in force at --to in plain words. Every count from 1 to
                --minimum-count less one is withheld (null in JSON, "fewer than N" in HTML), and so is a second count
                wherever the first could be worked out from a published total.

                Example: consentry report transparency --from 2026-01-01 --to 2026-04-01 --format html > report.html
                """
        )

        @OptionGroup var store: StoreOptions
        @Option(help: "The first day (default: twelve weeks before --to). Weeks start on the Monday on or before it.") var from: Instant?
        @Option(help: "The end of the window (default: now).") var to: Instant?
        @Option(help: "html (one file, nothing beside it) or json.") var format: Format = .json
        @Option(help: "Withhold counts under this (at least 1; 1 withholds nothing).") var minimumCount = PublicFigures.defaultMinimumCount
        @Option(help: "The language of the HTML report: en, de or fr.") var language = "en"

        func validate() throws {
            guard minimumCount >= 1 else { throw ValidationError("--minimum-count must be at least 1") }
            guard Catalog.named(language) != nil else {
                throw ValidationError("--language must be one of " + Catalog.all.map(\.code).joined(separator: ", "))
            }
        }

        func run() async throws {
            let store = try await store.openExisting()
            let now = Date()
            let end = min(to?.date ?? now, now)
            let figures = try await store.programFigures(from: from?.date ?? ProgramFigures.defaultFrom(to: end), to: end, now: now)
            let published = PublicFigures(figures, minimumCount: minimumCount)
            switch format {
            case .json: print(JSONBody.string(TransparencyBody(published)))
            case .html: print(try TransparencyReport.html(published, catalog: Catalog.named(language) ?? .english), terminator: "")
            }
        }
    }

    struct TrainingSummaryCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "training-summary",
            abstract: "The data-protection parts of the EU AI Act training-data summary for one registered model.",
            discussion: """
                The members' data the model was trained on (datasets, categories, time span), the members left out when
                that data was made and why (opted out, Global Privacy Control, objections, minors, regions), and the
                members removed after training. For the public summary of training content (AI Act, Art. 53(1)(d)).

                Example: consentry report training-summary --model assistant-v1 --format text
                """
        )

        enum SummaryFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

        @OptionGroup var store: StoreOptions
        @Option(help: "The registered model (see `consentry models list`).") var model: String
        @Option(help: "text or json.") var format: SummaryFormat = .text

        func run() async throws {
            let store = try await store.openExisting()
            guard let found = try await store.models().first(where: { $0.name == model }) else {
                throw ValidationError("no model named \(jsonStringLiteral(model)) is registered; `consentry models list` shows them")
            }
            let summary = try TrainingSummary.make(model: found, datasets: try await store.datasets(), timeline: try await store.policyTimeline())
            switch format {
            case .text: print(summary.text, terminator: "")
            case .json: print(JSONBody.string(summary))
            }
        }
    }
}
