import CoreMetrics
import Prometheus

/// The swift-metrics backend of every filestore process: swift-prometheus's registry, with three things its own
/// factory does not do — every metric gets its HELP text (``MetricCatalog/help``), other packages' names are
/// mapped onto Prometheus conventions (``MetricCatalog/renamed``; label names with dots get underscores), and
/// duration histograms have buckets up to ten minutes, so that long jobs land in a bucket of their own.
public struct PrometheusExport: CoreMetrics.MetricsFactory {
    /// The registry `/metrics` emits.
    public let registry: PrometheusCollectorRegistry
    /// Bucket bounds of every duration histogram: 1 ms to 10 min.
    public static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        .seconds(60), .seconds(120), .seconds(300), .seconds(600),
    ]
    /// Bucket bounds of value histograms (sizes and counts): powers of four from 1 to about 4 G.
    public static let valueBuckets: [Double] = (0...16).map { Double(1 << (2 * $0)) }

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// The exported name and labels of what was recorded as `label` with `dimensions`.
    public static func exported(_ label: String, _ dimensions: [(String, String)]) -> (String, [(String, String)]) {
        let name = MetricCatalog.renamed[label] ?? label.replacingDots()
        return (name, dimensions.map { ($0.0.replacingDots(), $0.1) })
    }

    private func help(_ name: String) -> String { MetricCatalog.help[name] ?? "" }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let (name, labels) = Self.exported(label, dimensions)
        return registry.makeCounter(name: name, labels: labels, help: help(name))
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        let (name, labels) = Self.exported(label, dimensions)
        return registry.makeCounter(name: name, labels: labels, help: help(name))
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        let (name, labels) = Self.exported(label, dimensions)
        guard aggregate else { return registry.makeGauge(name: name, labels: labels, help: help(name)) }
        return registry.makeValueHistogram(name: name, labels: labels, buckets: Self.valueBuckets, help: help(name))
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        let (name, labels) = Self.exported(label, dimensions)
        return registry.makeGauge(name: name, labels: labels, help: help(name))
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let (name, labels) = Self.exported(label, dimensions)
        return registry.makeDurationHistogram(name: name, labels: labels, buckets: Self.durationBuckets, help: help(name))
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? Prometheus.Histogram<Double> { registry.unregisterValueHistogram(histogram) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? Prometheus.Histogram<Duration> { registry.unregisterDurationHistogram(histogram) }
    }
}

extension String {
    fileprivate func replacingDots() -> String { contains(".") ? replacingOccurrences(of: ".", with: "_") : self }
}
