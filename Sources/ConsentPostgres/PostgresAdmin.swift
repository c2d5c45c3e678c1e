import ConsentCore
import Foundation
import PostgresNIO

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
        let store = try await PostgresConsentStore(url: url, connectTimeout: .seconds(30), leaseTimeout: .seconds(30), migrate: false)
        defer { store.close() }
        _ = try await store.leased { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: store.logger)
        }
    }

    private static func identifier(_ name: String) throws -> String {
        guard !name.isEmpty, name.count <= 63, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw ConsentError.invalidField(field: "database name", message: "\(name) must be 1 to 63 ASCII letters, digits or _")
        }
        return name
    }
}

extension PostgresURL {
    /// The same URL naming another database (credentials kept, as given).
    func replacingDatabase(with name: String) -> String {
        "postgres://" + (password.map { "\(user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user):\($0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? $0)@" }
            ?? "\(user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user)@") + "\(host):\(port)/\(name)"
    }
}
