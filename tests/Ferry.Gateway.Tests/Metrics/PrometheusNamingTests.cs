using Ferry.Gateway.Metrics;

namespace Ferry.Gateway.Tests.Metrics;

public sealed class PrometheusNamingTests
{
    [Theory]
    [InlineData("http.server.request.duration", "s", "histogram", false, "http_server_request_duration_seconds")]
    [InlineData("kestrel.connection.duration", "s", "histogram", false, "kestrel_connection_duration_seconds")]
    [InlineData("kestrel.active_connections", "{connection}", "gauge", false, "kestrel_active_connections")]
    [InlineData("ferry.calls", "{call}", "counter", false, "ferry_calls_total")]
    [InlineData("ferry.sent", "By", "counter", false, "ferry_sent_bytes_total")]
    [InlineData("requests_total", null, "counter", false, "requests_total")]
    [InlineData("requests.total", "", "counter", false, "requests_total")]
    [InlineData("foo_total", "s", "counter", false, "foo_seconds_total")]
    [InlineData("process.cpu.time", "s", "counter", false, "process_cpu_time_seconds_total")]
    [InlineData("latency_seconds", "s", "histogram", false, "latency_seconds")]
    [InlineData("io_nanoseconds", "s", "histogram", false, "io_nanoseconds_seconds")]
    [InlineData("x.duration", "ms", "histogram", false, "x_duration_milliseconds")]
    [InlineData("throughput", "{request}/s", "gauge", false, "throughput_per_second")]
    [InlineData("rate", "By/s", "gauge", false, "rate_bytes_per_second")]
    [InlineData("memory", "MiBy", "gauge", false, "memory_mebibytes")]
    [InlineData("cpu.utilization", "1", "gauge", true, "cpu_utilization_ratio")]
    [InlineData("hit_ratio", "1", "gauge", true, "hit_ratio")]
    [InlineData("queue.depth", "1", "gauge", false, "queue_depth")]
    [InlineData("errors", "1", "counter", false, "errors_total")]
    [InlineData("temperature", "Cel", "gauge", true, "temperature_celsius")]
    [InlineData("weird", "{a}b{c}", "gauge", false, "weird_b")]
    [InlineData("2xx.responses", null, "counter", false, "_2xx_responses_total")]
    [InlineData("a..b--c  d", null, "gauge", false, "a_b_c_d")]
    [InlineData("a__b", null, "gauge", false, "a_b")]
    [InlineData("ns:metric.name", null, "gauge", false, "ns:metric_name")]
    [InlineData("größe", null, "gauge", false, "gr_e")]
    public void MetricName(string name, string? unit, string type, bool gaugeInstrument, string expected)
    {
        var prometheusType = Enum.Parse<PrometheusType>(type, ignoreCase: true);

        Assert.Equal(expected, PrometheusNaming.MetricName(name, unit, prometheusType, gaugeInstrument));
    }

    [Theory]
    [InlineData("http.response.status_code", "http_response_status_code")]
    [InlineData("route", "route")]
    [InlineData("1abc", "_1abc")]
    [InlineData("a:b", "a_b")]
    [InlineData("__reserved", "_reserved")]
    [InlineData("a.-b", "a_b")]
    [InlineData("", "_")]
    public void LabelName(string key, string expected) => Assert.Equal(expected, PrometheusNaming.LabelName(key));

    [Theory]
    [InlineData(null, "")]
    [InlineData("1", "")]
    [InlineData("{request}", "")]
    [InlineData("s", "seconds")]
    [InlineData("By", "bytes")]
    [InlineData("{packet}/s", "per_second")]
    [InlineData("m/s", "meters_per_second")]
    [InlineData("km", "km")]
    [InlineData("%", "percent")]
    public void UnitSuffix(string? unit, string expected) => Assert.Equal(expected, PrometheusNaming.UnitSuffix(unit));

    [Fact]
    public void LabelsAreSortedEscapedAndMergedWhenKeysTranslateAlike()
    {
        KeyValuePair<string, object?>[] tags =
        [
            new("a.b", "first"),
            new("a_b", "second"),
            new("code", 42),
            new("ok", true),
            new("path", "C:\\dir \"x\"\nnext"),
            new("ratio", 0.5),
            new("z", null),
        ];

        var labels = PrometheusLabels.Format(tags);

        Assert.Equal(
            "a_b=\"first;second\",code=\"42\",ok=\"true\",path=\"C:\\\\dir \\\"x\\\"\\nnext\",ratio=\"0.5\",z=\"\"",
            labels);
    }

    [Theory]
    [InlineData("Ferry", "Ferry", true)]
    [InlineData("Ferry.Gateway", "Ferry", true)]
    [InlineData("FerryBoat", "Ferry", false)]
    [InlineData("Ferry.Gateway", "Ferry.", true)]
    [InlineData("Ferry", "Ferry.", false)]
    [InlineData("System.Net.Http", "System.Net.Http", true)]
    [InlineData("System.Net.HttpListener", "System.Net.Http", false)]
    [InlineData("ferry.gateway", "Ferry", false)]
    public void MeterPrefixes(string meterName, string prefix, bool expected) =>
        Assert.Equal(expected, MeterSelector.Matches(meterName, prefix));
}
