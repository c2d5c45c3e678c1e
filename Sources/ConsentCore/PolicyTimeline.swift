import Foundation

/// Which policy version was in force when: every activation, in order.
///
/// The rule: a version is in force from its activation until the next one; the first version
/// activated also covers every instant before it (its regions' effective dates say where it
/// applied). A later `policy apply` therefore never changes the answer about an instant before
/// it.
public struct PolicyTimeline: Sendable, Equatable {
    public struct Activation: Sendable, Equatable {
        public var version: PolicyVersion
        public var at: Date

        public init(version: PolicyVersion, at: Date) {
            self.version = version
            self.at = at
        }
    }

    /// Oldest first.
    public let activations: [Activation]

    /// A timeline from activations in the order they were made.
    public init(_ activations: [Activation]) { self.activations = activations }

    /// The version in force at `instant`; nil only when no version was ever activated.
    public func version(at instant: Date) -> PolicyVersion? {
        activations.last(where: { $0.at <= instant })?.version ?? activations.first?.version
    }

    /// The version in force now: the last activated.
    public var current: PolicyVersion? { activations.last?.version }

    /// The timeline as it stood at `moment`: only the activations made by then.
    public func known(at moment: Date) -> PolicyTimeline {
        PolicyTimeline(activations.filter { $0.at <= moment })
    }
}
