import ArgumentParser
import ConsentCore
import ConsentFormats
import Foundation
import TrainingGate

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Record which datasets a model was trained on, and see which models hold purged data.",
        subcommands: [Register.self, List.self]
    )

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a model trained on the current versions of datasets.",
            discussion: "Example: consentry models register assistant-2026-01 --datasets ds_20260101_3f9a1c2b,ds_20260101_77aa01bc"
        )

        @OptionGroup var store: StoreOptions
        @Argument(help: "The model's name (unique).") var name: String
        @Option(help: ArgumentHelp("Comma-separated dataset ids.", valueName: "id,id")) var datasets: String

        func run() async throws {
            let ids = datasets.split(separator: ",").map { DatasetID(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
            guard !ids.isEmpty else { throw ValidationError("--datasets needs at least one dataset id") }
            let model = try await store.openExisting().registerModel(name: name, datasets: ids, actor: cliActor)
            print("model \(model.name) registered, trained on " + model.sources.map { "\($0.dataset) v\($0.version)" }.joined(separator: ", "))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every model, its datasets, and whether it contains data since removed by a purge.",
            discussion: "contains_removed_data is yes when members in a dataset version the model was trained on have since been purged from that dataset; the count says how many."
        )

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON Lines instead of a table.") var json = false

        func run() async throws {
            let models = try await store.openExisting().models()
            let output = Output()
            if json {
                for model in models { output.line(JSONBody.string(ModelBody(model))) }
            } else {
                output.line(Table.format([["MODEL", "REGISTERED", "DATASETS", "CONTAINS_REMOVED_DATA"]] + models.map { model in
                    [model.name, Timestamp.format(model.registeredAt),
                     model.sources.map { "\($0.dataset) v\($0.version)" }.joined(separator: ","),
                     model.containsRemovedData ? "yes (\(counted(model.removedMembers, "member")))" : "no"]
                }))
            }
            output.flush()
        }
    }
}
