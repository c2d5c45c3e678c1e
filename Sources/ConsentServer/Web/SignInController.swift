import ConsentCore
import ConsentFormats
import Foundation
import HTTPTypes
import Hummingbird

/// Signing in to the pages, and out.
///
/// 1. `GET /auth/sign-in?next=PATH` starts a sign-in: it sets a short-lived cookie holding a
///    random `state` and `nonce` (signed, 10 minutes), and sends the browser to the platform's
///    sign-in (`CONSENTRY_SIGN_IN_URL`, or the demo's `/login`) with both.
/// 2. The platform signs the person in and has the browser POST a form to `/auth/callback` with
///    `state` and `token`, a token whose `nonce` claim is the nonce it was sent (the OpenID
///    Connect form_post hand-off). The token never appears in a URL, a history or a log.
/// 3. The callback accepts it only from the browser that began the sign-in (its cookie's state,
///    so nobody can sign a victim into another account) with the nonce of that sign-in (so a
///    token seen elsewhere cannot be used again), and starts a session that ends when the token
///    does, at most 8 hours.
/// 4. `POST /auth/sign-out` (CSRF) ends the session on every instance: the store keeps it
///    revoked until it would have expired.
struct SignInController {
    let states: MemberStates
    let identity: IdentityVerifier
    let web: WebPages
    let now: @Sendable () -> Date

    static let memberHome = "/settings/data-privacy"

    var sessions: WebSessions { web.sessions }
    var configuration: ServerConfiguration { web.configuration }

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.get("auth/sign-in", use: begin)
        router.post("auth/callback", use: callback)
        router.post("auth/sign-out", use: signOut)
        router.get("login", use: login)
    }

    /// `path` when it is a path on this site (one leading `/`, no scheme, host or control
    /// characters), which is all a sign-in may return to; nil otherwise.
    static func localPath(_ path: String?) -> String? {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.hasPrefix("/\\"), path.utf8.count <= 512,
              !path.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || $0 == "\\" })
        else { return nil }
        return path
    }

    @Sendable func begin(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let next = Self.localPath(request.uri.queryParameters.get("next").map { String($0) }) ?? Self.memberHome
        let destination: String
        let (signIn, cookie) = sessions.beginSignIn(next: next, now: now())
        let query = "state=\(signIn.state)&nonce=\(signIn.nonce)"
        if let platform = configuration.signInURL {
            destination = platform + (platform.contains("?") ? "&" : "?") + query
        } else if configuration.demo {
            destination = "/login?" + query
        } else {
            return web.page("message", ["title": "Sign-in is not set up",
                                        "text": "This server has no sign-in page to send you to (CONSENTRY_SIGN_IN_URL is not set)."],
                            status: .serviceUnavailable)
        }
        var response = WebPages.redirect(destination)
        // The platform posts back from its own site: a SameSite=Lax cookie would not come with
        // that POST, so this one is SameSite=None (it needs Secure, and holds no session).
        response.setCookie(Cookie(name: WebSessions.signInCookieName(secure: web.secureCookies), value: cookie,
                                  maxAge: Int(WebSessions.signInLifetime), path: "/", secure: web.secureCookies, httpOnly: true,
                                  sameSite: web.secureCookies ? .none : .lax))
        return response
    }

    @Sendable func callback(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let form = FormFields(String(buffer: body))
        let instant = now()
        guard let value = request.cookies[WebSessions.signInCookieName(secure: web.secureCookies)]?.value,
              let signIn = sessions.signIn(from: value, now: instant),
              let state = form["state"], Digest.constantTimeEqual(state, signIn.state) else {
            // Not begun in this browser (or too long ago): perhaps someone else's sign-in,
            // posted here to sign this browser into their account.
            return web.page("message", ["title": "Sign-in not accepted",
                                        "text": "This sign-in did not start in this browser, or took longer than 10 minutes. Nothing was changed.",
                                        "link": "/auth/sign-in", "linkText": "Sign in again"], status: .forbidden)
        }
        let failed = web.page("message", ["title": "Sign-in failed", "text": "The platform's answer was not valid or has expired. Sign in again.",
                                          "link": "/auth/sign-in", "linkText": "Sign in again"], status: .unauthorized)
        guard let token = form["token"], let verified = try? await identity.verify(token),
              let nonce = verified.nonce, Digest.constantTimeEqual(nonce, signIn.nonce) else {
            context.logger.notice("refused sign-in token")
            return failed
        }
        let destination: String
        switch verified.role {
        case .member:
            guard let member = verified.member, try await states.state(of: member) != nil else { return failed }
            destination = signIn.next.hasPrefix("/settings/") || signIn.next == Self.memberHome ? signIn.next : Self.memberHome
        case .privacy:
            destination = signIn.next.hasPrefix(AdminPages.queuePath) ? signIn.next : AdminPages.queuePath
        case .pipeline:
            return failed
        }
        // The session ends when the token does, and never after 8 hours.
        let expires = min(verified.expires, Date().addingTimeInterval(WebSessions.lifetime))
        var response = WebPages.redirect(destination)
        response.setCookie(Cookie(name: web.sessionCookieName, value: sessions.issue(subject: verified.subject, role: verified.role, expires: expires),
                                  maxAge: max(1, Int(expires.timeIntervalSinceNow)), path: "/", secure: web.secureCookies,
                                  httpOnly: true, sameSite: .lax))
        response.setCookie(Self.expired(WebSessions.signInCookieName(secure: web.secureCookies), secure: web.secureCookies))
        return response
    }

    @Sendable func signOut(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let session = try await web.session(request) else { return web.signInFirst(request) }
        guard try await web.form(request, session: session, context: context) != nil else {
            return web.formExpired(request, back: session.role == .privacy ? AdminPages.queuePath : Self.memberHome, linkText: "message.back")
        }
        try await web.store.revokeSession(session.id, expires: session.expires)
        var response = web.page("message", ["title": "Signed out", "text": "You are signed out on every device that used this session.",
                                            "link": "/auth/sign-in", "linkText": "Sign in again"])
        response.setCookie(Self.expired(web.sessionCookieName, secure: web.secureCookies))
        return response
    }

    /// A cookie that removes `name` from the browser.
    static func expired(_ name: String, secure: Bool) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// The demo's stand-in for the platform's sign-in: pick a demo member (or the privacy team),
    /// and the page posts a token carrying the sign-in's nonce back to `/auth/callback`.
    @Sendable func login(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard configuration.demo, identity.canSign else { throw Problem.notFound }
        let query = request.uri.queryParameters
        guard let state = query.get("state").map { String($0) }, let nonce = query.get("nonce").map { String($0) },
              !state.isEmpty, !nonce.isEmpty else {
            return WebPages.redirect("/auth/sign-in")
        }
        var members: [[String: String]] = []
        for demo in configuration.demoMembers {
            let token = try await identity.token(subject: demo.member.rawValue, lifetime: 600, nonce: nonce)
            members.append(["label": demo.label, "id": demo.member.rawValue, "token": token])
        }
        let staff = try await identity.token(subject: "privacy-team@demo", role: .privacy, lifetime: 600, nonce: nonce)
        let catalog = WebPages.catalog(for: request)
        return web.page("login", ["title": catalog.text("message.sign_in"), "members": members, "staffToken": staff, "state": state],
                        catalog: catalog, path: request.uri.description)
    }
}
