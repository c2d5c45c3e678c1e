import Foundation

/// The `consentry` binary the tests run: `CONSENTRY_BIN`, else the one built next to the test
/// bundle (both live in the build products folder).
public enum BuiltBinary {
    public static let consentry: String = {
        if let path = ProcessInfo.processInfo.environment["CONSENTRY_BIN"] { return path }
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("consentry").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/consentry").path
    }()
}
