// swift-tools-version: 6.1
// Programs that use TLSKit, each a runnable example with a loopback self-check (`--self-test`). A package of its own,
// so the library's users never resolve gRPC; it depends only on packages the main package already resolves, plus
// the gRPC pair's grpc-swift. scripts/test.sh builds every product and runs each with `--self-test`.
import PackageDescription

let package = Package(
    name: "TLSKitExamples",
    // grpc-swift 2 needs macOS 15 (Linux: any).
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GRPCTLSKit", targets: ["GRPCTLSKit"]),
        .executable(name: "grpc-tlskit-example", targets: ["grpc-tlskit-example"]),
        .executable(name: "https-client", targets: ["https-client"]),
        .executable(name: "http-server", targets: ["http-server"]),
        .executable(name: "hummingbird-server", targets: ["hummingbird-server"]),
        .executable(name: "engine-loop", targets: ["engine-loop"]),
    ],
    dependencies: [
        .package(name: "TLSKit", path: ".."),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // The same versions as the main package's (which uses them for TLSKitHummingbird).
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
    ],
    targets: [
        // gRPC server and client transports with TLSKit in the channel pipeline.
        .target(
            name: "GRPCTLSKit",
            dependencies: [
                .product(name: "TLSKit", package: "TLSKit"),
                .product(name: "TLSKitNIO", package: "TLSKit"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // A mutual-TLS echo over gRPC on 127.0.0.1: exits 0 when the round trip and the peer checks succeed.
        .executableTarget(
            name: "grpc-tlskit-example",
            dependencies: [
                "GRPCTLSKit",
                .product(name: "TLSKit", package: "TLSKit"),
                .product(name: "TLSKitNIO", package: "TLSKit"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
            ]
        ),
        // GET a URL over TLSKit with SwiftNIO's HTTP/1.1 client codec.
        .executableTarget(
            name: "https-client",
            dependencies: [
                .product(name: "TLSKit", package: "TLSKit"),
                .product(name: "TLSKitNIO", package: "TLSKit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // An HTTP/1.1 + HTTP/2 server (chosen by ALPN) on SwiftNIO and swift-nio-http2.
        .executableTarget(
            name: "http-server",
            dependencies: [
                .product(name: "TLSKit", package: "TLSKit"),
                .product(name: "TLSKitNIO", package: "TLSKit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            ]
        ),
        // A Hummingbird 2 application served over TLSKit (the TLSKitHummingbird product).
        .executableTarget(
            name: "hummingbird-server",
            dependencies: [
                .product(name: "TLSKit", package: "TLSKit"),
                .product(name: "TLSKitNIO", package: "TLSKit"),
                .product(name: "TLSKitHummingbird", package: "TLSKit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The sans-I/O engine driven by hand over blocking sockets: no SwiftNIO at all.
        .executableTarget(
            name: "engine-loop",
            dependencies: [.product(name: "TLSKit", package: "TLSKit")]
        ),
    ]
)
