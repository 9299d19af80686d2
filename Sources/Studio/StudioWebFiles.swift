import Foundation
import Hummingbird

/// The page's files, read once from the resource bundle. A request names a file only as a
/// key into this fixed table, never as a path.
struct StudioWebFiles: Sendable {
    static let names: [String: String] = [
        "index.html": "text/html; charset=utf-8",
        "studio.js": "text/javascript; charset=utf-8",
        "plots.js": "text/javascript; charset=utf-8",
        "studio.css": "text/css; charset=utf-8",
    ]
    let contents: [String: Data]

    static func load() -> StudioWebFiles {
        var contents: [String: Data] = [:]
        for name in names.keys {
            let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
            if let url = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Web"),
               let data = try? Data(contentsOf: url) {
                contents[name] = data
            }
        }
        return StudioWebFiles(contents: contents)
    }

    func response(_ name: String) -> Response {
        guard let type = Self.names[name], let data = contents[name] else {
            return Response(status: .notFound, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "not found")))
        }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
