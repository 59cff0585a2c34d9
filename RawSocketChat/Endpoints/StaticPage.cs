using RawSocketChat.Http;
using RawSocketChat.Transport;

namespace RawSocketChat.Endpoints;

/// <summary>
/// Serves one file (the browser client) from disk, read on each request so an edit shows on reload. A relative
/// path is looked up in the working directory first, then next to the server binary.
/// </summary>
public sealed class StaticPage(string path, string contentType)
{
    public HttpResponse Handle(HttpRequest request, RequestContext context)
    {
        string? file = Resolve(path);
        if (file is null)
            return HttpResponse.Error(404, $"{System.IO.Path.GetFileName(path)} not found");
        return HttpResponse.Content(200, contentType, File.ReadAllBytes(file));
    }

    private static string? Resolve(string path)
    {
        if (System.IO.Path.IsPathRooted(path))
            return File.Exists(path) ? path : null;
        foreach (string dir in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            string candidate = System.IO.Path.Combine(dir, path);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
