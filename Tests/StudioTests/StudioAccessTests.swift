import AEQTestSupport
import Foundation
import Studio
import Testing

/// Who may talk to the studio: requests as another web page in the user's browser would send
/// them (another Host, another Origin, no token) against a live server on a loopback port,
/// written byte for byte so nothing in between adds or fixes a header.
@Suite struct StudioAccessTests {
    static let answer = #"{"word":"warm","intensity":0.7,"mode":"adaptive","track":"opening","processed":"A","chosen":"B"}"#

    @Test func aForeignHostIsRefusedEverywhere() async throws {
        let (state, _) = try makeStudio()
        try await withStudio(state) { client in
            let port = client.port
            for host in ["evil.example:\(port)", "evil.example", "127.0.0.1:\(port + 1)", "127.0.0.1", "localhost.evil.example:\(port)",
                         "127.0.0.1:\(port)@evil.example", "[::1]:\(port)x", ""] {
                for path in ["/", "/static/studio.js", "/api/info", "/api/blind/results.csv", "/api/export?track=opening"] {
                    let r = try await raw(port, "GET \(path) HTTP/1.1\r\nHost: \(host)\r\n")
                    #expect(r.status == 403, "\(host) \(path)")
                    #expect(r.error.hasPrefix("Host '") && r.error.contains("is not this studio's address"), "\(host) \(path): \(r.error)")
                    #expect(!r.text.contains("warm") && !r.text.contains("RIFF"), "\(host) \(path): something was served")
                }
            }
            // No Host at all, and a second Host after an allowed one.
            #expect(try await raw(port, "GET /api/info HTTP/1.0\r\n").status == 403)
            let twice = try await raw(port, "GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nHost: evil.example\r\n")
            #expect(twice.status == 403 && twice.error == "more than one Host header")
            // A cross-origin upload naming a foreign Host is not read, let alone stored.
            let wav = try wavBytes(frames: 4800)
            let upload = try await raw(port, "POST /api/tracks HTTP/1.1\r\nHost: evil.example:\(port)\r\nContent-Type: text/plain\r\n"
                                       + "Content-Length: \(wav.count)\r\n", body: wav)
            #expect(upload.status == 403)
            // Every name the studio listens under is answered.
            for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LOCALHOST:\(port)", "[::1]:\(port)"] {
                let r = try await raw(port, "GET /api/info HTTP/1.1\r\nHost: \(host)\r\n")
                #expect(r.status == 200, "\(host)")
                #expect(r.json["words"] != nil, "\(host)")
            }
        }
        #expect(state.trackList.count == 1)
    }

    @Test func crossOriginRequestsChangeNothing() async throws {
        let (state, results) = try makeStudio()
        let wav = try wavBytes(frames: 4800)
        let words = state.vocabulary.words
        try await withStudio(state) { client in
            let port = client.port
            let host = "Host: 127.0.0.1:\(port)\r\n"
            // What a browser adds to another page's requests: its Origin, or Sec-Fetch-Site.
            let foreign = ["Origin: http://evil.example\r\n", "Origin: http://127.0.0.1:\(port + 1)\r\n", "Origin: null\r\n",
                           "Origin: http://127.0.0.1:\(port).evil.example\r\n",
                           "Sec-Fetch-Site: cross-site\r\n", "Sec-Fetch-Site: same-site\r\n",
                           "Origin: http://127.0.0.1:\(port)\r\nSec-Fetch-Site: cross-site\r\n"]
            for from in foreign {
                let requests: [(String, Data?)] = [
                    ("POST /api/tracks HTTP/1.1\r\nContent-Type: text/plain\r\nX-File-Name: x.wav\r\nContent-Length: \(wav.count)\r\n", wav),
                    ("POST /api/blind HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: \(Self.answer.utf8.count)\r\n", Data(Self.answer.utf8)),
                    ("POST /api/reference?track=opening HTTP/1.1\r\nContent-Length: 0\r\n", Data()),
                    ("GET /api/word?text=a+bit+hollow HTTP/1.1\r\n", nil),
                    ("GET /api/chunk?player=cross-origin-1&track=opening&pos=0&frames=1024 HTTP/1.1\r\n", nil),
                    ("GET /api/export?track=opening HTTP/1.1\r\n", nil),
                    ("GET /api/info HTTP/1.1\r\n", nil),
                    ("GET /api/blind/results.csv HTTP/1.1\r\n", nil),
                ]
                for (head, body) in requests {
                    let r = try await raw(port, head + host + from, body: body)
                    let line = head.prefix { $0 != "\r" }
                    #expect(r.status == 403, "\(line) \(from)")
                    #expect(r.error.contains("refused") && !r.error.contains("\n"), "\(line): \(r.error)")
                }
            }
            // Nor by a path that only looks like the page's.
            for path in ["//api/info", "/static/../api/info", "/static/%2e%2e/api/info", "/static//api/info", "/api//info"] {
                let r = try await raw(port, "GET \(path) HTTP/1.1\r\n" + host + "Sec-Fetch-Site: cross-site\r\n")
                #expect([403, 404].contains(r.status) && r.json["words"] == nil, "\(path): \(r.status)")
            }
            // The studio's own page: same Origin, same-origin fetches, and typed URLs.
            let own = try await raw(port, "POST /api/blind HTTP/1.1\r\n" + host + "Origin: http://127.0.0.1:\(port)\r\n"
                                    + "Sec-Fetch-Site: same-origin\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: \(Self.answer.utf8.count)\r\n", body: Data(Self.answer.utf8))
            #expect(own.status == 201)
            let typed = try await raw(port, "GET /api/blind/results.csv HTTP/1.1\r\n" + host + "Sec-Fetch-Site: none\r\n")
            #expect(typed.status == 200 && typed.text.contains("warm"))
            let viaLocalhost = try await raw(port, "POST /api/tracks HTTP/1.1\r\nHost: localhost:\(port)\r\nOrigin: http://localhost:\(port)\r\n"
                                             + "Content-Length: \(wav.count)\r\n", body: wav)
            #expect(viaLocalhost.status == 201)
            // A cross-site link to the page itself only shows the page.
            let page = try await raw(port, "GET / HTTP/1.1\r\n" + host + "Sec-Fetch-Site: cross-site\r\n")
            #expect(page.status == 200 && page.text.contains("AdaptiveEQ studio"))
            // No other site may frame the page or load a response as a script or media.
            #expect(page.headers["content-security-policy"] == "frame-ancestors 'none'")
            #expect(page.headers["x-content-type-options"] == "nosniff")
            #expect(page.headers["cross-origin-resource-policy"] == "same-origin")
        }
        // Only the two requests from the studio's own page changed anything.
        #expect(state.trackList.count == 2)
        #expect(state.vocabulary.words == words)
        let stored = try String(contentsOfFile: results + "/" + BlindTestLog.fileName, encoding: .utf8)
        #expect(stored.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.temporaryFolder).isEmpty)
    }

    @Test func withATokenEveryRequestCarriesIt() async throws {
        let token = StudioAccess.newToken()
        #expect(token.count == 48 && token.allSatisfy(\.isHexDigit) && token != StudioAccess.newToken())
        let (state, results) = try makeStudio { $0.token = token }
        let wav = try wavBytes(frames: 4800)
        try await withStudio(state) { client in
            let port = client.port
            let host = "Host: 127.0.0.1:\(port)\r\n"
            let cookie = "adaptive-eq-studio-token-\(port)"
            let wrong = String(token.reversed())
            let refused: [(String, String)] = [
                ("GET / HTTP/1.1\r\n", "needs its token"),
                ("GET /api/info HTTP/1.1\r\n", "needs its token"),
                ("GET /?token=\(wrong) HTTP/1.1\r\n", "wrong token"),
                ("GET /?token= HTTP/1.1\r\n", "wrong token"),
                ("GET /api/info?token=\(token.prefix(47)) HTTP/1.1\r\n", "wrong token"),
                ("GET /api/info HTTP/1.1\r\nCookie: \(cookie)=\(wrong)\r\n", "wrong token"),
                ("GET /api/info HTTP/1.1\r\nCookie: adaptive-eq-studio-token-\(port + 1)=\(token)\r\n", "needs its token"),
                ("GET /api/info HTTP/1.1\r\nAuthorization: token \(wrong)\r\n", "wrong token"),
                ("POST /api/tracks HTTP/1.1\r\nContent-Length: \(wav.count)\r\n", "needs its token"),
                ("POST /api/blind HTTP/1.1\r\nContent-Length: \(Self.answer.utf8.count)\r\n", "needs its token"),
                ("GET /api/chunk?player=no-token-1&track=opening&pos=0&frames=1024 HTTP/1.1\r\n", "needs its token"),
            ]
            for (head, reason) in refused {
                let body: Data? = head.hasPrefix("POST /api/tracks") ? wav : head.hasPrefix("POST /api/blind") ? Data(Self.answer.utf8) : nil
                let r = try await raw(port, head + host, body: body)
                #expect(r.status == 403, "\(head)")
                #expect(r.error.contains(reason), "\(head): \(r.error)")
                #expect(r.headers["set-cookie"] == nil)
            }
            // The printed URL: the token is swapped for a cookie and the address bar cleared.
            let first = try await raw(port, "GET /?token=\(token) HTTP/1.1\r\n" + host)
            #expect(first.status == 303 && first.headers["location"] == "/")
            #expect(first.headers["set-cookie"] == "\(cookie)=\(token); Path=/; HttpOnly; SameSite=Strict")
            let page = try await raw(port, "GET / HTTP/1.1\r\n" + host + "Cookie: other=1; \(cookie)=\(token)\r\n")
            #expect(page.status == 200 && page.text.contains("AdaptiveEQ studio"))
            // Programs may send it as Jupyter's clients do, or in the query.
            #expect(try await raw(port, "GET /api/info HTTP/1.1\r\n" + host + "Authorization: token \(token)\r\n").status == 200)
            #expect(try await raw(port, "GET /api/info?token=\(token) HTTP/1.1\r\n" + host).status == 200)
            let upload = try await raw(port, "POST /api/tracks HTTP/1.1\r\n" + host + "Cookie: \(cookie)=\(token)\r\n"
                                       + "Content-Length: \(wav.count)\r\n", body: wav)
            #expect(upload.status == 201)
            // A right token does not make a foreign Host or Origin acceptable.
            let rebound = try await raw(port, "GET /api/info HTTP/1.1\r\nHost: evil.example:\(port)\r\nCookie: \(cookie)=\(token)\r\n")
            #expect(rebound.status == 403)
            let crossOrigin = try await raw(port, "POST /api/blind HTTP/1.1\r\n" + host + "Cookie: \(cookie)=\(token)\r\n"
                                            + "Origin: http://evil.example\r\nContent-Length: \(Self.answer.utf8.count)\r\n",
                                            body: Data(Self.answer.utf8))
            #expect(crossOrigin.status == 403)
        }
        #expect(state.trackList.count == 2)
        #expect(!FileManager.default.fileExists(atPath: results + "/" + BlindTestLog.fileName))
    }

    /// Refused requests that pass every access check: a one-line JSON error each, nothing written.
    @Test func limitsHoldAndWriteNothing() async throws {
        let (state, results) = try makeStudio()
        let words = state.vocabulary.words
        try await withStudio(state) { client in
            let port = client.port
            let host = "Host: 127.0.0.1:\(port)\r\n"
            let big = Data(count: (1 << 20) + 1)
            let cases: [(String, Data?, Int, String)] = [
                // Over the limit, announced or not (a chunked body is cut off at the limit).
                ("POST /api/tracks HTTP/1.1\r\nContent-Length: \(big.count)\r\n", big, 413, "upload limit of 1 MB"),
                ("POST /api/tracks HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", chunked(big), 413, "upload limit of 1 MB"),
                ("POST /api/blind HTTP/1.1\r\nContent-Length: 5000\r\n", Data(count: 5000), 413, "at most 4096 bytes"),
                ("POST /api/blind HTTP/1.1\r\nContent-Length: 9\r\n", Data("not json!".utf8), 400, "expected a JSON object"),
                ("POST /api/blind HTTP/1.1\r\nContent-Length: 2\r\n", Data("[]".utf8), 400, "expected a JSON object"),
                ("POST /api/blind HTTP/1.1\r\nContent-Length: 16\r\n", Data(#"{"word":"warm"}"#.utf8) + Data(" ".utf8), 400, "intensity"),
                ("POST /api/reference?track=nope HTTP/1.1\r\nContent-Length: 0\r\n", Data(), 404, "no such track"),
                ("POST /api/reference HTTP/1.1\r\nContent-Length: 0\r\n", Data(), 400, "track: missing"),
                ("GET /api/export?track=nope HTTP/1.1\r\n", nil, 404, "no such track"),
                ("GET /api/chunk?player=limits-1&track=nope&pos=0&frames=1024 HTTP/1.1\r\n", nil, 404, "no such track"),
                ("GET /api/chunk?player=limits-1&track=opening&pos=0&frames=99999999999999999999999 HTTP/1.1\r\n", nil, 400, "frames:"),
                ("GET /api/chunk?player=limits-1&track=opening&pos=0&frames=16385 HTTP/1.1\r\n", nil, 400, "frames:"),
                ("GET /api/chunk?player=limits-1&track=opening&pos=-512&frames=1024 HTTP/1.1\r\n", nil, 400, "pos:"),
            ]
            for (head, body, status, text) in cases {
                let r = try await raw(port, head + host, body: body)
                let line = head.prefix { $0 != "\r" }
                #expect(r.status == status, "\(line)")
                #expect(r.error.contains(text) && !r.error.contains("\n"), "\(line): \(r.error)")
                #expect(r.headers["content-type"] == "application/json", "\(line)")
            }
        }
        #expect(state.trackList.count == 1)
        #expect(state.vocabulary.words == words)
        #expect(!FileManager.default.fileExists(atPath: results + "/" + BlindTestLog.fileName))
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.temporaryFolder).isEmpty)
    }

    @Test func decisionsOnAddresses() {
        let access = StudioAccess(hostNames: ["127.0.0.1", "localhost", "[::1]", "studio.lan"], token: nil)
        func decide(_ host: String?, port: Int = 8080) -> StudioAccess.Decision {
            access.decide(.init(method: "GET", path: "/", host: host, localPort: port))
        }
        for host in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "studio.lan:8080", "Studio.LAN:8080"] {
            #expect(decide(host) == .allow, "\(host)")
        }
        #expect(decide("localhost", port: 80) == .allow)
        for host in ["localhost", "localhost:80", "localhost:08080x", "localhost:", "[::1]", "[::1:8080", "::1:8080",
                     "studio.lan.:8080", "127.0.0.2:8080", "0.0.0.0:8080", nil] {
            guard case let .refuse(reason) = decide(host) else { Issue.record("\(host ?? "nil") allowed"); continue }
            #expect(reason.contains("(127.0.0.1:8080, localhost:8080, [::1]:8080, studio.lan:8080)"))
        }
        // On every interface, this machine's own addresses count as the studio's.
        var wildcard = StudioConfiguration()
        wildcard.host = "0.0.0.0"
        let names = StudioAccess(configuration: wildcard).hostNames
        #expect(Array(names.prefix(4)) == ["127.0.0.1", "localhost", "[::1]", "0.0.0.0"] && names.count > 4)
        var exposed = StudioConfiguration()
        exposed.host = "fe80::1"
        #expect(StudioAccess(configuration: exposed).hostNames == ["127.0.0.1", "localhost", "[::1]", "[fe80::1]"])
        #expect(StudioAccess.isLoopback("::1") && StudioAccess.isLoopback("localhost") && !StudioAccess.isLoopback("0.0.0.0"))
    }
}

// MARK: - raw HTTP

/// Sends `head` (request line and fields, each ending in CRLF) and `body`, closes the
/// connection after the answer, and parses it. Runs on its own thread: blocking reads must
/// not hold the threads the server itself answers from.
func raw(_ port: Int, _ head: String, body: Data? = nil) async throws -> Reply {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            do {
                let connection = try RawConnection(port: port)
                defer { connection.close() }
                connection.send(head + "Connection: close\r\n\r\n")
                if let body { connection.send(body) }
                continuation.resume(returning: try parseReply(connection.receiveReply()))
            } catch { continuation.resume(throwing: error) }
        }
    }
}

/// `data` as one chunk of a chunked body, then the last chunk.
func chunked(_ data: Data) -> Data {
    Data((String(data.count, radix: 16) + "\r\n").utf8) + data + Data("\r\n0\r\n\r\n".utf8)
}

/// The end of the head (after CRLF CRLF) in `bytes`, if it has arrived.
func headEnd(_ bytes: [UInt8]) -> Int? {
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    return (0..<max(bytes.count - 3, 0)).first { Array(bytes[$0..<($0 + 4)]) == separator }.map { $0 + 4 }
}

func parseReply(_ data: Data) throws -> Reply {
    let bytes = [UInt8](data)
    guard let end = headEnd(bytes) else { throw CocoaError(.fileReadCorruptFile) }
    let lines = String(decoding: bytes[..<(end - 4)], as: UTF8.self).components(separatedBy: "\r\n")
    guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
        throw CocoaError(.fileReadCorruptFile)
    }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return Reply(status: status, body: Data(bytes[end...]), headers: headers)
}

extension RawConnection {
    /// Writes all of `data` unless the server has closed (no SIGPIPE: a refused upload may
    /// be closed on before it is all sent).
    func send(_ data: Data) {
        data.withUnsafeBytes { buffer in
            var sent = 0
            while sent < buffer.count {
                let n = Glibc.send(fd, buffer.baseAddress! + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                sent += n
            }
        }
    }

    /// One reply: its head and `Content-Length` bytes of body, or everything until the
    /// server closes (at most 5 minutes).
    func receiveReply() -> Data {
        var timeout = timeval(tv_sec: 300, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let end = headEnd(data), let reply = try? parseReply(Data(data)),
               let length = reply.headers["content-length"].flatMap(Int.init), data.count >= end + length {
                return Data(data)
            }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return Data(data) }
            data.append(contentsOf: buffer[..<n])
        }
    }
}
