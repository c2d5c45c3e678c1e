import ConsentCore
import ConsentFormats
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Signs a checkpoint of the log at least once per interval (a second by default) while facts
/// arrive, whether or not anyone asks: each new one replaces the checkpoint file, when one is
/// configured (`serve --checkpoint-file`), so a web server or bucket can publish it as C2SP
/// `tlog-checkpoint` logs publish `checkpoint`, and is counted in the metrics
/// (`consentry_log_checkpoint_size`, `consentry_log_checkpoints_signed_total`). A quiet log
/// signs nothing new. `GET /log/v1/checkpoint` still signs the head as it is when asked.
struct LogPublisher: Service {
    let tree: LogTreeCache
    let signer: LogSigner
    let interval: Duration
    let file: String?
    let metrics: ServerMetrics
    let logger: Logger

    func run() async throws {
        var signed = -1
        let size = Gauge(label: "consentry_log_checkpoint_size", factory: metrics.factory)
        let count = Counter(label: "consentry_log_checkpoints_signed_total", factory: metrics.factory)
        // Until the server stops: a sleep cut short by the shutdown ends the loop.
        while (try? await Task.sleep(for: interval)) != nil, !Task.isShuttingDownGracefully {
            do {
                let head = try await tree.refresh()
                guard head.size != signed else { continue }
                let note = try signer.sign(signer.checkpoint(size: head.size, root: head.root))
                if let file { try Data(note.utf8).write(to: URL(fileURLWithPath: file), options: .atomic) }
                signed = head.size
                size.record(head.size)
                count.increment()
            } catch {
                // The next tick tries again; the failure is in the log, never hidden.
                logger.warning("the log's checkpoint could not be signed or written: \(error)")
            }
        }
    }
}
