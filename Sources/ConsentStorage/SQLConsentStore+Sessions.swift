import ConsentCore
import Foundation

extension SQLConsentStore {
    public func revokeSession(_ id: String, expires: Date) async throws {
        let now = Timestamp.microseconds(self.now())
        _ = try await driver.write { db in
            try db.execute("DELETE FROM revoked_sessions WHERE expires_at < \(now)")
            try db.execute("""
                INSERT INTO revoked_sessions (id, expires_at) VALUES (\(id), \(Timestamp.microseconds(expires)))
                ON CONFLICT (id) DO NOTHING
                """)
        }
    }

    public func isSessionRevoked(_ id: String) async throws -> Bool {
        try await driver.read { db in
            !(try db.query("SELECT 1 FROM revoked_sessions WHERE id = \(id)").isEmpty)
        }
    }
}
