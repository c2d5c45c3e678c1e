import ConsentCore
import Foundation

/// Creating and dropping databases on a server: for tests (a fresh database each) and for
/// setting up a deployment.
public enum PostgresAdmin {
    /// Creates database `name` on the server of `url` (connecting to the database `url` names)
    /// and returns the URL of the new database.
    public static func createDatabase(_ name: String, adminURL url: String) async throws -> String {
        try await run("CREATE DATABASE \"\(try identifier(name))\"", adminURL: url)
        return try PostgresURL(url).replacingDatabase(with: name)
    }

    /// Drops database `name` (closing its connections first).
    public static func dropDatabase(_ name: String, adminURL url: String) async throws {
        try await run("DROP DATABASE IF EXISTS \"\(try identifier(name))\" WITH (FORCE)", adminURL: url)
    }

    private static func run(_ sql: String, adminURL url: String) async throws {
        let driver = try await PostgresDriver(url: url, connectTimeout: .seconds(30), leaseTimeout: .seconds(30))
        defer { driver.close() }
        try await driver.runAlone(sql)
    }

    private static func identifier(_ name: String) throws -> String {
        guard !name.isEmpty, name.count <= 63, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw ConsentError.invalidField(field: "database name", message: "\(name) must be 1 to 63 ASCII letters, digits or _")
        }
        return name
    }
}
