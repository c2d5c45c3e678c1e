import Foundation

/// The stores the release of 2026-11-30 made (`Tests/Fixtures/store-2026-11-30`): a SQLite file
/// and a PostgreSQL dump, for the upgrade tests.
public enum LegacyStores {
    public static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Tests/Fixtures/store-2026-11-30").standardizedFileURL

    public static var sqliteFile: String { folder.appendingPathComponent("sqlite/store.sqlite").path }
    public static var postgresDump: String { folder.appendingPathComponent("postgres/store.sql").path }

    /// Loads the PostgreSQL dump into the (empty) database at `url` with psql, stopping at the
    /// first error; throws with psql's message.
    public static func loadPostgresDump(into url: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", postgresDump, url]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ContractFailure(message: "psql could not load \(postgresDump): \(message)", file: #fileID, line: #line)
        }
    }
}
