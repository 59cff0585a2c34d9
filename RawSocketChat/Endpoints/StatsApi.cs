using RawSocketChat.Chat.Stats;
using RawSocketChat.Chat;
using RawSocketChat.Http;
using RawSocketChat.Transport;

namespace RawSocketChat.Endpoints;

/// <summary>
/// <c>GET /api/stats</c>: the numbers of the <c>stats</c> command as a JSON document, for an admin's session token
/// in <c>Authorization: Bearer</c> (RFC 6750 §2.1). No usable token is 401 with a <c>WWW-Authenticate</c> challenge
/// (RFC 6750 §3); a valid token of someone who is not an admin is 403.
/// </summary>
public sealed class StatsApi(ChatService chat)
{
    public const string JsonContentType = "application/json; charset=utf-8";

    public async ValueTask<HttpResponse> HandleAsync(HttpRequest request, RequestContext context)
    {
        if (!TryGetBearerToken(request, out string? token))
            return Unauthorized("Send an admin's session token: Authorization: Bearer <token>", error: null);
        if (await chat.AuthenticateAsync(token) is not { } caller)
            return Unauthorized("The token is malformed, unknown, expired or logged out", error: "invalid_token");
        if (!caller.User.IsAdmin || caller.Banned)
            return HttpResponse.Error(403, "Only admins may read the statistics");
        ChatStats stats = await chat.GetStatsAsync();
        return HttpResponse.Content(200, JsonContentType, ServerMessages.StatsDocument(stats));
    }

    /// <summary>
    /// The token of exactly one <c>Authorization: Bearer &lt;token&gt;</c> header (the scheme is case-insensitive,
    /// RFC 9110 §11.1). Several Authorization lines, or another scheme, are no token.
    /// </summary>
    public static bool TryGetBearerToken(HttpRequest request, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? token)
    {
        token = null;
        if (request.Count("Authorization") != 1 || request.Get("Authorization") is not { } value)
            return false;
        value = value.Trim();
        const string scheme = "Bearer ";
        if (value.Length <= scheme.Length || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        token = value[scheme.Length..].Trim();
        return token.Length > 0;
    }

    private static HttpResponse Unauthorized(string reason, string? error) =>
        HttpResponse.Error(401, reason)
            .With("WWW-Authenticate", error is null ? "Bearer realm=\"rawsocketchat\"" : $"Bearer realm=\"rawsocketchat\", error=\"{error}\"");
}
