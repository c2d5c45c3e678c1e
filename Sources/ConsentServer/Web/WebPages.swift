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
    /// Where signed-out sessions are kept, so that every instance refuses them.
    let store: any ConsentStore

    /// Cookies carry `Secure` (and so may carry the `__Host-` prefix) unless `--insecure-cookies`.
    var secureCookies: Bool { !configuration.insecureCookies }
    var sessionCookieName: String { WebSessions.cookieName(secure: secureCookies) }

    /// The session the request's cookie proves, if any, and if not signed out.
    func session(_ request: Request) async throws -> WebSessions.Session? {
        guard let value = request.cookies[sessionCookieName]?.value, let session = sessions.session(from: value) else { return nil }
        return try await store.isSessionRevoked(session.id) ? nil : session
    }

    /// The signed-in member and their session; nil for no session or a staff session.
    func member(_ request: Request) async throws -> (session: WebSessions.Session, member: MemberID)? {
        guard let session = try await session(request), let member = session.member else { return nil }
        return (session, member)
    }

    /// 401 with a page that says how to sign in, and a link that starts a sign-in coming back to
    /// this page. Not a redirect: an unauthenticated request is answered as one, whoever sent it.
    func signInFirst(_ request: Request) -> Response {
        let next = SignInController.localPath(request.uri.path) ?? SignInController.memberHome
        let catalog = Self.catalog(for: request)
        var data: [String: Any] = ["title": catalog.text("message.sign_in_title"), "text": catalog.text("message.sign_in_text"),
                                   "link": "/auth/sign-in?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                                   "linkText": catalog.text("message.sign_in")]
        if configuration.demo {
            data["text"] = catalog.text("message.sign_in_demo")
            data["linkText"] = catalog.text("message.sign_in_demo_link")
        }
        return page("message", data, status: .unauthorized, catalog: catalog, path: request.uri.path)
    }

    /// 403 for a form whose CSRF token is missing or not this session's: nothing was changed.
    /// `linkText` is a catalog key: the page is in the request's language.
    func formExpired(_ request: Request, back link: String, linkText: String) -> Response {
        let catalog = Self.catalog(for: request)
        return page("message", ["title": catalog.text("message.expired_title"), "text": catalog.text("message.expired_text"),
                                "link": link, "linkText": catalog.text(linkText)], status: .forbidden, catalog: catalog, path: link)
    }

    /// The form's fields when its CSRF token belongs to `session`; nil otherwise.
    func form(_ request: Request, session: WebSessions.Session, context: ConsentRequestContext) async throws -> FormFields? {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let form = FormFields(String(buffer: body))
        return sessions.isValidCSRF(form["csrf_token"], for: session) ? form : nil
    }

    /// Renders `template`; with a session, every page says who is signed in and offers sign-out.
    /// With `catalog` (a page whose texts are in every catalog), the page is in that language and
    /// offers the others; without, in English.
    func page(_ template: String, _ data: [String: Any], status: HTTPResponse.Status = .ok, session: WebSessions.Session? = nil,
              catalog: Catalog? = nil, path: String = "/") -> Response {
        var data = Self.localized(data, catalog: catalog ?? .english, switcherPath: catalog == nil ? nil : path)
        if let session {
            data["account"] = ["name": session.subject, "staff": session.role == .privacy, "csrf": sessions.csrfToken(for: session)] as [String: Any]
        }
        let html = library.render(data, withTemplate: template) ?? ""
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// Each catalog's texts as the templates read them (`{{t.setting.title}}`), made once and
    /// never changed (hence safe to share, though `Any` is not `Sendable`).
    nonisolated(unsafe) static let texts: [String: [String: Any]] = Dictionary(uniqueKeysWithValues: Catalog.all.map { ($0.code, $0.templateTexts) })

    /// `data` with the catalog's texts (`t`) and language (`lang`), and with a `switcherPath`,
    /// the switcher's links to the other languages, each coming back to that path.
    static func localized(_ data: [String: Any], catalog: Catalog, switcherPath: String?) -> [String: Any] {
        var data = data
        data["t"] = texts[catalog.code]
        data["lang"] = catalog.code
        data["hasLanguages"] = switcherPath != nil
        if let switcherPath {
            let next = switcherPath.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "%2F"
            data["languages"] = Catalog.all.map { other -> [String: Any] in
                ["code": other.code, "name": other.text("language.name"), "current": other.code == catalog.code,
                 "href": "/language?to=\(other.code)&next=" + next]
            }
        }
        return data
    }

    /// The language of the request: the switcher's cookie, else `Accept-Language`.
    static func catalog(for request: Request) -> Catalog {
        Catalog.negotiate(cookie: request.cookies[Catalog.cookieName]?.value, acceptLanguage: request.headers[.acceptLanguage])
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
