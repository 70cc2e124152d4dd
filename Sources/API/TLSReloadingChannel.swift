import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Hummingbird's HTTP/1 child channel behind TLS, with the context taken from a ``TLSContextStore`` for each
/// new connection (so a reloaded certificate applies to the next connection).
public struct TLSReloadingChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    public typealias Value = BaseChannel.Value
    let base: BaseChannel
    let store: TLSContextStore

    public init(_ base: BaseChannel, store: TLSContextStore) {
        self.base = base
        self.store = store
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let context = store.context
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: BaseChannel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension TLSReloadingChannel: HTTPChannelHandler where BaseChannel: HTTPChannelHandler {
    public var responder: HTTPChannelHandler.Responder { base.responder }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 over TLS from `store` (reloaded certificates apply to new connections).
    public static func reloadingTLS(_ store: TLSContextStore, http1: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        .init { responder in TLSReloadingChannel(HTTP1Channel(responder: responder, configuration: http1), store: store) }
    }
}
