import HTTPTypes
import Hummingbird

/// Headers every response carries, whatever answered it:
/// - `X-Content-Type-Options: nosniff`: a browser never guesses a type other than the one sent;
/// - `Referrer-Policy: no-referrer`: a page's address (a member's objection, the queue) never
///   leaves in a `Referer` to another site;
/// - `Cache-Control: no-store` unless the route set its own (the stylesheet is cacheable):
///   member data and pages stay out of shared and browser caches;
/// - `Strict-Transport-Security` (a year, subdomains included) unless the server runs with
///   `--insecure-cookies`, i.e. behind TLS: a browser that has seen it never speaks plain HTTP
///   to this host again.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let strictTransport: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if strictTransport { response.headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
        return response
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
