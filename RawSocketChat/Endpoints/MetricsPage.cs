using RawSocketChat.Diagnostics;
using RawSocketChat.Http;
using RawSocketChat.Transport;

namespace RawSocketChat.Endpoints;

/// <summary><c>GET /metrics</c>: the counters of <see cref="ServerMetrics"/> for a Prometheus server to scrape.</summary>
public sealed class MetricsPage(ServerMetrics metrics)
{
    public HttpResponse Handle(HttpRequest request, RequestContext context) =>
        HttpResponse.Content(200, PrometheusText.ContentType, metrics.Write().ToUtf8());
}
