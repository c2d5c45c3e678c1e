@_exported import ConsentDemo
/// Policies used by the tests and the benchmarks.
public enum Fixtures {
    /// The example policy: `examples/policy.yaml` itself, as the demo embeds it.
    public static var examplePolicyYAML: String { ExamplePolicy.yaml }
}
