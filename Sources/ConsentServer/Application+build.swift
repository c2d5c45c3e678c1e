import ConsentCore
import ConsentFormats
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the Consentry HTTP application over `store`; `consentry serve` and the tests both use it.
///
/// - `GET /openapi.yaml`: the OpenAPI 3.1 description of every route.
/// - `GET /healthz`: the process is up.
/// - `GET /readyz`: the store can be read (503 problem otherwise).
/// - `GET /metrics`: Prometheus text: requests by route and status, latency, choices by channel and
///   value, objections open and overdue, time to decision (``MetricsEndpoint``; with a token, only for it).
/// - `/api/v1/me/...`: the calling member's own setting and objections (bearer token).
/// - `/api/v1/admin/objections...`: the privacy team's queue, extensions and decisions (role `privacy`).
/// - `POST /objections/public`, `POST /objections/public/verify`: non-members object, after verifying their email.
/// - `POST /api/v1/eligibility:batch`, `GET /api/v1/exclusions`: decisions in bulk (role `pipeline`).
/// - `/settings/data-privacy/...`: the member's web pages; `/auth/sign-in`, `/auth/callback`,
///   `/auth/sign-out` (and the demo's `/login`): signing in and out (``SignInController``).
/// - `/admin/objections...`: the privacy team's pages.
/// - `GET /log/v1/checkpoint`, `GET /log/v1/proof/consistency`: the transparency log (``LogController``),
///   whose checkpoint is also signed every second while facts arrive (``LogPublisher``).
public func buildApplication(store: any LineageStore, identity: IdentityVerifier, configuration: ServerConfiguration,
                             sessionSecret: String? = WebSessions.secretFromEnvironment(),
                             logSigner: LogSigner? = nil,
                             metrics: ServerMetrics = ServerMetrics(),
                             now: @escaping @Sendable () -> Date = Date.init,
                             logger: Logger = Logger(label: "consentry")) throws -> some ApplicationProtocol {
    let states = MemberStates(store: store, metrics: metrics, writeLimit: configuration.limits.memberWrites)
    let router = Router(context: ConsentRequestContext.self)
    router.add(middleware: SecurityHeadersMiddleware(strictTransport: !configuration.insecureCookies))
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    let routes = RouteTable()
    router.add(middleware: ProblemMiddleware(routes: routes))
    MetricsEndpoint(metrics: metrics, gauges: ObjectionGauges(store: store, now: now), token: configuration.metricsToken).addRoutes(to: router)
    router.get("openapi.yaml") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.bytes)))
    }
    router.get("healthz") { _, _ in JSONResponse.ok(#"{"status":"up"}"#) }
    router.get("readyz") { _, _ -> Response in
        do {
            _ = try await store.activePolicy()
            return JSONResponse.ok(#"{"status":"ready"}"#)
        } catch {
            return Problem.unavailable.response()
        }
    }
    let authenticator = BearerAuthenticator(verifier: identity, states: states)
    let me = router.group("api/v1/me").add(middleware: authenticator)
    AITrainingController(states: states, lineage: store, now: now).addRoutes(to: me)
    let desk = ObjectionDesk(states: states, store: store, now: now, limits: configuration.limits)
    MemberObjectionsAPI(desk: desk).addRoutes(to: me)
    AdminObjectionsAPI(desk: desk).addRoutes(to: router.group("api/v1/admin").add(middleware: authenticator))
    PublicObjectionsAPI(desk: desk, clientAddress: try ClientAddress(headerName: configuration.clientAddressHeader)).addRoutes(to: router)
    let log = LogController(store: store, signer: logSigner)
    let pipeline = router.group("api/v1").add(middleware: authenticator)
    PipelineController(store: store, now: now, log: log).addRoutes(to: pipeline)
    let web = WebPages(sessions: try WebSessions(secret: sessionSecret), configuration: configuration, library: try Templates.library(),
                       store: store)
    log.addRoutes(to: router)
    log.addMemberRoutes(to: me)
    log.addPageRoutes(to: router, web: web)
    var services: [any Service] = []
    if let logSigner {
        // Read the log once while the server starts, so the first checkpoint asked for is quick.
        let tree = log.tree
        Task { _ = try? await tree.refresh() }
        services.append(LogPublisher(tree: tree, signer: logSigner, interval: configuration.checkpointInterval,
                                     file: configuration.checkpointFile, metrics: metrics, logger: logger))
    }
    SignInController(states: states, identity: identity, web: web, now: now).addRoutes(to: router)
    SettingsController(states: states, lineage: store, web: web, now: now, receipts: logSigner != nil).addRoutes(to: router)
    ObjectionPages(desk: desk, web: web, receipts: logSigner != nil).addRoutes(to: router)
    let adminPages = AdminPages(desk: desk, web: web)
    adminPages.addRoutes(to: router)
    FiguresPages(store: store, web: web, admin: adminPages, now: now, minimumCount: configuration.transparencyMinimumCount).addRoutes(to: router)
    routes.load(from: router)
    return Application(
        router: router,
        server: .http1(configuration: .init(
            additionalChannelHandlers: [RequestReadTimeout(timeout: TimeAmount(configuration.requestReadTimeout))],
            idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "consentry"),
        services: services,
        onServerRunning: { channel in await configuration.onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}
