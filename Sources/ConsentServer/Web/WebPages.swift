import ConsentCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// What every server-rendered page shares: the session cookie, the templates, and the headers
/// that keep pages out of caches and frames.
struct WebPages: Sendable {
    let sessions: WebSessions
    let configuration: ServerConfiguration
    let library: MustacheLibrary

    /// The session the request's cookie proves, if any.
    func session(_ request: Request) -> WebSessions.Session? {
        request.cookies[WebSessions.cookieName].flatMap { sessions.session(from: $0.value) }
    }

    /// The signed-in member and their session; nil for no session or a staff session.
    func member(_ request: Request) -> (session: WebSessions.Session, member: MemberID)? {
        guard let session = session(request), let member = session.member else { return nil }
        return (session, member)
    }

    /// 401 with a page that says how to sign in (in demo mode, a link to the demo members).
    /// Not a redirect: an unauthenticated request is answered as one, whoever sent it.
    func signInFirst() -> Response {
        var data: [String: Any] = ["title": "Please sign in", "text": "Sign in on the platform to see your privacy settings."]
        if configuration.demo {
            data["text"] = "Sign in to see your privacy settings. This is a demo: pick a demo member to sign in as."
            data["link"] = "/login"
            data["linkText"] = "Sign in as a demo member"
        }
        return page("message", data, status: .unauthorized)
    }

    /// 403 for a form whose CSRF token is missing or not this session's: nothing was changed.
    func formExpired(back link: String, linkText: String) -> Response {
        page("message", ["title": "This form has expired", "text": "Nothing was changed. Go back and try again.",
                         "link": link, "linkText": linkText], status: .forbidden)
    }

    /// The form's fields when its CSRF token belongs to `session`; nil otherwise.
    func form(_ request: Request, session: WebSessions.Session, context: ConsentRequestContext) async throws -> FormFields? {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let form = FormFields(String(buffer: body))
        return sessions.isValidCSRF(form["csrf_token"], for: session) ? form : nil
    }

    func page(_ template: String, _ data: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(data, withTemplate: template) ?? ""
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// 303 See Other, after a form was handled.
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// `2026-01-15 12:00 UTC`.
    static func when(_ instant: Date) -> String {
        Timestamp.format(instant).replacingOccurrences(of: "T", with: " ").prefix(16) + " UTC"
    }
}
