import ConsentCore
import HTTPTypes
import Hummingbird
import NIOCore

/// The request context of every route: who is calling, once a token proved it.
public struct ConsentRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Identity?
    /// The peer's address (the proxy's, behind one): see ``ClientAddress``.
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
        remoteAddress = source.channel.remoteAddress
    }

    /// Request bodies are small JSON documents: anything over 64 KiB is refused with 413.
    public var maxUploadSize: Int { 64 * 1024 }
}

/// Requires a valid bearer token and records the identity it proves.
struct BearerAuthenticator: RouterMiddleware {
    typealias Context = ConsentRequestContext
    let verifier: IdentityVerifier
    let states: MemberStates

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], let token = BearerTokenParsing.token(header) else {
            throw Problem.unauthenticated
        }
        let identity: Identity
        do {
            identity = try await verifier.verify(token)
        } catch {
            context.logger.notice("refused token", metadata: ["reason": "\(error)"])
            throw Problem.unauthenticated
        }
        // A member token must name a member the store knows: every member route looks the member
        // up and answers 401 when it is unknown, so the check costs no extra lookup here.
        if identity.role == .member && identity.member == nil { throw Problem.unauthenticated }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }
}

/// Reads `Authorization: Bearer <token>` headers.
public enum BearerTokenParsing {
    /// The token of a Bearer header (scheme case-insensitive), read on bytes: this runs on
    /// every API request. Nil for any other header.
    public static func token(_ header: String) -> String? {
        let bytes = header.utf8
        guard bytes.count > 7, bytes.prefix(6).map({ $0 | 0x20 }).elementsEqual("bearer".utf8),
              bytes.dropFirst(6).first == UInt8(ascii: " ") else { return nil }
        let token = bytes.dropFirst(7).drop { $0 == UInt8(ascii: " ") }
        let end = token.lastIndex { $0 != UInt8(ascii: " ") }.map { token.index(after: $0) } ?? token.startIndex
        let trimmed = token[token.startIndex..<end]
        return trimmed.isEmpty ? nil : String(decoding: trimmed, as: UTF8.self)
    }
}

extension ConsentRequestContext {
    /// The calling member; a token for another role is refused.
    func requireMember() throws -> MemberID {
        guard let identity else { throw Problem.unauthenticated }
        guard let member = identity.member else { throw Problem.forbidden("This route is for members; the token's role is \(identity.role.rawValue).") }
        return member
    }

    func require(_ role: Identity.Role) throws {
        guard let identity else { throw Problem.unauthenticated }
        guard identity.role == role else { throw Problem.forbidden("This route needs the \(role.rawValue) role; the token's role is \(identity.role.rawValue).") }
    }
}
