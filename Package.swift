// swift-tools-version: 6.1
import PackageDescription

/// One set of compiler settings for every target.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "consentry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "consentry", targets: ["consentry"]),
        .library(name: "ConsentCore", targets: ["ConsentCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        // The API document validated in tests as OpenAPI 3.1 (already built for the generator).
        .package(url: "https://github.com/mattpolzin/OpenAPIKit", from: "6.4.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-openapi-urlsession", from: "1.4.0"),
    ],
    targets: [
        // Pure domain: policy, members, ledger, eligibility, objections. Foundation only.
        .target(name: "ConsentCore", swiftSettings: swiftSettings),
        // The scanners' hot loops in C, inlined into Swift: byte classes as bit masks (SSE2, or portable C), prefetch.
        .target(name: "CScan"),
        // File formats and digests: policy YAML, JSON Lines records, canonical JSON, SHA-256, audit chain.
        .target(
            name: "ConsentFormats",
            dependencies: [
                "ConsentCore", "CScan",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The storage layer: every store operation written once, over a driver (SQLite or PostgreSQL).
        .target(name: "ConsentStorage", dependencies: ["ConsentCore", "ConsentFormats"], swiftSettings: swiftSettings),
        // The SQLite driver: one file through GRDB, the embedded default.
        // SQLite's process-wide options, set in C: Swift cannot call variadic sqlite3_config.
        .target(name: "CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "ConsentSQLite",
            dependencies: [
                "ConsentCore", "ConsentFormats", "ConsentStorage", "CSQLiteSetup",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL driver, through PostgresNIO: several instances on one database.
        .target(
            name: "ConsentPostgres",
            dependencies: [
                "ConsentCore", "ConsentFormats", "ConsentStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The training-data gate: filter, snapshots, export, lineage, purge. Streams; no store module.
        .target(
            name: "TrainingGate",
            dependencies: [
                "ConsentCore", "ConsentFormats", "CScan",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP application: member API, pages, pipeline API. Never imports a store module.
        .target(
            name: "ConsentServer",
            dependencies: [
                "ConsentCore", "ConsentFormats",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Compiled into the binary (PackageResources), so the server needs no files beside it.
            resources: [.embedInCode("Resources")],
            swiftSettings: swiftSettings
        ),
        // The demo's data and the synthetic population (`consentry demo`, `consentry generate`),
        // with the example policy compiled in.
        .target(name: "ConsentDemo", dependencies: ["ConsentCore", "ConsentFormats"], resources: [.embedInCode("Resources")],
                swiftSettings: swiftSettings),
        // Not a product: fixtures and the store contract suite (re-exports ConsentDemo).
        .target(name: "ConsentTesting", dependencies: ["ConsentCore", "ConsentFormats", "ConsentDemo"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "consentry",
            dependencies: [
                "ConsentCore", "ConsentFormats", "ConsentStorage", "ConsentSQLite", "ConsentPostgres", "ConsentServer", "ConsentDemo", "TrainingGate",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrainingGateTests",
            dependencies: ["TrainingGate", "ConsentCore", "ConsentSQLite", "ConsentTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ConsentCoreTests", dependencies: ["ConsentCore", "ConsentTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "ConsentFormatsTests", dependencies: ["ConsentFormats", "CScan", "ConsentTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ConsentSQLiteTests",
            dependencies: ["ConsentSQLite", "ConsentStorage", "ConsentTesting", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsentPostgresTests",
            dependencies: ["ConsentPostgres", "ConsentStorage", "ConsentTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsentServerTests",
            dependencies: [
                "ConsentServer", "ConsentSQLite", "ConsentTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsentryCLITests",
            dependencies: ["consentry", "ConsentTesting", "ConsentPostgres", "ConsentServer", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // The JSON API through a client generated from openapi.yaml, against a live consentry serve.
        .testTarget(
            name: "APIClientTests",
            dependencies: [
                "consentry", "ConsentTesting",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIURLSession", package: "swift-openapi-urlsession"),
            ],
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
    ]
)
