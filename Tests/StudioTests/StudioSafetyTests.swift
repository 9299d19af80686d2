import AdaptiveEQ
import Foundation
import Studio
import Testing
import AEQTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite struct StudioSafetyTests {
    @Test func bindsToLoopbackByDefault() {
        #expect(StudioConfiguration().host == "127.0.0.1")
    }

    @Test func uploadsAreDecodedOrRefusedWithAMessage() async throws {
        let (state, _) = try makeStudio()
        let wav = try wavBytes(frames: 4800)
        try await withStudio(state) { client in
            let cases: [(String, Data, Int, String)] = [
                ("garbage", Data(String(repeating: "not audio ", count: 500).utf8), 400, "not a playable audio file"),
                ("empty", Data(), 400, "empty"),
                ("truncated header", wav.prefix(30), 400, "not a playable audio file"),
                ("too large", Data(count: (1 << 20) + 1), 413, "upload limit of 1 MB"),
            ]
            for (label, body, status, text) in cases {
                let r = try await client.send("/api/tracks", method: "POST", body: body, headers: ["X-File-Name": "x.wav"])
                #expect(r.status == status, "\(label)")
                #expect(r.error.contains(text), "\(label): \(r.error)")
                #expect(!r.error.contains(state.temporaryFolder), "\(label): the message shows a server path")
            }
            // A name full of path parts is only shown, reduced to safe characters.
            let r = try await client.send("/api/tracks", method: "POST", body: wav,
                                          headers: ["X-File-Name": "..%2F..%2Fetc%2Fpasswd%00.wav"])
            #expect(r.status == 201)
            #expect(r.json["name"] as? String == "....etcpasswd.wav")
            #expect(r.json["sampleRate"] as? Int == 48_000 && r.json["frames"] as? Int == 4800)
            let id = r.json["id"] as? String ?? ""
            // The server still works after the bad uploads, and plays the new track.
            let chunk = try await client.get("/api/chunk?player=after-uploads&track=\(id)&pos=0&frames=4800")
            #expect(chunk.status == 200)
            #expect(try #require(decodeChunk(chunk.body, channels: 1)).output[0].count == 4800)
        }
        // Nothing is left in the server's folder; nothing was written anywhere a name pointed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.temporaryFolder).isEmpty)
        #expect(state.trackList.count == 2)
    }

    @Test func tracksBeyondTheLimitReplaceTheOldestUpload() throws {
        let (state, _) = try makeStudio { $0.maximumTracks = 3 }
        let wav = try wavBytes(frames: 480)
        let ids = try (0..<5).map { i in try wav.withUnsafeBytes { try state.addUpload($0, name: "t\(i)").id } }
        #expect(state.trackList.map(\.id) == ["opening"] + ids.suffix(2))
    }

    @Test func badRequestsGetOneLineErrors() async throws {
        let (state, _) = try makeStudio()
        let ok = "player=bad-requests&track=opening&pos=0&frames=512"
        let cases: [(String, Int, String)] = [
            ("track=opening&pos=0&frames=512", 400, "player: missing"),
            ("player=../../etc&track=opening&pos=0&frames=512", 400, "player:"),
            ("player=bad-requests&track=../../etc/passwd&pos=0&frames=512", 404, "no such track"),
            ("player=bad-requests&pos=0&frames=512", 400, "track: missing"),
            ("player=bad-requests&track=opening&pos=-1&frames=512", 400, "pos:"),
            ("player=bad-requests&track=opening&pos=88201&frames=512", 400, "pos:"),
            ("player=bad-requests&track=opening&pos=0&frames=0", 400, "frames:"),
            ("player=bad-requests&track=opening&pos=0&frames=16385", 400, "frames:"),
            ("player=bad-requests&track=opening&pos=x&frames=512", 400, "pos:"),
            ("\(ok)&intensity=abc", 400, "intensity: expected a number"),
            ("\(ok)&intensity=nan", 400, "intensity: expected a number"),
            ("\(ok)&intensity=1.5", 400, "intensity: 1.5 is outside"),
            ("\(ok)&term=notaword", 400, "term: unknown word"),
            ("\(ok)&term=99999", 400, "term: unknown word"),
            ("\(ok)&mode=loud", 400, "mode: expected one of"),
            ("\(ok)&enabled=maybe", 400, "enabled: expected on or off"),
        ]
        try await withStudio(state) { client in
            for (query, status, text) in cases {
                let r = try await client.get("/api/chunk?\(query)")
                #expect(r.status == status, "\(query)")
                #expect(r.error.contains(text) && !r.error.contains("\n"), "\(query): \(r.error)")
            }
            // Range edges of every continuous control are accepted.
            for p in ControlParameter.allCases where p.kind == .continuous {
                for v in [p.range.lowerBound, p.range.upperBound] {
                    let r = try await client.get("/api/chunk?\(ok)&\(p.symbol)=\(v)")
                    #expect(r.status == 200, "\(p.symbol)=\(v)")
                    let chunk = try #require(decodeChunk(r.body, channels: 2))
                    #expect(chunk.output.allSatisfy { $0.allSatisfy(\.isFinite) })
                }
            }
        }
    }

    @Test func playersOfClosedTabsAreDropped() throws {
        let (state, _) = try makeStudio { $0.maximumPlayers = 4; $0.playerIdleSeconds = 0.05 }
        for i in 0..<10 { _ = try state.player("listener-\(i)") }
        #expect(state.playerCount <= 4)
        Thread.sleep(forTimeInterval: 0.1)
        _ = try state.player("listener-new")
        #expect(state.playerCount == 1)
    }

    /// A real server on a loopback port: many parallel requests (uploads, chunks, exports,
    /// bad requests), some abandoned half-way, and the server answers correctly afterwards.
    @Test func survivesParallelAndAbandonedRequests() async throws {
        let (state, _) = try makeStudio()
        let wav = try wavBytes(frames: 48_000, channels: 2)
        try await withStudio(state) { client in
            let base = client.base
            let session = client.session
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<48 {
                    group.addTask {
                        var request: URLRequest
                        switch i % 4 {
                        case 0:
                            request = URLRequest(url: URL(string: "\(base)/api/chunk?player=p\(i % 8)-parallel&track=opening&pos=\(i * 512)&frames=4096&intensity=0.9")!)
                        case 1:
                            request = URLRequest(url: URL(string: "\(base)/api/tracks")!)
                            request.httpMethod = "POST"
                            request.httpBody = i % 8 == 1 ? wav : Data("junk".utf8)
                        case 2:
                            request = URLRequest(url: URL(string: "\(base)/api/export?track=opening&intensity=0.5")!)
                        default:
                            request = URLRequest(url: URL(string: "\(base)/api/chunk?player=x&track=opening")!)
                        }
                        let (_, response) = try await session.data(for: request)
                        return (response as? HTTPURLResponse)?.statusCode ?? 0
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 || $0 == 201 }.count == 30)
            #expect(statuses.filter { $0 == 400 }.count == 18)
            // Abandoned requests: an upload cut off mid-body and chunk requests whose client
            // goes away before the answer.
            for _ in 0..<4 {
                let socket = try RawConnection(port: client.port)
                socket.send("POST /api/tracks HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nRIFF....")
                socket.close()
                let task = session.dataTask(with: URL(string: "\(base)/api/export?track=opening")!)
                task.resume()
                task.cancel()
            }
            let (data, response) = try await session.data(from: URL(string: "\(base)/api/info")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["words"] != nil)
        }
    }
}

