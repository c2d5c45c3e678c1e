import ConsentCore
import ConsentFormats
import Crypto
import Foundation

/// Signed, stateless web sessions and their CSRF tokens.
///
/// The cookie holds the role, the subject (member id or staff name), an expiry and a random
/// nonce, with an HMAC-SHA256 over them;
/// the CSRF token is an HMAC of the nonce. The key is derived from `CONSENTRY_SESSION_SECRET` or
/// `CONSENTRY_JWT_SECRET` (so every instance sharing that secret accepts the same sessions) or
/// drawn at random per process.
public struct WebSessions: Sendable {
    public static let cookieName = "consentry_session"
    public static let lifetime: TimeInterval = 8 * 3600

    let key: SymmetricKey

    /// `CONSENTRY_SESSION_SECRET`, else `CONSENTRY_JWT_SECRET`: instances sharing it accept each
    /// other's sessions and CSRF tokens. Nil when neither is set (then each process draws its own
    /// key, and a session works only on the instance that issued it).
    public static func secretFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        for name in ["CONSENTRY_SESSION_SECRET", "CONSENTRY_JWT_SECRET"] {
            if let secret = environment[name], !secret.isEmpty { return secret }
        }
        return nil
    }

    /// The shortest secret accepted: anything shorter can be guessed offline from one cookie.
    public static let minimumSecretBytes = 32

    /// Refuses a secret shorter than ``minimumSecretBytes``: with the key, anyone could forge a
    /// privacy-team session.
    public init(secret: String?) throws {
        if let secret, !secret.isEmpty {
            guard secret.utf8.count >= Self.minimumSecretBytes else {
                throw ConsentError.invalidField(field: "CONSENTRY_SESSION_SECRET", message: """
                    must be at least \(Self.minimumSecretBytes) bytes long (\(secret.utf8.count) given); make one with `openssl rand -hex 32`
                    """)
            }
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data("consentry-web-session-v1".utf8),
                                                                     using: SymmetricKey(data: Data(secret.utf8))))
        } else {
            key = SymmetricKey(size: .bits256)
        }
    }

    public struct Session: Sendable, Equatable {
        /// The token's subject: a member id, or a staff member's name for the privacy team.
        public var subject: String
        public var role: Identity.Role
        public var expires: Date
        var nonce: String

        /// The member signed in; nil for a staff session.
        public var member: MemberID? { role == .member ? MemberID(subject) : nil }
    }

    /// A new session for `subject` acting in `role`, as the cookie value.
    public func issue(subject: String, role: Identity.Role, now: Date = Date()) -> String {
        var random = SystemRandomNumberGenerator()
        let nonce = String(random.next() as UInt64, radix: 36) + String(random.next() as UInt64, radix: 36)
        let payload = ["v2", role.rawValue, subject, String(Int(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970)), nonce]
            .joined(separator: "\n")
        let encoded = Self.base64URL(Data(payload.utf8))
        return encoded + "." + mac(encoded)
    }

    /// The session a cookie value proves, or nil (bad signature, expired, malformed).
    public func session(from cookie: String, now: Date = Date()) -> Session? {
        let parts = cookie.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, Digest.constantTimeEqual(mac(String(parts[0])), String(parts[1])),
              let data = Self.data(base64URL: String(parts[0])), let payload = String(data: data, encoding: .utf8)
        else { return nil }
        let fields = payload.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 5, fields[0] == "v2", let role = Identity.Role(rawValue: fields[1]), !fields[2].isEmpty,
              role != .member || MemberID(fields[2]) != nil, let expiry = TimeInterval(fields[3]),
              now.timeIntervalSince1970 < expiry
        else { return nil }
        return Session(subject: fields[2], role: role, expires: Date(timeIntervalSince1970: expiry), nonce: fields[4])
    }

    /// The CSRF token forms of this session must carry.
    public func csrfToken(for session: Session) -> String { mac("csrf\n" + session.nonce) }

    public func isValidCSRF(_ token: String?, for session: Session) -> Bool {
        guard let token else { return false }
        return Digest.constantTimeEqual(token, csrfToken(for: session))
    }

    private func mac(_ text: String) -> String {
        Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func data(base64URL text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
