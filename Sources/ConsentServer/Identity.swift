import ConsentCore
import ConsentFormats
import Foundation
import JWTKit
import Synchronization

/// Who is calling, as the platform's identity provider vouched for them in a JWT.
public struct Identity: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        /// A member acting on their own data (the default).
        case member
        /// A training pipeline asking for decisions in bulk.
        case pipeline
        /// The privacy team.
        case privacy
    }

    /// The token's `sub`: a member id for members, a staff or service name otherwise.
    public var subject: String
    public var role: Role
    /// When the token stops being valid (`exp`): a web session begun with it ends then too.
    public var expires: Date
    /// The token's `nonce`, which a web sign-in requires to be the one it sent to the platform.
    public var nonce: String?

    public init(subject: String, role: Role, expires: Date, nonce: String? = nil) {
        self.subject = subject
        self.role = role
        self.expires = expires
        self.nonce = nonce
    }

    /// The member this identity acts for; nil unless the role is `member`.
    public var member: MemberID? { role == .member ? MemberID(subject) : nil }
}

/// The claims Consentry reads from an identity token.
struct IdentityClaims: JWTPayload {
    var sub: SubjectClaim
    var iss: IssuerClaim
    var aud: AudienceClaim?
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    var iat: IssuedAtClaim?
    var role: String?
    var nonce: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }
}

/// Why a token was refused (kept for logs; callers see one 401).
public enum IdentityError: Error, Equatable, CustomStringConvertible {
    case missing
    case invalid(String)

    public var description: String {
        switch self {
        case .missing: "no token was presented"
        case .invalid(let reason): "the token was refused: \(reason)"
        }
    }
}

/// Verifies identity tokens (and, with a shared secret, issues them for development).
///
/// Keys come from the environment: `CONSENTRY_JWT_SECRET` (HS256) or `CONSENTRY_JWT_PUBLIC_KEY`
/// (PEM: ES256, RS256 or EdDSA/Ed25519), never both, with `CONSENTRY_JWT_ISSUER`,
/// `CONSENTRY_JWT_AUDIENCE` (required with a public key) and `CONSENTRY_JWT_TYPE`. A token is
/// accepted only when its issuer is the one configured, its `aud` names this service and its
/// header's `typ` says it is an access token (RFC 9068 `at+jwt` unless configured otherwise):
/// an ID token or another application's token from the same identity provider, signed by the
/// same key, is refused. Tokens with `alg: none` are never accepted.
public struct IdentityVerifier: Sendable {
    let keys: JWTKeyCollection
    public let issuer: String
    /// The `aud` a token must name.
    public let audience: String
    /// The header `typ` a token must carry (compared without case; `application/` may precede it).
    public let tokenType: String
    /// Whether this verifier can also sign (it holds a shared secret).
    public let canSign: Bool
    /// Tokens already verified, until they expire: apps send the same token with every request,
    /// and checking a signature costs more than answering the request.
    private let verified = VerifiedTokens()

    /// The audience of tokens signed with a shared secret when none is configured.
    public static let defaultAudience = "consentry"
    /// RFC 9068: the `typ` of a JWT access token.
    public static let accessTokenType = "at+jwt"

    init(keys: JWTKeyCollection, issuer: String, audience: String, tokenType: String, canSign: Bool) {
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.tokenType = tokenType
        self.canSign = canSign
    }

    /// A verifier for HS256 tokens signed with `secret`.
    public static func sharedSecret(_ secret: String, issuer: String, audience: String = defaultAudience,
                                    tokenType: String = accessTokenType) async throws -> IdentityVerifier {
        guard secret.utf8.count >= 32 else {
            throw ConsentError.invalidField(field: "CONSENTRY_JWT_SECRET", message: "must be at least 32 bytes long")
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return IdentityVerifier(keys: keys, issuer: issuer, audience: audience, tokenType: tokenType, canSign: true)
    }

    /// A verifier for ES256, RS256 or EdDSA (Ed25519) tokens, given the identity provider's
    /// public key in PEM (`-----BEGIN PUBLIC KEY-----`). Only tokens whose `alg` is the key's
    /// algorithm are accepted: an HS256 token "signed" with the public key is refused.
    public static func publicKey(pem: String, issuer: String, audience: String,
                                 tokenType: String = accessTokenType) async throws -> IdentityVerifier {
        let keys = JWTKeyCollection()
        if let key = try? ES256PublicKey(pem: pem) {
            await keys.add(ecdsa: key)
        } else if let key = try? EdDSA.PublicKey(pem: pem) {
            await keys.add(eddsa: key)
        } else if let key = try? Insecure.RSA.PublicKey(pem: pem) {
            await keys.add(rsa: key, digestAlgorithm: .sha256)
        } else {
            throw ConsentError.invalidField(field: "CONSENTRY_JWT_PUBLIC_KEY",
                                            message: "is not a PEM public key of P-256 (ES256), Ed25519 (EdDSA) or RSA (RS256)")
        }
        guard !audience.isEmpty else {
            throw ConsentError.invalidField(field: "CONSENTRY_JWT_AUDIENCE", message: """
                is required with CONSENTRY_JWT_PUBLIC_KEY: the identifier your identity provider puts in the `aud` of access tokens for Consentry
                """)
        }
        return IdentityVerifier(keys: keys, issuer: issuer, audience: audience, tokenType: tokenType, canSign: false)
    }

    /// From the environment; nil when no key is configured. Both a secret and a public key is
    /// refused: which one decides must never be a surprise.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> IdentityVerifier? {
        let issuer = environment["CONSENTRY_JWT_ISSUER"] ?? "consentry-dev"
        let audience = environment["CONSENTRY_JWT_AUDIENCE"].flatMap { $0.isEmpty ? nil : $0 }
        let tokenType = environment["CONSENTRY_JWT_TYPE"].flatMap { $0.isEmpty ? nil : $0 } ?? accessTokenType
        let secret = environment["CONSENTRY_JWT_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        let pem = environment["CONSENTRY_JWT_PUBLIC_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        switch (secret, pem) {
        case (_?, _?):
            throw ConsentError.invalidField(field: "CONSENTRY_JWT_SECRET", message: """
                and CONSENTRY_JWT_PUBLIC_KEY are both set; set only the one your identity provider signs with
                """)
        case (let secret?, nil):
            return try await sharedSecret(secret, issuer: issuer, audience: audience ?? defaultAudience, tokenType: tokenType)
        case (nil, let pem?):
            return try await publicKey(pem: pem, issuer: issuer, audience: audience ?? "", tokenType: tokenType)
        case (nil, nil):
            return nil
        }
    }

    /// The header's `typ`, read without trusting anything else in the token (nil when absent).
    public static func headerType(of token: String) -> String? {
        guard let part = token.split(separator: ".", maxSplits: 1).first,
              let data = WebSessions.data(base64URL: String(part)), let text = String(data: data, encoding: .utf8),
              case .object(let fields)? = try? JSONParser.parse(text),
              case .string(let type)? = fields.first(where: { $0.key == "typ" })?.value else { return nil }
        return type
    }

    /// Whether `type` names `expected` (media types compare without case, `application/` optional).
    static func isType(_ type: String?, _ expected: String) -> Bool {
        guard var type = type?.lowercased() else { return false }
        if type.hasPrefix("application/") { type.removeFirst("application/".count) }
        var wanted = expected.lowercased()
        if wanted.hasPrefix("application/") { wanted.removeFirst("application/".count) }
        return type == wanted
    }

    /// The identity a token proves, or why it proves none.
    public func verify(_ token: String, now: Date = Date()) async throws(IdentityError) -> Identity {
        if let identity = verified.identity(for: token, at: now) { return identity }
        let claims: IdentityClaims
        do {
            claims = try await keys.verify(token, as: IdentityClaims.self)
        } catch {
            throw .invalid("\(error)")
        }
        guard claims.iss.value == issuer else { throw .invalid("issuer \(claims.iss.value) is not \(issuer)") }
        guard claims.aud?.value.contains(audience) == true else {
            throw .invalid("audience \(claims.aud?.value.joined(separator: ", ") ?? "(none)") does not include \(audience)")
        }
        guard Self.isType(Self.headerType(of: token), tokenType) else {
            throw .invalid("typ \(Self.headerType(of: token) ?? "(none)") is not \(tokenType): not an access token")
        }
        guard let role = Identity.Role(rawValue: claims.role ?? Identity.Role.member.rawValue) else {
            throw .invalid("unknown role \(claims.role ?? "")")
        }
        guard !claims.sub.value.isEmpty else { throw .invalid("no subject") }
        let identity = Identity(subject: claims.sub.value, role: role, expires: claims.exp.value, nonce: claims.nonce)
        verified.remember(identity, for: token, until: claims.exp.value)
        return identity
    }

    /// Signs a token (shared-secret verifiers only), for development and tests.
    public func token(subject: String, role: Identity.Role = .member, lifetime: TimeInterval = 3600, nonce: String? = nil,
                      now: Date = Date()) async throws -> String {
        guard canSign else {
            throw ConsentError.invalidField(field: "CONSENTRY_JWT_SECRET", message: "is needed to sign tokens; a public key only verifies")
        }
        let claims = IdentityClaims(sub: SubjectClaim(value: subject), iss: IssuerClaim(value: issuer), aud: AudienceClaim(value: [audience]),
                                    exp: ExpirationClaim(value: now.addingTimeInterval(lifetime)),
                                    nbf: NotBeforeClaim(value: now.addingTimeInterval(-5)), iat: IssuedAtClaim(value: now),
                                    role: role.rawValue, nonce: nonce)
        var header = JWTHeader()
        header.typ = tokenType
        return try await keys.sign(claims, header: header)
    }
}

/// A bounded cache of verified tokens; an entry is used only before its token's expiry.
final class VerifiedTokens: Sendable {
    private let entries = Mutex<[String: (identity: Identity, expires: Date)]>([:])
    static let capacity = 100_000

    func identity(for token: String, at now: Date) -> Identity? {
        entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard now < entry.expires else {
                entries[token] = nil
                return nil
            }
            return entry.identity
        }
    }

    func remember(_ identity: Identity, for token: String, until expires: Date) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = (identity, expires)
        }
    }
}
