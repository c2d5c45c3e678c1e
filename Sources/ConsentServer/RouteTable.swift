import HTTPTypes
import Hummingbird
import Synchronization

/// The methods each route answers, so a known address asked with another method gets
/// 405 Method Not Allowed with an `Allow` header instead of a misleading 404.
///
/// Filled from the router once every route is registered; read by `ProblemMiddleware`.
final class RouteTable: Sendable {
    private let routes = Mutex<[(components: [Substring], methods: [HTTPRequest.Method])]>([])

    func load<Context>(from router: Router<Context>) {
        var byPath: [String: [HTTPRequest.Method]] = [:]
        for route in router.routes { byPath["\(route.path)", default: []].append(route.method) }
        routes.withLock { table in
            table = byPath.map { (Self.components($0.key), $0.value.sorted { $0.rawValue < $1.rawValue }) }
        }
    }

    /// The methods `path` answers, or nil when no route has that address.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let asked = Self.components(path)
        return routes.withLock { table in
            table.first { route in
                route.components.count == asked.count
                    && zip(route.components, asked).allSatisfy { $0.first == ":" || $0.first == "{" || $0 == $1 }
            }?.methods
        }
    }

    private static func components(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
