import ConsentCore
import ConsentFormats
import Crypto
import Foundation

/// Signed web sessions, their CSRF tokens, and the short-lived state of a sign-in under way.
///
/// The session cookie holds the role, the subject (member id or staff name), an expiry and a
/// random nonce, with an HMAC-SHA256 over them; the CSRF token is an HMAC of the nonce, and the
/// nonce's SHA-256 names the session when it is revoked (sign-out, kept in the store so every
/// instance refuses it). The key is derived from `CONSENTRY_SESSION_SECRET` or
/// `CONSENTRY_JWT_SECRET` (so every instance sharing that secret accepts the same sessions) or
/// drawn at random per process.
public struct WebSessions: Sendable {
    /// The longest a session lasts; never longer than the token it began with.
    public static let lifetime: TimeInterval = 8 * 3600
    /// How long a sign-in may take, from leaving for the platform to coming back.
    public static let signInLifetime: TimeInterval = 600

    /// The session cookie's name: with the `__Host-` prefix (Secure, path /, no domain: no
    /// other host or path can set or shadow it), except on plain http, which the prefix forbids.
    public static func cookieName(secure: Bool) -> String { secure ? "__Host-consentry-session" : "consentry-session" }
    /// The cookie holding a sign-in's state until the platform sends the browser back.
    public static func signInCookieName(secure: Bool) -> String { secure ? "__Host-consentry-sign-in" : "consentry-sign-in" }

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
        /// What names the session in the store once revoked: the SHA-256 of its nonce, so the
        /// store never holds what the cookie's CSRF token is made from.
        public var id: String { Digest.sha256Hex("consentry-session\n" + nonce) }
    }

    /// A new session for `subject` acting in `role` until `expires`, as the cookie value.
    public func issue(subject: String, role: Identity.Role, expires: Date) -> String {
        sign(["v3", role.rawValue, subject, String(Int(expires.timeIntervalSince1970)), Self.randomNonce()])
    }

    /// The session a cookie value proves, or nil (bad signature, expired, malformed). Whether it
    /// was revoked is the store's to say.
    public func session(from cookie: String, now: Date = Date()) -> Session? {
        guard let fields = verified(cookie), fields.count == 5, fields[0] == "v3", let role = Identity.Role(rawValue: fields[1]),
              !fields[2].isEmpty, role != .member || MemberID(fields[2]) != nil, let expiry = TimeInterval(fields[3]),
              now.timeIntervalSince1970 < expiry
        else { return nil }
        return Session(subject: fields[2], role: role, expires: Date(timeIntervalSince1970: expiry), nonce: fields[4])
    }

    /// A sign-in under way: the `state` the platform must send back, the `nonce` its token must
    /// carry, and the page to show after.
    public struct SignIn: Sendable, Equatable {
        public var state: String
        public var nonce: String
        public var next: String
        public var expires: Date
    }

    /// A new sign-in, and its cookie value.
    public func beginSignIn(next: String, now: Date = Date()) -> (signIn: SignIn, cookie: String) {
        let signIn = SignIn(state: Self.randomNonce(), nonce: Self.randomNonce(), next: next,
                            expires: now.addingTimeInterval(Self.signInLifetime))
        return (signIn, sign(["sign-in-v1", signIn.state, signIn.nonce, signIn.next, String(Int(signIn.expires.timeIntervalSince1970))]))
    }

    /// The sign-in a cookie value proves, or nil (bad signature, expired, malformed).
    public func signIn(from cookie: String, now: Date = Date()) -> SignIn? {
        guard let fields = verified(cookie), fields.count == 5, fields[0] == "sign-in-v1", let expiry = TimeInterval(fields[4]),
              now.timeIntervalSince1970 < expiry
        else { return nil }
        return SignIn(state: fields[1], nonce: fields[2], next: fields[3], expires: Date(timeIntervalSince1970: expiry))
    }

    private func sign(_ fields: [String]) -> String {
        let encoded = Self.base64URL(Data(fields.joined(separator: "\n").utf8))
        return encoded + "." + mac(encoded)
    }

    /// The fields of a value this key signed; nil when the signature does not match.
    private func verified(_ value: String) -> [String]? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, Digest.constantTimeEqual(mac(String(parts[0])), String(parts[1])),
              let data = Self.data(base64URL: String(parts[0])), let payload = String(data: data, encoding: .utf8)
        else { return nil }
        return payload.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// 128 random bits from the system's secure generator, as 32 hex digits.
    static func randomNonce() -> String { RandomHex.sixteen() + RandomHex.sixteen() }

    /// The CSRF token forms of this session must carry.
    public func csrfToken(for session: Session) -> String { mac("csrf\n" + session.nonce) }

    public func isValidCSRF(_ token: String?, for session: Session) -> Bool {
        guard let token else { return false }
        return Digest.constantTimeEqual(token, csrfToken(for: session))
    }

    private func mac(_ text: String) -> String {
        Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)))
    }

    /// Base64 with `-` and `_` for `+` and `/`, without padding (RFC 4648 §5). The alphabet is
    /// swapped byte by byte: Foundation's `replacingOccurrences` cost a few percent of every
    /// request that carries a session or a new token.
    static func base64URL(_ data: Data) -> String {
        var bytes = [UInt8](data.base64EncodedData())
        while bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
        for index in bytes.indices {
            if bytes[index] == UInt8(ascii: "+") { bytes[index] = UInt8(ascii: "-") } else if bytes[index] == UInt8(ascii: "/") { bytes[index] = UInt8(ascii: "_") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes of base64url `text`, padded or not; nil when it is not base64.
    static func data(base64URL text: String) -> Data? {
        var bytes = Array(text.utf8)
        for index in bytes.indices {
            if bytes[index] == UInt8(ascii: "-") { bytes[index] = UInt8(ascii: "+") } else if bytes[index] == UInt8(ascii: "_") { bytes[index] = UInt8(ascii: "/") }
        }
        while bytes.count % 4 != 0 { bytes.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(bytes))
    }
}
