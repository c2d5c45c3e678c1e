/// `examples/policy.yaml`, compiled into the binary: the policy the demo applies.
public enum ExamplePolicy {
    public static let yaml = String(decoding: PackageResources.policy_yaml, as: UTF8.self)
}
