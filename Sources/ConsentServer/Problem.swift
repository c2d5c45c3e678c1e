import ConsentCore
import ConsentFormats
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An RFC 9457 problem: what went wrong, for whom, and which field.
public struct Problem: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// A stable identifier, e.g. `https://consentry.dev/problems/invalid-field`.
    public var type: String
    public var title: String
    public var detail: String
    /// JSON pointer to the offending part of the request body, when there is one.
    public var pointer: String?
    /// Seconds until the request may be tried again (`Retry-After`), for 429 and 503.
    public var retryAfter: Int?

    public init(status: HTTPResponse.Status, type: String, title: String, detail: String, pointer: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.type = "https://consentry.dev/problems/" + type
        self.title = title
        self.detail = detail
        self.pointer = pointer
        self.retryAfter = retryAfter
    }

    /// A bad request; `pointer` is a JSON pointer into the body ("" = the whole body), nil for headers and queries.
    static func invalid(_ pointer: String?, _ detail: String) -> Problem {
        Problem(status: .badRequest, type: "invalid-request", title: "The request is not valid", detail: detail, pointer: pointer)
    }

    static let unauthenticated = Problem(status: .unauthorized, type: "unauthenticated", title: "Sign in required",
                                         detail: "Present a valid bearer token from the platform's identity provider.")

    /// 422: well-formed, but a value the operation does not take (a window of figures too long).
    static func outside(_ detail: String) -> Problem {
        Problem(status: .unprocessableContent, type: "outside-range", title: "Not a value this request takes", detail: detail)
    }

    static func forbidden(_ detail: String) -> Problem {
        Problem(status: .forbidden, type: "forbidden", title: "Not allowed", detail: detail)
    }

    static let unavailable = Problem(status: .serviceUnavailable, type: "store-unavailable", title: "Temporarily unavailable",
                                     detail: "The consent store cannot be reached; nothing was recorded. Try again shortly.")

    static let notFound = Problem(status: .notFound, type: "not-found", title: "Not found", detail: "There is nothing at this address.")

    /// The problem+json body.
    var json: String {
        var fields: [String: String] = [
            "type": jsonStringLiteral(type), "title": jsonStringLiteral(title),
            "status": String(status.code), "detail": jsonStringLiteral(detail),
        ]
        if let pointer { fields["pointer"] = jsonStringLiteral(pointer) }
        return JSONWriter.object(fields)
    }

    func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }
}

/// Turns every error into problem+json: domain errors by their meaning, anything unexpected
/// into a 500 that reveals nothing (and is logged in full).
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Known addresses and their methods, for 405 answers.
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.response()
        } catch let error as ConsentError {
            return Self.problem(for: error).response()
        } catch is NIOTooManyBytesError {
            return Problem(status: .contentTooLarge, type: "too-large", title: "Request body too large",
                           detail: "Request bodies are limited to 64 KiB.").response()
        } catch let error as HTTPError {
            if error.status == .notFound {
                guard let allowed = routes.methods(for: request.uri.path) else { return Problem.notFound.response() }
                let allow = allowed.map(\.rawValue).joined(separator: ", ")
                var response = Problem(status: .methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
                                       detail: "\(request.method.rawValue) is not answered here; use \(allow).").response()
                response.headers[.allow] = allow
                return response
            }
            if error.status == .contentTooLarge {
                return Problem(status: .contentTooLarge, type: "too-large", title: "Request body too large",
                               detail: "Request bodies are limited to 64 KiB.").response()
            }
            return Problem(status: error.status, type: "http", title: error.status.reasonPhrase, detail: error.body ?? error.status.reasonPhrase).response()
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return Problem(status: .internalServerError, type: "internal", title: "Something went wrong",
                           detail: "The error was logged; nothing about it is shown here.").response()
        }
    }

    static func problem(for error: ConsentError) -> Problem {
        switch error {
        case .storeUnavailable: .unavailable
        case .noActivePolicy:
            Problem(status: .serviceUnavailable, type: "no-policy", title: "No policy is active",
                    detail: "No policy has been applied yet, so no decision can be made.")
        case .invalidField(let field, let message): .invalid("/" + field, message)
        case .outsidePolicy(let field, let message):
            Problem(status: .unprocessableContent, type: "outside-policy", title: "Not allowed by the active policy", detail: message,
                    pointer: "/" + field)
        case .unknownMember: .unauthenticated
        case .unknownObjection: .notFound
        case .illegalTransition(_, let message):
            Problem(status: .conflict, type: "illegal-transition", title: "Not possible in the objection's current state", detail: message)
        case .rateLimited(let message, let wait):
            Problem(status: .tooManyRequests, type: "rate-limited", title: "Too many requests", detail: message, retryAfter: wait)
        case .unknownObjectionRequest:
            Problem(status: .notFound, type: "not-found", title: "Not found", detail: error.description, pointer: "/request")
        case .verificationFailed(let message, _):
            Problem(status: .forbidden, type: "verification-failed", title: "The code was not accepted", detail: message, pointer: "/code")
        case .idempotencyKeyReused(let message):
            Problem(status: .unprocessableContent, type: "idempotency-key-reused", title: "Idempotency-Key already used for another request",
                    detail: message)
        case .verificationClosed(let message):
            Problem(status: .conflict, type: "verification-closed", title: "This request can no longer be verified", detail: message)
        default: Problem(status: .badRequest, type: "invalid-request", title: "The request is not valid", detail: error.description)
        }
    }
}
