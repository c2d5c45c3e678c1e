import Foundation

/// Named points where a test can make the process die as `kill -9` would
/// (`CONSENTRY_FAILPOINT=purge-switched`): the crash-safety tests stop a purge at each of its
/// steps, and a bulk write of the SQLite store just before its commit.
public enum Failpoint {
    public static let armed = ProcessInfo.processInfo.environment["CONSENTRY_FAILPOINT"]

    public static func hit(_ name: String) {
        guard let armed, armed == name else { return }
        kill(getpid(), SIGKILL)
    }
}
