import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to a loopback server, for requests no HTTP client would send (a
/// body that never comes, a malformed header).
public struct RawConnection {
    public let fd: Int32

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 { throw CocoaError(.fileReadUnknown) }
    }

    public func send(_ text: String) { _ = text.withCString { write(fd, $0, strlen($0)) } }
    public func close() { _ = Glibc.close(fd) }
}
