using System.Security.Cryptography;
using System.Text;

namespace RawSocketChat.Chat.Accounts;

/// <summary>
/// How the names of <c>--admin</c> become admin accounts without handing admin to whoever registers first. A listed
/// name that already has an account is made admin at start. A listed name without one is <em>reserved</em>:
/// registering it needs the admin secret — <c>--admin-secret</c>, or, when none is given, one generated at start and
/// printed once in the server's log, where only the operator reads it. Without the secret the registration is
/// refused (not turned into a plain account, which would take the name from the admin for good).
/// </summary>
public sealed class AdminBootstrap
{
    private readonly HashSet<string> _admins;
    private readonly byte[] _secret;

    public AdminBootstrap(IEnumerable<string> adminKeys, string secret)
    {
        _admins = new HashSet<string>(adminKeys, StringComparer.Ordinal);
        _secret = Encoding.UTF8.GetBytes(secret);
    }

    /// <summary>A secret for the log: 128 random bits, URL-safe, so it also fits <c>#admin-secret=</c> in a link.</summary>
    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Whether <paramref name="key"/> is a name of <c>--admin</c>.</summary>
    public bool IsAdminName(string key) => _admins.Contains(key);

    /// <summary>Whether <paramref name="offered"/> is the admin secret; compared in constant time, so timing tells nothing.</summary>
    public bool Accepts(string? offered) =>
        offered is not null && _secret.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(offered), _secret);
}
