import ConsentCore
import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import Prometheus
import Synchronization

/// The server's metrics, in one Prometheus registry owned by the application (no global state,
/// so several applications can run in one process, as the tests do). Served at `GET /metrics`.
public struct ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    /// Each label set's counter and timer, made once: the factory's lookup costs more than a count.
    private let handles = RequestMetricHandles()

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                   .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                   .milliseconds(500), .seconds(1), .seconds(2), .seconds(5)]
        self.factory = factory
    }

    /// Counts a request by route, method and status, and times it by route.
    func recordRequest(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, duration: Duration) {
        let (counter, timer) = handles.forRequest(route: route, method: method, status: status) {
            (Counter(label: "consentry_http_requests_total",
                     dimensions: [("route", route), ("method", method.rawValue), ("status", String(status.code))], factory: factory),
             Metrics.Timer(label: "consentry_http_request_duration_seconds", dimensions: [("route", route)], factory: factory))
        }
        counter.increment()
        timer.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Counts a durable choice by channel and value.
    func recordChoice(_ event: ConsentEvent) {
        handles.forChoice(channel: event.channel, choice: event.choice) {
            Counter(label: "consentry_choices_recorded_total",
                    dimensions: [("channel", event.channel.rawValue), ("value", event.choice.rawValue)], factory: factory)
        }.increment()
    }

    /// The Prometheus text exposition.
    func exposition() -> String { registry.emitToString() }
}

/// The request counters and timers made so far, by route, method and status, and the choice
/// counters, by channel and value.
private final class RequestMetricHandles: Sendable {
    private let requests = MadeOnce<(Metrics.Counter, Metrics.Timer)>()
    private let choices = MadeOnce<Metrics.Counter>()

    func forChoice(channel: Channel, choice: Choice, make: () -> Metrics.Counter) -> Metrics.Counter {
        choices.value(for: channel.rawValue + " " + choice.rawValue, make)
    }

    func forRequest(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status,
                    make: () -> (Metrics.Counter, Metrics.Timer)) -> (Metrics.Counter, Metrics.Timer) {
        requests.value(for: "\(route) \(method.rawValue) \(status.code)", make)
    }
}

/// Values made once per key, on first use: the metrics factory's lookup costs more than a count.
private final class MadeOnce<Value: Sendable>: Sendable {
    private let made = Mutex<[String: Value]>([:])

    func value(for key: String, _ make: () -> Value) -> Value {
        made.withLock { made in
            if let value = made[key] { return value }
            let value = make()
            made[key] = value
            return value
        }
    }
}

/// Objection gauges, computed from the store when `/metrics` is scraped: how many are open,
/// how many are past their deadline, and how long decisions took.
public enum ObjectionMetrics {
    public static func exposition(_ objections: [Objection], now: Date) -> String {
        let open = objections.filter { $0.status.isPending }
        let overdue = open.filter { $0.currentDue < now }
        let decisions = objections.compactMap { objection in objection.decision.map { $0.at.timeIntervalSince(objection.receivedAt) } }
        return """
            # HELP consentry_objections_open Objections received or extended and not yet decided.
            # TYPE consentry_objections_open gauge
            consentry_objections_open \(open.count)
            # HELP consentry_objections_overdue Undecided objections past the deadline in force.
            # TYPE consentry_objections_overdue gauge
            consentry_objections_overdue \(overdue.count)
            # HELP consentry_objection_time_to_decision_seconds From receipt to decision, for decided objections.
            # TYPE consentry_objection_time_to_decision_seconds summary
            consentry_objection_time_to_decision_seconds_sum \(String(format: "%.3f", decisions.reduce(0, +)))
            consentry_objection_time_to_decision_seconds_count \(decisions.count)

            """
    }
}

/// Records every request in ``ServerMetrics`` under its route template, never its raw path
/// (so ids in paths cannot blow up the label space).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.recordRequest(route: route, method: request.method, status: response.status, duration: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? (error as? Problem)?.status ?? .internalServerError
            metrics.recordRequest(route: route, method: request.method, status: status, duration: ContinuousClock.now - start)
            throw error
        }
    }
}
