import Foundation
import Hummingbird

/// A request's context with the port its connection arrived on (the Host check compares
/// against it, so a studio on `--port 0` checks the port it was given).
public struct StudioRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let localPort: Int

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        localPort = source.channel.localAddress?.port ?? 0
    }
}

/// Applies `StudioAccess` before any handler runs (so a refused upload is never read), and
/// marks every response as the studio's own: no other site may frame the page or load a
/// response as a script, image or media.
struct StudioAccessMiddleware: RouterMiddleware {
    let access: StudioAccess

    func handle(_ request: Request, context: StudioRequestContext,
                next: (Request, StudioRequestContext) async throws -> Response) async throws -> Response {
        var response: Response
        switch access.decide(Self.accessRequest(request, localPort: context.localPort)) {
        case .allow:
            response = try await next(request, context)
        case let .rememberToken(location):
            response = Response(status: .seeOther, headers: [.location: location, .setCookie: access.cookie(port: context.localPort),
                                                             .cacheControl: "no-store"])
        case let .refuse(reason):
            response = StudioServer.json(["error": reason], status: .forbidden)
        }
        response.headers[.contentSecurityPolicy] = "frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.crossOriginResourcePolicy] = "same-origin"
        return response
    }

    static func accessRequest(_ request: Request, localPort: Int) -> StudioAccess.Request {
        var r = StudioAccess.Request(method: request.method.rawValue, path: request.uri.path,
                                     host: request.head.authority, localPort: localPort)
        r.extraHosts = request.headers.filter { $0.name.canonicalName == "host" }.count
        r.origin = request.headers[.origin]
        r.fetchSite = request.headers.first { $0.name.canonicalName == "sec-fetch-site" }?.value
        r.queryToken = request.uri.queryParameters[StudioAccess.tokenParameter[...]].map(String.init)
        r.authorization = request.headers[.authorization]
        r.cookies = request.headers[values: .cookie].flatMap { $0.split(separator: ";") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return r
    }
}
