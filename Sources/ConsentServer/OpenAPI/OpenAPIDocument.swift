/// The OpenAPI 3.1 description of every route: `Resources/openapi.yaml`, compiled into the
/// binary and served at `/openapi.yaml` byte for byte.
public enum OpenAPIDocument {
    public static let bytes: [UInt8] = PackageResources.openapi_yaml
    public static var yaml: String { String(decoding: bytes, as: UTF8.self) }
}
