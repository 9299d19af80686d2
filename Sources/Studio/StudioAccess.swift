import Foundation

/// Who may talk to the studio: the user's own browser, or a program the user runs. Other web
/// pages open in the same browser are refused (a page that rebinds its own name to
/// 127.0.0.1 fails the Host check; a cross-origin request fails the Origin check), and when
/// a token is set, so is anyone who does not carry it. Decisions are pure functions of a
/// request's head; `StudioAccessMiddleware` applies them.
public struct StudioAccess: Sendable {
    /// Host names (lower case, IPv6 in brackets, no port) a request's `Host` may name.
    public let hostNames: [String]
    /// The secret every request must carry (nil: none needed).
    public let token: String?

    /// The query parameter that carries the token (also a part of the cookie's name).
    public static let tokenParameter = "token"

    public init(hostNames: [String], token: String?) {
        self.hostNames = hostNames
        self.token = token
    }

    /// The loopback names, the address the studio listens on and, when it listens on every
    /// interface (`0.0.0.0`, `::`), this machine's addresses and name.
    public init(configuration: StudioConfiguration) {
        var names = ["127.0.0.1", "localhost", "[::1]", Self.hostName(configuration.host)]
        if Self.isWildcard(configuration.host) { names += Self.machineNames().map(Self.hostName) }
        var seen = Set<String>()
        self.init(hostNames: names.filter { seen.insert($0).inserted }, token: configuration.token)
    }

    /// What `decide` needs of a request.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// The `Host` header; `extraHosts` counts any further `Host` headers.
        public var host: String?
        public var extraHosts = 0
        public var origin: String?
        /// `Sec-Fetch-Site`: `same-origin`, `same-site`, `cross-site` or `none`.
        public var fetchSite: String?
        public var queryToken: String?
        public var authorization: String?
        /// Every `name=value` pair of the `Cookie` headers.
        public var cookies: [String] = []
        /// The port the connection arrived on.
        public var localPort: Int

        public init(method: String, path: String, host: String?, localPort: Int) {
            self.method = method
            self.path = path
            self.host = host
            self.localPort = localPort
        }
    }

    public enum Decision: Equatable, Sendable {
        case allow
        /// The token came in the page's URL: set the cookie and send the browser to `location`
        /// (the same page without the token, so it does not stay in the address bar).
        case rememberToken(location: String)
        /// 403 with this one-line reason.
        case refuse(String)
    }

    public func decide(_ r: Request) -> Decision {
        // Host: a page whose own name resolves to 127.0.0.1 still sends its own name here.
        guard r.extraHosts == 0 else { return .refuse("more than one Host header") }
        guard let host = r.host, let address = Self.split(host: host), hostNames.contains(address.name),
              address.port == r.localPort || (address.port == nil && r.localPort == 80) else {
            let shown = (r.host ?? "").prefix(80)
            let addresses = hostNames.prefix(4).map { "\($0):\(r.localPort)" } + (hostNames.count > 4 ? ["…"] : [])
            return .refuse("Host '\(shown)' is not this studio's address (\(addresses.joined(separator: ", ")))")
        }
        // Origin: only the studio's own page may call the API or change anything; any site
        // may link to the page itself. Browsers send Origin with every POST and
        // Sec-Fetch-Site with every request; programs that are not browsers send neither.
        if !Self.isPage(r) {
            if let origin = r.origin, origin.lowercased() != "http://" + host.lowercased() {
                return .refuse("cross-origin request from '\(origin.prefix(80))' refused")
            }
            if let site = r.fetchSite?.lowercased(), site == "cross-site" || site == "same-site" {
                return .refuse("request from another site (Sec-Fetch-Site: \(site)) refused")
            }
        }
        guard let token else { return .allow }
        if let given = r.queryToken {
            guard Self.equal(given, token) else { return .refuse(Self.wrongToken) }
            return Self.isPage(r) ? .rememberToken(location: r.path) : .allow
        }
        let cookieName = cookieName(port: r.localPort) + "="
        let carried = r.cookies.first { $0.hasPrefix(cookieName) }.map { String($0.dropFirst(cookieName.count)) }
            ?? r.authorization.flatMap(Self.authorizationToken)
        guard let carried else {
            return .refuse("this studio needs its token: open the URL with ?token= that it printed when it started")
        }
        // A cookie from an earlier run of the studio (each run makes a new token) ends here too.
        return Self.equal(carried, token) ? .allow : .refuse(Self.wrongToken)
    }

    static let wrongToken = "wrong token: open the URL with ?token= that the studio printed when it last started"

    /// A request for the page or its files, which read and change nothing. (Browsers
    /// resolve `..` in paths before sending, so another site cannot reach the API this way;
    /// anything else under `/static/` is not found.)
    static func isPage(_ r: Request) -> Bool {
        ["GET", "HEAD"].contains(r.method) && (r.path == "/" || r.path.hasPrefix("/static/"))
    }

    /// Per port, so two studios on one machine (cookies ignore ports) keep their own.
    public func cookieName(port: Int) -> String { "adaptive-eq-studio-\(Self.tokenParameter)-\(port)" }

    /// The cookie that carries the token for the rest of the browser session: not readable
    /// by scripts, and not sent with requests started by other sites.
    public func cookie(port: Int) -> String {
        "\(cookieName(port: port))=\(token ?? ""); Path=/; HttpOnly; SameSite=Strict"
    }

    /// 24 bytes from the system's cryptographic generator (getrandom on Linux), in hex.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<24).map { _ in
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    /// True for the loopback addresses: only this machine can connect.
    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host.lowercased())
    }

    /// `host` as a URL names it; for every interface, this machine's name.
    public static func urlHost(_ host: String) -> String {
        isWildcard(host) ? hostName(machineNames().first ?? "127.0.0.1") : hostName(host)
    }

    // MARK: - parts

    static func isWildcard(_ host: String) -> Bool { ["0.0.0.0", "::", "[::]"].contains(host) }

    /// `host` as a `Host` header names it: lower case, an IPv6 address in brackets.
    static func hostName(_ host: String) -> String {
        let name = host.lowercased()
        return name.contains(":") && !name.hasPrefix("[") ? "[\(name)]" : name
    }

    /// `name:port`, `[v6]:port` or a bare name; nil when malformed.
    static func split(host: String) -> (name: String, port: Int?)? {
        let text = host.lowercased()
        let name: Substring, rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            name = text[...close]
            rest = text[text.index(after: close)...]
        } else {
            let colon = text.firstIndex(of: ":") ?? text.endIndex
            name = text[..<colon]
            rest = text[colon...]
        }
        if rest.isEmpty { return name.isEmpty ? nil : (String(name), nil) }
        guard rest.first == ":", let port = Int(rest.dropFirst()), (0...65_535).contains(port),
              rest.dropFirst().allSatisfy(\.isNumber) else { return nil }
        return (String(name), port)
    }

    /// The token of `Authorization: token X` (as Jupyter takes it) or `Bearer X`.
    static func authorizationToken(_ field: String) -> String? {
        let parts = field.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, ["token", "bearer"].contains(parts[0].lowercased()) else { return nil }
        return String(parts[1])
    }

    /// Compares in time that depends only on the lengths, so timing tells nothing of the token.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// This machine's interface addresses and host name (what other machines may call it).
    static func machineNames() -> [String] {
        var names: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 {
            let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !name.isEmpty { names.append(name) }
        }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return names }
        defer { freeifaddrs(list) }
        var next = list
        while let entry = next {
            next = entry.pointee.ifa_next
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(address, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let name = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // A link-local address carries its interface ("%eth0"), which no Host header does.
            if !name.contains("%") { names.append(name) }
        }
        return names
    }
}
